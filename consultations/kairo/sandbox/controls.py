"""The sandbox's controls: Python methods, and the same under `/_sandbox/` over HTTP.

`POST /_sandbox/reset`, `GET /_sandbox/stats`, `POST /_sandbox/faults`
{"fault", "times", "scope"}, `GET|POST /_sandbox/webhooks` {"url", "secret"},
`POST /_sandbox/consultations/{id}/events` {"event", "participant"}. They take the same
auth headers as the API and do not count against the rate limit.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from consultations.kairo import contract
from consultations.kairo.sandbox.state import state_forget
from consultations.kairo.sandbox.webhooks import WebhookDispatcher, WebhookTransport
from consultations.kairo.sandbox.wire import ConsultationRecord, SandboxError, invalid

FAULT_HEADER = "X-Sandbox-Fault"
# timeout/drop/malformed: act (create), then misbehave. 500/502/429: answer at once,
# without acting.
FAULTS: tuple[str, ...] = ("timeout", "drop", "500", "502", "429", "malformed")
# "create": only POST /consultations (the default); "any": any API request.
FAULT_SCOPES: tuple[str, ...] = ("create", "any")

# docs/kairo-connect-api.md "Lifecycle": Pending -> InProgress -> Completed, or
# Pending -> Expired.
_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    contract.EVENT_SESSION_STARTED: (contract.STATUS_PENDING, contract.STATUS_IN_PROGRESS),
    contract.EVENT_SESSION_ENDED: (contract.STATUS_IN_PROGRESS,),
    contract.EVENT_CONSULTATION_COMPLETED: (contract.STATUS_IN_PROGRESS,),
    contract.EVENT_CONSULTATION_EXPIRED: (contract.STATUS_PENDING,),
    contract.EVENT_CONSULTATION_CREATED: contract.WIRE_STATUSES,  # a re-delivery
}


class ControlsMixin:
    """Controls for `KairoSandbox`, which provides the state and the helpers annotated
    here."""

    _lock: threading.RLock
    _consultations: dict[uuid.UUID, ConsultationRecord]
    _providers: dict[tuple[str, str], dict[str, Any]]
    _armed: list[list[Any]]
    _requests_received: int
    _creates_received: int
    _changed: bool
    state_file: str
    clock: Callable[[], datetime]
    webhooks: WebhookDispatcher
    _clear: Callable[[], None]
    _save_if_changed: Callable[[], None]
    _remaining: Callable[[datetime], int]
    _find: Callable[[uuid.UUID | str], ConsultationRecord]
    _send_webhook: Callable[[str, ConsultationRecord, datetime, str | None], None]
    _detail_data: Callable[[ConsultationRecord], dict[str, Any]]
    _allow: Callable[[str, str], None]

    def reset(self) -> None:
        """Forget everything: consultations, providers, counters, faults, deliveries, and
        the state file."""
        with self._lock:
            self._clear()
            self.webhooks.reset()
            if self.state_file:
                state_forget(self.state_file)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            statuses: dict[str, int] = {}
            for record in self._consultations.values():
                statuses[record.status] = statuses.get(record.status, 0) + 1
            return {
                "requestsReceived": self._requests_received,
                "createsReceived": self._creates_received,
                "consultations": len(self._consultations),
                "consultationsByStatus": statuses,
                "providers": len(self._providers),
                "rateLimitRemaining": self._remaining(self.clock()),
                "armedFaults": [{"fault": f, "times": n, "scope": s} for f, n, s in self._armed],
                "webhooksPending": self.webhooks.pending,
            }

    def arm_fault(self, fault: str, times: int = 1, scope: str = "create") -> None:
        """Make the next `times` create requests (scope "any": any API request) behave
        as if they carried `X-Sandbox-Fault: <fault>`."""
        if fault not in FAULTS:
            raise invalid("fault", f"Must be one of {', '.join(FAULTS)}.")
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise invalid("times", "Must be a positive integer.")
        if scope not in FAULT_SCOPES:
            raise invalid("scope", f"Must be one of {', '.join(FAULT_SCOPES)}.")
        with self._lock:
            self._armed.append([fault, times, scope])

    def configure_webhooks(
        self, url: str, secret: str, transport: WebhookTransport | None = None
    ) -> None:
        """Deliver future events to `url` signed with `secret` (empty url: stop)."""
        self.webhooks.configure(url=url, secret=secret, transport=transport)

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is queued or being retried; False on timeout."""
        return self.webhooks.wait_idle(timeout)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self.webhooks.deliveries()

    def session_view(self, consultation_id: uuid.UUID | str) -> dict[str, Any] | None:
        """What a rehearsal tool needs to offer the next lifecycle step: the
        consultation's status and who joined and who left, or None when unknown."""
        with self._lock:
            try:
                record = self._find(consultation_id)
            except SandboxError:
                return None
            return {
                "status": record.status,
                "joined": [
                    p for p in contract.WEBHOOK_PARTICIPANTS if f"{p}JoinedAt" in record.session
                ],
                "left": [
                    p for p in contract.WEBHOOK_PARTICIPANTS if f"{p}LeftAt" in record.session
                ],
            }

    def trigger(
        self, consultation_id: uuid.UUID | str, event: str, participant: str | None = None
    ) -> dict[str, Any]:
        """Play a lifecycle event and send its webhook; returns the detail `data`.

        session_started (Pending/InProgress -> InProgress), session_ended (InProgress,
        for a participant who joined),
        consultation.completed (InProgress -> Completed), consultation.expired
        (Pending -> Expired), consultation.created (re-sends the created event as a new
        delivery). Raises SandboxError: 404 unknown id, 400 bad event/participant, 409
        a transition the lifecycle does not allow.
        """
        with self._lock:
            now = self.clock().astimezone(UTC)
            record = self._find(consultation_id)
            if event not in contract.WEBHOOK_EVENTS:
                raise invalid("event", f"Must be one of {', '.join(contract.WEBHOOK_EVENTS)}.")
            session_event = event in (contract.EVENT_SESSION_STARTED, contract.EVENT_SESSION_ENDED)
            if session_event and participant not in contract.WEBHOOK_PARTICIPANTS:
                raise invalid("participant", "Must be patient or provider.")
            allowed_from = _ALLOWED_FROM[event]
            if record.status not in allowed_from:
                raise SandboxError(
                    409,
                    "INVALID_TRANSITION",
                    "Not allowed in this status.",
                    {"event": [f"Not allowed while {record.status}."]},
                )
            if event == contract.EVENT_SESSION_ENDED and f"{participant}JoinedAt" not in (
                record.session
            ):
                # Contract "Webhooks": session_ended is a participant leaving; one who
                # never joined cannot leave.
                raise SandboxError(
                    409,
                    "INVALID_TRANSITION",
                    "Not allowed in this status.",
                    {"participant": [f"The {participant} has not joined."]},
                )
            if event == contract.EVENT_SESSION_STARTED:
                record.status = contract.STATUS_IN_PROGRESS
                record.session.setdefault("startedAt", now)
                record.session.setdefault(f"{participant}JoinedAt", now)
            elif event == contract.EVENT_SESSION_ENDED:
                record.session[f"{participant}LeftAt"] = now
            elif event == contract.EVENT_CONSULTATION_COMPLETED:
                record.status = contract.STATUS_COMPLETED
                record.session.setdefault("callQuality", "good")
            elif event == contract.EVENT_CONSULTATION_EXPIRED:
                record.status = contract.STATUS_EXPIRED
            if event != contract.EVENT_CONSULTATION_CREATED:
                record.updated_at = now
                self._changed = True
                self._save_if_changed()
            self._send_webhook(event, record, now, participant if session_event else None)
            return self._detail_data(record)

    def _control(self, method: str, route: str, body: bytes) -> tuple[int, Any]:
        segments = route.strip("/").split("/")[1:]
        payload = self._json_object(body) if method == "POST" else {}
        if segments == ["reset"]:
            self._allow(method, "POST")
            self.reset()
            return 200, {"reset": True}
        if segments == ["stats"]:
            self._allow(method, "GET")
            return 200, self.stats()
        if segments == ["faults"]:
            self._allow(method, "POST")
            self.arm_fault(
                payload.get("fault", ""), payload.get("times", 1), payload.get("scope", "create")
            )
            return 200, {"armedFaults": self.stats()["armedFaults"]}
        if segments == ["webhooks"]:
            if method == "GET":
                return 200, {"deliveries": self.webhook_deliveries()}
            self._allow(method, "POST")
            url, secret = payload.get("url", ""), payload.get("secret", "")
            if not isinstance(url, str) or not isinstance(secret, str):
                raise invalid("url", "url and secret must be strings.")
            self.configure_webhooks(url, secret)
            return 200, {"url": url}
        if len(segments) == 3 and segments[0] == "consultations" and segments[2] == "events":
            self._allow(method, "POST")
            return 200, self.trigger(
                segments[1], payload.get("event", ""), payload.get("participant")
            )
        raise SandboxError(404, "NOT_FOUND", "No such sandbox control.")

    @staticmethod
    def _json_object(body: bytes) -> dict[str, Any]:
        try:
            value = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise invalid("body", "Must be a JSON object.")
        return value
