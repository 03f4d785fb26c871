"""`KairoSandbox`: the contract (docs/kairo-connect-api.md) in memory, behind one
`handle()` call.

Pure request -> response logic, thread-safe (one lock around all state), with no
sockets: the in-process adapter and the HTTP server both call `handle()` and then act
out the response's `delay` and `after` ("timeout", "drop"). State lives in memory for
the life of the process and, with a `state_file`, in that file too (`state.py`).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from consultations.kairo import contract
from consultations.kairo.sandbox.clock import Clock, utc_now
from consultations.kairo.sandbox.controls import FAULT_HEADER, FAULTS, ControlsMixin
from consultations.kairo.sandbox.state import SandboxState, state_read, state_write
from consultations.kairo.sandbox.validation import Catalogs, validate_create
from consultations.kairo.sandbox.webhooks import WebhookDispatcher, WebhookTransport
from consultations.kairo.sandbox.wire import (
    ConsultationRecord,
    SandboxError,
    SandboxResponse,
    WireMixin,
    invalid,
)

SANDBOX_ORGANIZATION_NAME = "Clínica Sandbox"


class KairoSandbox(ControlsMixin, WireMixin):
    """The contract-faithful Kairo Connect simulator.

    State (consultations, providers, counters, the rate-limit window, armed faults,
    webhook deliveries) is held in memory for the life of the process; `reset()` clears
    it. One lock guards it all, so the threaded HTTP server may call `handle()` freely.

    With a `state_file`, the consultations (session data included), providers and
    counters are also written there after every change and read back at start, so a
    restart forgets nothing a client could ask about (`state.py`); `reset()` removes it.
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        api_secret: str = "sandbox-secret",  # noqa: S107 - the documented sandbox default
        timezone: str | ZoneInfo = "America/Bogota",
        organization_name: str = SANDBOX_ORGANIZATION_NAME,
        organization_id: str = "org-sandbox",
        clock: Clock = utc_now,
        latency_ms: int = 0,
        rate_limit: int = contract.RATE_LIMIT_PER_HOUR,
        fault_retry_after: int = 1,
        join_base_url: str = "https://meet.kairo-sandbox.invalid/room",
        catalogs: Catalogs | None = None,
        webhook_url: str = "",
        webhook_secret: str = "",
        webhook_retry_delays: Sequence[float] = (1.0, 5.0, 30.0),
        webhook_timeout: float = 30.0,
        webhook_transport: WebhookTransport | None = None,
        state_file: str = "",
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.timezone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        self.organization_name = organization_name
        self.organization_id = organization_id
        self.clock = clock
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.fault_retry_after = fault_retry_after
        self.join_base_url = join_base_url.rstrip("/")
        self.catalogs = catalogs or Catalogs.starter()
        self.webhooks = WebhookDispatcher(
            url=webhook_url,
            secret=webhook_secret,
            retry_delays=webhook_retry_delays,
            timeout=webhook_timeout,
            transport=webhook_transport,
        )
        self._lock = threading.RLock()
        self.state_file = state_file
        self._clear()
        self._load()

    @classmethod
    def from_settings(cls, **overrides: Any) -> KairoSandbox:
        """A sandbox configured from the KAIRO_SANDBOX_* settings; `overrides` win.

        clinic/settings.py defines every one of them with its default, so they are read
        as they are (an empty time zone there means the desk's own zone)."""
        from django.conf import settings

        kwargs: dict[str, Any] = {
            "api_key": settings.KAIRO_SANDBOX_API_KEY,
            "api_secret": settings.KAIRO_SANDBOX_API_SECRET,
            "timezone": settings.KAIRO_SANDBOX_TIME_ZONE or settings.ORGANIZATION_TIME_ZONE,
            "organization_name": settings.KAIRO_SANDBOX_ORGANIZATION_NAME,
            "latency_ms": settings.KAIRO_SANDBOX_LATENCY_MS,
            "rate_limit": settings.KAIRO_SANDBOX_RATE_LIMIT,
            "webhook_url": settings.KAIRO_SANDBOX_WEBHOOK_URL,
            "webhook_secret": settings.KAIRO_SANDBOX_WEBHOOK_SECRET,
            "state_file": settings.KAIRO_SANDBOX_STATE_FILE,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    def _clear(self) -> None:
        self._consultations: dict[uuid.UUID, ConsultationRecord] = {}
        self._providers: dict[tuple[str, str], dict[str, Any]] = {}
        self._window: deque[datetime] = deque()
        self._armed: list[list[Any]] = []  # [fault, times left, scope]
        self._requests_received = 0
        self._creates_received = 0
        self._changed = False  # since the state file was last written

    def _load(self) -> None:
        """The state kept in `state_file`, if any (an unreadable one: empty, warned)."""
        if not self.state_file:
            return
        kept = state_read(self.state_file)
        if kept is not None:
            self._consultations = kept.consultations
            self._providers = kept.providers
            self._requests_received = kept.requests_received
            self._creates_received = kept.creates_received

    def _save_if_changed(self) -> None:
        """Write the state file after a change (the caller holds the lock)."""
        if not (self.state_file and self._changed):
            return
        self._changed = False
        state_write(
            self.state_file,
            SandboxState(
                consultations=self._consultations,
                providers=self._providers,
                requests_received=self._requests_received,
                creates_received=self._creates_received,
            ),
        )

    # --- The one entry point -----------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> SandboxResponse:
        """Answer one HTTP request (path may carry a query string). Never raises."""
        method = method.upper()
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        parts = urlsplit(path)
        route = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            now = self.clock().astimezone(UTC)
            self._requests_received += 1
            try:
                self._authenticate(lowered)
                if route == "/_sandbox" or route.startswith("/_sandbox/"):
                    return self._answer(self._control(method, route, body or b""), now)
                return self._api(method, route, query, lowered, body or b"", now)
            except SandboxError as error:
                return self._error(error, now)
            finally:
                self._save_if_changed()

    # --- API -----------------------------------------------------------------------------

    def _api(
        self,
        method: str,
        route: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        now: datetime,
    ) -> SandboxResponse:
        # Contract "Access" (Decision): 1000 requests per hour, then 429 + Retry-After.
        self._prune_window(now)
        if len(self._window) >= self.rate_limit:
            oldest = self._window[0]
            wait = (oldest + contract.RATE_LIMIT_WINDOW - now).total_seconds()
            raise SandboxError(
                429,
                contract.ERROR_RATE_LIMITED,
                "Rate limit exceeded.",
                headers={contract.HEADER_RETRY_AFTER: str(max(1, int(wait + 0.999)))},
            )
        self._window.append(now)

        is_create = method == "POST" and route == "/consultations"
        if is_create:
            self._creates_received += 1
        fault = headers.get(FAULT_HEADER.lower(), "").strip().lower() or None
        if fault is not None and fault not in FAULTS:
            raise invalid(FAULT_HEADER, f"Must be one of {', '.join(FAULTS)}.")
        if fault is None:
            fault = self._take_armed_fault(is_create)
        self._expire_due(now)

        if fault == "500":
            raise SandboxError(500, "INTERNAL_ERROR", "Internal server error.")
        if fault == "502":
            html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            return self._raw(502, html, "text/html", now)
        if fault == "429":
            raise SandboxError(
                429,
                contract.ERROR_RATE_LIMITED,
                "Rate limit exceeded.",
                headers={contract.HEADER_RETRY_AFTER: str(self.fault_retry_after)},
            )
        try:
            response = self._answer(self._route(method, route, query, body, now), now)
        except SandboxError as error:
            response = self._error(error, now)
        if fault == "malformed":
            # 200, but the envelope cut in half: not JSON at all.
            half = response.body[: max(1, len(response.body) // 2)]
            response = replace(response, status=200, body=half)
        elif fault in ("timeout", "drop"):
            response = replace(response, after=fault)
        return response

    def _route(
        self, method: str, route: str, query: dict[str, str], body: bytes, now: datetime
    ) -> tuple[int, Any]:
        segments = route.strip("/").split("/")
        if route == "/consultations":
            self._allow(method, "POST")
            return 200, self._create(body, now)
        if len(segments) == 2 and segments[0] == "consultations":
            self._allow(method, "GET")
            return 200, self._detail_data(self._find(segments[1]))
        if route == "/providers":
            self._allow(method, "GET")
            return 200, self._list_providers(query)
        if route == "/organizations/profile":
            self._allow(method, "GET")
            return 200, self._profile_data()
        raise SandboxError(404, "NOT_FOUND", "No such endpoint.")

    @staticmethod
    def _allow(method: str, allowed: str) -> None:
        if method != allowed:
            raise SandboxError(405, "METHOD_NOT_ALLOWED", "Method not allowed.")

    def _create(self, body: bytes, now: datetime) -> dict[str, Any]:
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise invalid("body", "Must be a JSON object.") from None
        check = validate_create(payload, now=now, timezone=self.timezone, catalogs=self.catalogs)
        if check.errors:
            raise SandboxError(400, check.code, "Invalid data.", check.details)

        provider = payload["provider"]
        patient = payload["patient"]
        duration = payload["durationMinutes"]
        starts_at = check.scheduled_at or now  # immediate: from creation
        self._check_available(provider, patient, starts_at, duration)
        record = ConsultationRecord(
            consultation_id=uuid.uuid4(),
            access_pin=_new_pin(),
            room_token=secrets.token_urlsafe(16),
            provider=dict(provider),
            patient=dict(patient),
            consultation_type=payload["consultationType"],
            duration_minutes=duration,
            scheduled_at=check.scheduled_at,
            starts_at=starts_at,
            created_at=now,
            updated_at=now,
        )
        self._consultations[record.consultation_id] = record
        self._register_provider(provider)
        self._changed = True
        self._send_webhook(contract.EVENT_CONSULTATION_CREATED, record, now)
        return self._create_data(record)

    def _check_available(
        self, provider: dict[str, Any], patient: dict[str, Any], starts_at: datetime, minutes: int
    ) -> None:
        """Contract "Errors" (Decision): 409 when the same provider, or the same patient
        (by document type + number), has a Pending or InProgress consultation whose
        [start, start + duration) intersects this one. Adjacent windows do not."""
        ends_at = starts_at + timedelta(minutes=minutes)
        for party, identity, code in (
            ("provider", provider, contract.ERROR_PROVIDER_NOT_AVAILABLE),
            ("patient", patient, contract.ERROR_PATIENT_NOT_AVAILABLE),
        ):
            key = (identity["documentType"], identity["documentNumber"])
            for other in self._consultations.values():
                theirs = getattr(other, party)
                if (
                    other.active
                    and (theirs["documentType"], theirs["documentNumber"]) == key
                    and other.starts_at < ends_at
                    and starts_at < other.ends_at
                ):
                    raise SandboxError(
                        409,
                        code,
                        f"The {party} is not available.",
                        {party: ["Has an overlapping consultation."]},
                    )

    def _list_providers(self, query: dict[str, str]) -> list[dict[str, Any]]:
        rows = list(self._providers.values())
        for name in ("documentType", "documentNumber", "professionalType", "specialtyCode"):
            if name in query:
                rows = [row for row in rows if row.get(name) == query[name]]
        if "name" in query:
            needle = query["name"].casefold()
            rows = [row for row in rows if needle in row["name"].casefold()]
        return [dict(row) for row in rows]

    # --- Helpers -------------------------------------------------------------------------

    def _authenticate(self, headers: dict[str, str]) -> None:
        """Contract "Errors": 401 API_KEY_INVALID with one of three messages."""
        key = headers.get(contract.HEADER_API_KEY.lower(), "")
        secret = headers.get(contract.HEADER_API_SECRET.lower(), "")
        if not key:
            raise SandboxError(
                401, contract.ERROR_API_KEY_INVALID, contract.AUTH_MESSAGE_KEY_REQUIRED
            )
        if not secret:
            raise SandboxError(
                401, contract.ERROR_API_KEY_INVALID, contract.AUTH_MESSAGE_SECRET_REQUIRED
            )
        key_ok = secrets.compare_digest(key.encode(), self.api_key.encode())
        secret_ok = secrets.compare_digest(secret.encode(), self.api_secret.encode())
        if not (key_ok and secret_ok):
            raise SandboxError(401, contract.ERROR_API_KEY_INVALID, contract.AUTH_MESSAGE_INVALID)

    def _find(self, consultation_id: uuid.UUID | str) -> ConsultationRecord:
        try:
            record = self._consultations.get(uuid.UUID(str(consultation_id)))
        except ValueError:
            record = None
        if record is None:
            raise SandboxError(
                404, contract.ERROR_CONSULTATION_NOT_FOUND, "Consultation not found."
            )
        return record

    def _take_armed_fault(self, is_create: bool) -> str | None:
        for armed in self._armed:
            fault, _times, scope = armed
            if is_create or scope == "any":
                armed[1] -= 1
                if armed[1] <= 0:
                    self._armed.remove(armed)
                return fault
        return None

    def _expire_due(self, now: datetime) -> None:
        """Contract "Lifecycle": Pending -> Expired once its expiry passes unused."""
        for record in self._consultations.values():
            if record.status == contract.STATUS_PENDING and record.ends_at <= now:
                record.status = contract.STATUS_EXPIRED
                record.updated_at = now
                self._changed = True
                self._send_webhook(contract.EVENT_CONSULTATION_EXPIRED, record, now)

    def _prune_window(self, now: datetime) -> None:
        while self._window and self._window[0] <= now - contract.RATE_LIMIT_WINDOW:
            self._window.popleft()

    def _remaining(self, now: datetime) -> int:
        self._prune_window(now)
        return max(0, self.rate_limit - len(self._window))

    def _register_provider(self, provider: dict[str, Any]) -> None:
        key = (provider["documentType"], provider["documentNumber"])
        existing = self._providers.get(key)
        provider_id = existing["providerId"] if existing else str(uuid.uuid4())
        self._providers[key] = self._provider_row(provider, provider_id)

    def _send_webhook(
        self,
        event: str,
        record: ConsultationRecord,
        now: datetime,
        participant: str | None = None,
    ) -> None:
        if self.webhooks.enabled:
            self.webhooks.enqueue(event, self._webhook_body(event, record, now, participant))


def _new_pin() -> str:
    """Contract "Create a consultation": a 6-digit access PIN (leading zeros kept: it is a
    string)."""
    digits = contract.ACCESS_PIN_LENGTH
    return f"{secrets.randbelow(10**digits):0{digits}d}"
