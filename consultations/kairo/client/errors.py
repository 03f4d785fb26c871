"""`KairoError`, the outcome of a failed call, and how each failure is classified.

Sections of docs/kairo-connect-api.md: "Envelope", "Errors", "Access" (rate limit) and
"Endpoints". The classification is the outcome table in
`consultations/kairo/client/__init__.py`.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from consultations.kairo import contract

# Our own error codes, for failures that never produced a Kairo error envelope.
CONNECTION_FAILED = "CONNECTION_FAILED"  # nothing was sent: refused, DNS, connect timeout
TIMEOUT = "TIMEOUT"  # sent, no answer within the read timeout
CONNECTION_LOST = "CONNECTION_LOST"  # sent, connection dropped or reset before the answer
SERVER_ERROR = "SERVER_ERROR"  # 5xx without a Kairo error code
MALFORMED_RESPONSE = "MALFORMED_RESPONSE"  # not the envelope, or a field missing/mistyped
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"  # 404/405 of a route: the base URL is wrong
REDIRECTED = "REDIRECTED"  # 3xx: the base URL is wrong (http vs https, a missing path)
FORBIDDEN = "FORBIDDEN"  # 403: these credentials may not do this
TLS_ERROR = "TLS_ERROR"  # certificate or handshake failure, before anything was sent
INVALID_BASE_URL = "INVALID_BASE_URL"  # not a URL requests can use
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"  # key/secret not sendable as a header (non-Latin-1)

# Field errors that belong to no request field (details given as a string or a list).
NON_FIELD_ERRORS = "__all__"


class KairoOutcome(StrEnum):
    """Whether Kairo may have acted on a failed call."""

    REJECTED = "rejected"  # it certainly did not act
    UNKNOWN = "unknown"  # it may have
    CONFIGURATION = "configuration"  # it did not act: credentials or base URL are wrong


class KairoError(Exception):
    """Every failure of a Kairo call. `message` is safe to show staff."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        outcome: KairoOutcome,
        status: int | None = None,
        request_id: str = "",
        field_errors: dict[str, list[str]] | None = None,
        party: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.outcome = outcome
        self.status = status
        self.request_id = request_id
        self.field_errors = field_errors or {}
        self.party = party
        self.retry_after = retry_after

    @property
    def known(self) -> bool:
        """True when Kairo certainly did not act (rejected or configuration)."""
        return self.outcome != KairoOutcome.UNKNOWN

    def __str__(self) -> str:
        suffix = f" (requestId {self.request_id})" if self.request_id else ""
        return f"{self.code}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"KairoError(code={self.code!r}, outcome={self.outcome.value!r}, "
            f"status={self.status!r}, request_id={self.request_id!r})"
        )


# --- Classifying failures ------------------------------------------------------------------


def transport_error(exc: requests.RequestException | UnicodeError) -> KairoError:
    """Classify a requests exception by whether the request may have left this host."""
    if isinstance(exc, UnicodeError | requests.exceptions.InvalidHeader):
        # http.client encodes headers before sending anything.
        return KairoError(
            INVALID_CREDENTIALS,
            "KAIRO_API_KEY or KAIRO_API_SECRET contains characters that cannot be sent "
            "in an HTTP header; nothing was sent.",
            outcome=KairoOutcome.CONFIGURATION,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return KairoError(
            TLS_ERROR,
            "Could not open a secure connection to Kairo Connect (certificate or TLS "
            "problem); check KAIRO_BASE_URL.",
            outcome=KairoOutcome.CONFIGURATION,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or nothing_sent(exc):
        return KairoError(
            CONNECTION_FAILED,
            "Could not connect to Kairo Connect; nothing was sent. Try again later, and "
            "check KAIRO_BASE_URL if it persists.",
            outcome=KairoOutcome.REJECTED,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return KairoError(
            TIMEOUT,
            "Kairo Connect did not answer in time; it may or may not have acted.",
            outcome=KairoOutcome.UNKNOWN,
        )
    if isinstance(
        exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
    ):
        return KairoError(
            CONNECTION_LOST,
            "The connection to Kairo Connect broke before its answer arrived; it may or "
            "may not have acted.",
            outcome=KairoOutcome.UNKNOWN,
        )
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return KairoError(
            INVALID_BASE_URL,
            "The Kairo Connect base URL cannot be used as given; check KAIRO_BASE_URL.",
            outcome=KairoOutcome.CONFIGURATION,
        )
    # Anything else requests raises: we cannot prove nothing was sent.
    return KairoError(
        CONNECTION_LOST,
        "The call to Kairo Connect failed; it may or may not have acted.",
        outcome=KairoOutcome.UNKNOWN,
    )


def nothing_sent(exc: BaseException) -> bool:
    """True when the failure happened while opening the connection (refused, DNS name
    not resolved, connect timeout), so no byte of the request left this host."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        # NameResolutionError is a NewConnectionError subclass in urllib3 2.
        if isinstance(current, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(current, MaxRetryError) and current.reason is not None:
            stack.append(current.reason)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return False


def http_error(
    response: requests.Response, envelope: dict[str, Any] | None, request_id: str
) -> KairoError:
    """The KairoError for a non-2xx answer. Kairo's own code and message win when it sent
    the error envelope, except where ours is the actionable one (a wrong base URL)."""
    status = response.status_code
    error = envelope.get("error") if envelope else None
    error = error if isinstance(error, dict) else {}
    body_code = error.get("code") if isinstance(error.get("code"), str) else None
    body_message = error.get("message") if isinstance(error.get("message"), str) else None
    extra: dict[str, Any] = {}

    if status == 401:
        # Contract "Errors": API_KEY_INVALID. Never retried: it cannot fix itself.
        code, message = contract.ERROR_API_KEY_INVALID, "Kairo Connect refused the credentials."
        outcome = KairoOutcome.CONFIGURATION
    elif status == 403:
        code, message = FORBIDDEN, "Kairo Connect refused this call for these credentials."
        outcome = KairoOutcome.CONFIGURATION
    elif 300 <= status < 400:
        code, body_code = REDIRECTED, None
        message = "Kairo Connect answered with a redirect; check KAIRO_BASE_URL (https, path)."
        outcome = KairoOutcome.CONFIGURATION
    elif status == 404 and body_code == contract.ERROR_CONSULTATION_NOT_FOUND:
        code, message = body_code, "Kairo Connect does not know this consultation."
        outcome = KairoOutcome.REJECTED
    elif status in (404, 405):
        # Every route of contract "Endpoints" exists, so a 404/405 of any other kind
        # (often an HTML page) means KAIRO_BASE_URL points somewhere else. Nothing was
        # acted on.
        code, body_code, body_message = ENDPOINT_NOT_FOUND, None, None
        message = "The Kairo Connect address does not offer this API; check KAIRO_BASE_URL."
        outcome = KairoOutcome.CONFIGURATION
    elif status == 409:
        # Contract "Errors": PROVIDER_NOT_AVAILABLE / PATIENT_NOT_AVAILABLE.
        party = {
            contract.ERROR_PROVIDER_NOT_AVAILABLE: "provider",
            contract.ERROR_PATIENT_NOT_AVAILABLE: "patient",
        }.get(body_code or "")
        extra["party"] = party
        code = "CONFLICT"
        message = f"Kairo Connect reports that the {party or 'slot'} is not available then."
        outcome = KairoOutcome.REJECTED
    elif status == 429:
        extra["retry_after"] = retry_after_seconds(
            response.headers.get(contract.HEADER_RETRY_AFTER)
        )
        code = contract.ERROR_RATE_LIMITED
        message = "Too many calls to Kairo Connect in the last hour; try again later."
        outcome = KairoOutcome.REJECTED
    elif 400 <= status < 500:
        code, message = f"HTTP_{status}", "Kairo Connect refused the request."
        outcome = KairoOutcome.REJECTED
    else:
        code = SERVER_ERROR
        message = "Kairo Connect had an internal error; it may or may not have acted."
        outcome = KairoOutcome.UNKNOWN
    return KairoError(
        body_code or code,
        body_message or message,
        outcome=outcome,
        status=status,
        request_id=request_id,
        field_errors=field_errors(error.get("details")),
        **extra,
    )


# --- Reading the envelope ------------------------------------------------------------------


def read_envelope(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def envelope_request_id(envelope: dict[str, Any] | None) -> str:
    metadata = envelope.get("metadata") if envelope else None
    if isinstance(metadata, dict) and isinstance(metadata.get("requestId"), str | int):
        return str(metadata["requestId"])
    return ""


def field_errors(details: Any) -> dict[str, list[str]]:
    """Contract "Envelope": `details` is unspecified. The sandbox sends {path: [msg]};
    a string, a list, or a list of {"field", "message"} objects is read too."""
    result: dict[str, list[str]] = {}

    def add(key: Any, message: Any) -> None:
        result.setdefault(str(key) if key else NON_FIELD_ERRORS, []).append(str(message))

    if isinstance(details, dict):
        for key, value in details.items():
            for message in value if isinstance(value, list) else [value]:
                add(key, message)
    elif isinstance(details, list):
        for item in details:
            if isinstance(item, dict):
                key = item.get("field", item.get("path"))
                add(key, item.get("message", item.get("msg", "")))
            else:
                add(None, item)
    elif isinstance(details, str) and details:
        add(None, details)
    return result


def int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after_seconds(value: str | None) -> int | None:
    if value is None:
        return None
    seconds = int_header(value.strip())
    if seconds is not None:
        return max(seconds, 0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(int(when.timestamp() - time.time()), 0)
