"""The Kairo Connect API client (contract: docs/kairo-connect-api.md).

One `requests.Session` with the auth headers, an explicit (connect, read) timeout on
every call, typed inputs and results, and one error type, `KairoError`, that always says
whether Kairo may have acted (`outcome`). The outcome table:

| what happened                                        | outcome                            |
|------------------------------------------------------|------------------------------------|
| connection refused, DNS failure, connect timeout     | rejected, after bounded retries    |
| 2xx with the success envelope                        | a typed result                     |
| 400 family, 404 CONSULTATION_NOT_FOUND, 409, 429     | rejected (429: GETs wait and retry)|
| 401, 403, 3xx, 404/405 of a route, TLS or URL errors | configuration, never retried       |
| read timeout, connection lost after sending, 5xx,    | unknown: a POST is never re-sent;  |
| a 2xx body that is not the envelope or not readable  | GETs are retried within a bound    |

Layout: `api` (KairoClient), `payload` (what a call sends), `retries` (when a call is
tried again), `call_log` (what each attempt logs), `errors` (KairoError and the
classification), `values` (dataclasses), `reading` (tolerant result parsing). Nothing
here imports our models.
"""

from consultations.kairo.client.api import KairoClient
from consultations.kairo.client.call_log import logger
from consultations.kairo.client.errors import (
    CONNECTION_FAILED,
    CONNECTION_LOST,
    ENDPOINT_NOT_FOUND,
    FORBIDDEN,
    INVALID_BASE_URL,
    INVALID_CREDENTIALS,
    MALFORMED_RESPONSE,
    NON_FIELD_ERRORS,
    REDIRECTED,
    SERVER_ERROR,
    TIMEOUT,
    TLS_ERROR,
    KairoError,
    KairoOutcome,
)
from consultations.kairo.client.values import (
    Consultation,
    CreateConsultationRequest,
    OrganizationProfile,
    PatientData,
    ProviderData,
    RemoteProvider,
    SessionInfo,
)

__all__ = [
    "CONNECTION_FAILED",
    "CONNECTION_LOST",
    "ENDPOINT_NOT_FOUND",
    "FORBIDDEN",
    "INVALID_BASE_URL",
    "INVALID_CREDENTIALS",
    "MALFORMED_RESPONSE",
    "NON_FIELD_ERRORS",
    "REDIRECTED",
    "SERVER_ERROR",
    "TIMEOUT",
    "TLS_ERROR",
    "Consultation",
    "CreateConsultationRequest",
    "KairoClient",
    "KairoError",
    "KairoOutcome",
    "OrganizationProfile",
    "PatientData",
    "ProviderData",
    "RemoteProvider",
    "SessionInfo",
    "logger",
]
