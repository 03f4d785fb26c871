"""`KairoClient`: one Kairo Connect environment, one `requests.Session`.

See the package docstring for the outcome table. Only this class formats and parses
`yyyy-MM-dd HH:mm` in the organization's time zone; `from_settings()` is the one place
that reads Django settings.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from consultations.kairo import contract
from consultations.kairo.client.call_log import (
    answer_log,
    failure_log,
    retry_log,
    unreadable_answer_log,
)
from consultations.kairo.client.errors import (
    MALFORMED_RESPONSE,
    KairoError,
    KairoOutcome,
    envelope_request_id,
    http_error,
    int_header,
    read_envelope,
    transport_error,
)
from consultations.kairo.client.payload import create_body, query_params
from consultations.kairo.client.reading import Malformed, Reply, ResultReader
from consultations.kairo.client.retries import Deadline, RetryBudget
from consultations.kairo.client.values import (
    Consultation,
    CreateConsultationRequest,
    OrganizationProfile,
    RemoteProvider,
)

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

    `budget` (seconds, None = none) bounds each call as a whole, attempts and waits
    together (`retries.Deadline`): no retry starts that the budget cannot hold, and each
    attempt's timeouts are shortened to what is left of it. `monotonic` is the clock the
    budget is measured on (injectable, like `sleep`).
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
        budget: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
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
        self.budget = budget
        self._monotonic = monotonic
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
            "budget": settings.KAIRO_REQUEST_BUDGET_SECONDS,
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
        return create_body(request, scheduled_at=self.format_datetime)

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
        reply = self._call("GET", "/providers", params=query_params(filters))
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
            unreadable_answer_log(method, str(exc), error)
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
        (`RetryBudget.delay` decides) and only within the call's time budget
        (`Deadline`), logging every attempt (`call_log`).

        The retries are this loop's, not urllib3's `Retry` on the HTTPAdapter, which
        would make the client no smaller and lose what operators rely on: it never
        reaches the in-process sandbox (mounted as an adapter of its own), it retries
        inside the adapter, out of sight of the per-attempt log lines with each
        answer's requestId and of the injected `sleep`, and it waits out any
        `Retry-After` instead of giving up beyond `max_retry_after`."""
        url = self.base_url + path
        data = None
        headers: dict[str, str] = {}
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        budget = RetryBudget(
            connect_retries=self.connect_retries,
            get_retries=self.get_retries,
            backoff_base=self.backoff_base,
            max_retry_after=self.max_retry_after,
        )
        deadline = Deadline(self.budget, self._monotonic)
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
                        timeout=deadline.timeout(*self.timeout),
                        allow_redirects=False,  # a redirected POST would turn into a GET
                    )
                except (requests.RequestException, UnicodeError) as exc:
                    raise transport_error(exc) from exc
                return self._read(method, path, response, (time.monotonic() - started) * 1000)
            except KairoError as error:
                elapsed_ms = (time.monotonic() - started) * 1000
                delay = budget.delay(method, error)
                if delay is not None and not deadline.allows(delay):
                    delay = None  # out of time: the answer is this attempt's
                if delay is None:
                    failure_log(method, path, error, ms=elapsed_ms)
                    raise
                retry_log(method, path, error, ms=elapsed_ms, delay=delay)
                self._sleep(delay)

    def _read(self, method: str, path: str, response: requests.Response, ms: float) -> Reply:
        remaining = int_header(response.headers.get(contract.HEADER_RATE_LIMIT_REMAINING))
        if remaining is not None:
            self.last_rate_limit_remaining = remaining
        envelope = read_envelope(response.content)
        request_id = envelope_request_id(envelope)
        status = response.status_code
        answer_log(method, path, status=status, ms=ms, request_id=request_id, remaining=remaining)
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
