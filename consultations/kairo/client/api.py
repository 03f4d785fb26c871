"""`KairoClient`: one Kairo Connect environment, one `requests.Session`.

See the package docstring for the outcome table. Only this class formats and parses
`yyyy-MM-dd HH:mm` in the organization's time zone; `from_settings()` is the one place
that reads Django settings.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from consultations.kairo import contract
from consultations.kairo.client.errors import (
    CONNECTION_FAILED,
    CONNECTION_LOST,
    MALFORMED_RESPONSE,
    TIMEOUT,
    KairoError,
    KairoOutcome,
    envelope_request_id,
    http_error,
    int_header,
    read_envelope,
    transport_error,
)
from consultations.kairo.client.reading import Malformed, Reply, ResultReader
from consultations.kairo.client.values import (
    Consultation,
    CreateConsultationRequest,
    OrganizationProfile,
    RemoteProvider,
)

logger = logging.getLogger("consultations.kairo")

T = TypeVar("T")


class KairoClient:
    """Talks to one Kairo Connect environment. Safe to reuse across calls.

    `timezone` is the organization's (Kairo's) zone: every wall time is read and
    written in it. `connect_timeout` / `read_timeout` go on every call. Failures before
    anything was sent are retried `connect_retries` times with exponential backoff from
    `backoff_base` seconds, with jitter; GETs that may have reached Kairo are retried
    `get_retries` times, waiting out a 429's `Retry-After` only up to `max_retry_after`
    seconds. `transport` is mounted on `base_url` (the in-process sandbox uses it);
    `extra_headers` go on every request (e.g. `X-Sandbox-Fault` in tests); `sleep` is
    injectable so tests never really wait.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        timezone: str | ZoneInfo,
        connect_timeout: float,
        read_timeout: float,
        extra_headers: dict[str, str] | None = None,
        connect_retries: int = 3,
        backoff_base: float = 0.5,
        get_retries: int = 2,
        max_retry_after: float = 10.0,
        transport: BaseAdapter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timezone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        self.timeout = (connect_timeout, read_timeout)
        self.connect_retries = connect_retries
        self.backoff_base = backoff_base
        self.get_retries = get_retries
        self.max_retry_after = max_retry_after
        self.last_rate_limit_remaining: int | None = None
        self._sleep = sleep
        self._reader = ResultReader(self.parse_datetime)
        self.session = requests.Session()
        # Retries are ours alone: urllib3 must never re-send anything by itself.
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, HTTPAdapter(max_retries=0))
        if transport is not None:
            self.session.mount(self.base_url, transport)
        self.session.headers.update(
            {
                contract.HEADER_API_KEY: api_key,
                contract.HEADER_API_SECRET: api_secret,
                "Accept": "application/json",
                "User-Agent": "kairo-clinic-desk",
            }
        )
        self.session.headers.update(extra_headers or {})

    @classmethod
    def from_settings(cls, **overrides: Any) -> KairoClient:
        """A client for the configured environment. An empty `KAIRO_BASE_URL` routes the
        session to the in-process sandbox (`sandbox.default_sandbox()`): no socket."""
        from django.conf import settings

        kwargs: dict[str, Any] = {
            "base_url": settings.KAIRO_BASE_URL,
            "api_key": settings.KAIRO_API_KEY,
            "api_secret": settings.KAIRO_API_SECRET,
            "timezone": settings.ORGANIZATION_TIME_ZONE,
            "connect_timeout": settings.KAIRO_CONNECT_TIMEOUT,
            "read_timeout": settings.KAIRO_TIMEOUT,
        }
        if not settings.KAIRO_BASE_URL:
            from consultations.kairo.sandbox import SANDBOX_BASE_URL, SandboxAdapter

            kwargs["base_url"] = SANDBOX_BASE_URL
            kwargs["transport"] = SandboxAdapter()
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def uses_in_process_sandbox(self) -> bool:
        from consultations.kairo.sandbox import SANDBOX_BASE_URL

        return self.base_url == SANDBOX_BASE_URL

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> KairoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- Dates: the only place that speaks `yyyy-MM-dd HH:mm` ------------------------------

    def format_datetime(self, value: datetime) -> str:
        """`value` (aware, on a whole minute) as wall time in the organization's zone.

        Raises ValueError for a naive datetime, one with seconds (the wire has minute
        precision, and silently dropping seconds would move the appointment), or the
        second pass through a repeated wall-clock hour (fall-back night).
        """
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("Kairo datetimes must be timezone-aware.")
        local = value.astimezone(self.timezone)
        if local.second or local.microsecond:
            raise ValueError("Kairo schedules on whole minutes; this datetime has seconds.")
        wire = local.strftime(contract.WIRE_DATETIME_FORMAT)
        # In the hour repeated when clocks go back, a wall time names two instants and
        # is read as the first; refuse the second rather than book an hour early.
        if self.parse_datetime(wire) != value.astimezone(UTC):
            raise ValueError(
                "This time falls in the repeated hour of a daylight-saving change and "
                "cannot be expressed unambiguously in Kairo's wall-time format."
            )
        return wire

    def parse_datetime(self, value: str) -> datetime:
        """The instant named by Kairo's wall time in the organization's zone, as an aware
        datetime in UTC.

        UTC, not the organization's zone: Python compares two aware datetimes of
        different zones as unequal whenever one falls in a repeated (fall-back) hour
        (PEP 495), which would make "is this the time we booked?" fail once a year.
        Tolerant: ISO 8601 is accepted too (with its own offset, or in the organization's
        zone when it has none). Raises ValueError when neither reading works.
        """
        if not isinstance(value, str):
            raise ValueError("not a string")
        try:
            parsed = datetime.strptime(value, contract.WIRE_DATETIME_FORMAT)  # noqa: DTZ007
        except ValueError:
            parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.timezone)
        return parsed.astimezone(UTC)

    # --- Endpoints ---------------------------------------------------------------------

    def payload_for(self, request: CreateConsultationRequest) -> dict[str, Any]:
        """The exact JSON body `create_consultation` sends (store it before sending).

        Raises ValueError for a naive or non-whole-minute `scheduled_at`.
        """
        provider = request.provider
        provider_body: dict[str, Any] = {
            "name": provider.name,
            "documentType": provider.document_type,
            "documentNumber": provider.document_number,
            "professionalType": provider.professional_type,
            "phone": provider.phone,
            "email": provider.email,
        }
        # Contract: the specialty must be absent for every non-specialist type.
        if provider.medical_specialty_code:
            provider_body["medicalSpecialtyCode"] = provider.medical_specialty_code
        if provider.professional_license:
            provider_body["professionalLicense"] = provider.professional_license
        patient = request.patient
        body: dict[str, Any] = {
            "provider": provider_body,
            "patient": {
                "documentType": patient.document_type,
                "documentNumber": patient.document_number,
                "name": patient.name,
                "phone": patient.phone,
                "email": patient.email,
            },
            "consultationType": request.consultation_type,
            # Contract (Decision): always sent, although the guide once says it defaults.
            "durationMinutes": request.duration_minutes,
        }
        if request.scheduled_at is not None:
            body["scheduledAt"] = self.format_datetime(request.scheduled_at)
        return body

    def create_consultation(self, request: CreateConsultationRequest) -> Consultation:
        """POST /consultations, sent at most once.

        Returns the created `Consultation`. Raises `KairoError`: outcome `rejected` (with
        `field_errors`, or `party` for a 409), `configuration`, or `unknown` when Kairo
        may have created it (timeout, lost connection, 5xx, unreadable answer).
        """
        reply = self._call("POST", "/consultations", body=self.payload_for(request))
        return self._result(self._reader.consultation, reply, "POST")

    def get_consultation(self, consultation_id: uuid.UUID | str) -> Consultation:
        """GET /consultations/{id}. Returns the `Consultation`; raises `KairoError`
        (`CONSULTATION_NOT_FOUND` is rejected). Transient failures are retried.
        Raises ValueError when `consultation_id` is not a UUID (nothing is sent)."""
        consultation_id = uuid.UUID(str(consultation_id))
        reply = self._call("GET", f"/consultations/{consultation_id}")
        return self._result(self._reader.consultation, reply, "GET")

    def list_providers(self, **filters: Any) -> list[RemoteProvider]:
        """GET /providers. Filters are given in snake_case (`document_number=...`) and
        sent as camelCase query parameters; None values are left out. Returns the
        providers; raises KairoError."""
        params = {_camel(name): value for name, value in filters.items() if value is not None}
        reply = self._call("GET", "/providers", params=params)
        return self._result(self._reader.providers, reply, "GET")

    def organization_profile(self) -> OrganizationProfile:
        """GET /organizations/profile. Returns name, time zone, requestId and the
        remaining rate limit. Raises KairoError."""
        reply = self._call("GET", "/organizations/profile")
        return self._result(self._reader.organization_profile, reply, "GET")

    # --- Reading results ---------------------------------------------------------------

    def _result(self, read: Callable[[Reply], T], reply: Reply, method: str) -> T:
        try:
            return read(reply)
        except Malformed as exc:
            # A 200 whose data we cannot read: for a create, Kairo did act but we do not
            # know what it made, so the booking must stay "unknown".
            error = KairoError(
                MALFORMED_RESPONSE,
                f"Kairo Connect answered, but its '{exc}' field is missing or has the wrong type.",
                outcome=KairoOutcome.UNKNOWN,
                status=200,
                request_id=reply.request_id,
            )
            logger.warning(
                "Kairo %s answer unreadable: field %s requestId=%s",
                method,
                exc,
                reply.request_id,
                extra={"kairo_request_id": reply.request_id, "kairo_error_code": error.code},
            )
            raise error from None

    # --- The one place that talks HTTP -------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send one request; retry only where that cannot create anything twice
        (`_retry_delay` decides)."""
        url = self.base_url + path
        data = None
        headers: dict[str, str] = {}
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        attempts = _Attempts()
        while True:
            started = time.monotonic()
            try:
                try:
                    response = self.session.request(
                        method,
                        url,
                        data=data,
                        params=params,
                        headers=headers,
                        timeout=self.timeout,
                        allow_redirects=False,  # a redirected POST would turn into a GET
                    )
                except (requests.RequestException, UnicodeError) as exc:
                    raise transport_error(exc) from exc
                return self._read(method, path, response, (time.monotonic() - started) * 1000)
            except KairoError as error:
                elapsed_ms = (time.monotonic() - started) * 1000
                delay = self._retry_delay(method, error, attempts)
                if delay is None:
                    self._log_failure(method, path, error, elapsed_ms)
                    raise
                self._log_retry(method, path, error, elapsed_ms, delay)
                self._sleep(delay)

    def _retry_delay(self, method: str, error: KairoError, attempts: _Attempts) -> float | None:
        """Seconds to wait before trying again, or None to give up; counts the retry.

        - Nothing sent (refused, DNS, connect timeout): any method, `connect_retries`
          times, with backoff and jitter; then rejected.
        - Maybe sent (read timeout, connection lost, 5xx, 429): a POST is never re-sent,
          since Kairo may have created the consultation; a GET is retried `get_retries`
          times (a 429 after its `Retry-After`, only within `max_retry_after`).
        """
        if error.code == CONNECTION_FAILED:
            if attempts.connect_failures >= self.connect_retries:
                return None
            attempts.connect_failures += 1
            return self._backoff(attempts.connect_failures)
        if method != "GET" or attempts.repeats >= self.get_retries:
            return None
        if error.code == contract.ERROR_RATE_LIMITED:
            worth_waiting = error.retry_after is None or error.retry_after <= self.max_retry_after
        else:
            worth_waiting = error.code in (TIMEOUT, CONNECTION_LOST) or (
                error.status is not None and error.status >= 500
            )
        if not worth_waiting:
            return None
        attempts.repeats += 1
        if error.retry_after is not None:
            return float(error.retry_after)
        return self._backoff(attempts.repeats)

    def _backoff(self, attempt: int) -> float:
        # Exponential with "equal jitter": half fixed, half random, so clients that failed
        # together do not come back together.
        ceiling = self.backoff_base * 2 ** (attempt - 1)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _read(self, method: str, path: str, response: requests.Response, ms: float) -> Reply:
        remaining = int_header(response.headers.get(contract.HEADER_RATE_LIMIT_REMAINING))
        if remaining is not None:
            self.last_rate_limit_remaining = remaining
        envelope = read_envelope(response.content)
        request_id = envelope_request_id(envelope)
        status = response.status_code
        logger.info(
            "Kairo %s %s -> %s in %.0f ms requestId=%s rateLimitRemaining=%s",
            method,
            path,
            status,
            ms,
            request_id or "-",
            "-" if remaining is None else remaining,
            extra={
                "kairo_endpoint": f"{method} {path}",
                "kairo_status": status,
                "kairo_duration_ms": round(ms),
                "kairo_request_id": request_id,
                "kairo_rate_limit_remaining": remaining,
            },
        )
        if 200 <= status < 300:
            if envelope is None or envelope.get("success") is not True or "data" not in envelope:
                raise KairoError(
                    MALFORMED_RESPONSE,
                    "Kairo Connect's answer was not in its usual format; it may or may not "
                    "have acted. Check KAIRO_BASE_URL if this keeps happening.",
                    outcome=KairoOutcome.UNKNOWN,
                    status=status,
                    request_id=request_id,
                )
            return Reply(envelope["data"], request_id, remaining)
        raise http_error(response, envelope, request_id)

    def _log_retry(
        self, method: str, path: str, error: KairoError, ms: float, delay: float
    ) -> None:
        logger.warning(
            "Kairo %s %s failed (%s, requestId=%s) after %.0f ms; retrying in %.2f s",
            method,
            path,
            error.code,
            error.request_id or "-",
            ms,
            delay,
            extra={"kairo_endpoint": f"{method} {path}", "kairo_error_code": error.code},
        )

    def _log_failure(self, method: str, path: str, error: KairoError, ms: float) -> None:
        logger.warning(
            "Kairo %s %s failed: %s outcome=%s status=%s requestId=%s fields=%s in %.0f ms",
            method,
            path,
            error.code,
            error.outcome.value,
            error.status if error.status is not None else "-",
            error.request_id or "-",
            ",".join(sorted(error.field_errors)) or "-",  # field paths only, never values
            ms,
            extra={
                "kairo_endpoint": f"{method} {path}",
                "kairo_error_code": error.code,
                "kairo_outcome": error.outcome.value,
                "kairo_request_id": error.request_id,
            },
        )


@dataclass
class _Attempts:
    """What one `_call` has retried so far, by kind."""

    connect_failures: int = 0  # nothing was sent
    repeats: int = 0  # a GET sent again after it may have reached Kairo


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
