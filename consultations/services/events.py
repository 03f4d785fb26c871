"""The consultation's timeline, written: one `ConsultationEvent` per thing that happened
to a consultation, with the safe facts the services record in its `detail`.

`consultations.timeline` reads them back as sentences for the detail page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationEvent, Delivery


def event_record(
    consultation: Consultation,
    kind: str,
    *,
    actor: User | None = None,
    request_id: str = "",
    detail: dict[str, Any] | None = None,
) -> ConsultationEvent:
    """One timeline line. `detail` holds safe facts only: codes, statuses, field paths;
    never a PIN, a join link, a document, a phone or an email."""
    return ConsultationEvent.objects.create(
        consultation=consultation,
        kind=kind,
        actor=actor,
        kairo_request_id=request_id or "",
        detail=detail or {},
    )


def status_detail(before: str, after: Consultation, **extra: Any) -> dict[str, Any]:
    """An event's `detail` for a status: `from`/`to` when it changed from `before`, else
    `status`; plus the `extra` facts that are set."""
    detail: dict[str, Any] = {k: v for k, v in extra.items() if v}
    if before != after.status:
        detail["from"] = before
        detail["to"] = after.status
    else:
        detail["status"] = after.status
    return detail


def error_detail(error: kairo.KairoError) -> dict[str, Any]:
    """An event's `detail` for a Kairo refusal or failure: its code, outcome, HTTP status,
    the field paths it named and the party it found busy (never Kairo's messages)."""
    detail: dict[str, Any] = {"code": error.code, "outcome": error.outcome.value}
    if error.status is not None:
        detail["http_status"] = error.status
    if error.field_errors:
        detail["fields"] = sorted(error.field_errors)  # the paths, never the messages
    if error.party:
        detail["party"] = error.party
    return detail


def delivery_detail(delivery: Delivery, **extra: object) -> dict[str, object]:
    """An `email` event's `detail` for `delivery`: recipient, kind, state, attempts, the
    reminder's offset, the safe error of a failed one, and the `extra` facts. Never the
    address."""
    detail: dict[str, object] = {
        "recipient": delivery.recipient,
        "kind": delivery.kind,
        "state": delivery.state,
        "attempts": delivery.attempts,
    }
    if delivery.reminder_offset_minutes is not None:
        detail["minutes_before"] = delivery.reminder_offset_minutes
    if delivery.state == Delivery.State.FAILED and delivery.last_error:
        detail["error"] = delivery.last_error
    detail.update(extra)
    return detail
