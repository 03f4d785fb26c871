"""Applying Kairo Connect's webhooks (docs/kairo-connect-api.md "Webhooks", "Lifecycle").

One delivery, one transaction: the `WebhookDelivery` row (unique on Kairo's delivery id)
and its effects commit together, so a delivery seen before, even ten copies at once,
has its effect once. Events may come late, twice or out of order: a status only moves
forward (`kairo_mapping.PROGRESS`), a local cancellation stays, and the final statuses
(completed, expired) never move again.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from consultations.kairo import contract
from consultations.kairo.webhook_body import WebhookEnvelope
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    WebhookDelivery,
)
from consultations.services.events import event_record, status_detail
from consultations.services.kairo_mapping import PROGRESS

logger = logging.getLogger("consultations.webhooks")

Status = ConsultationStatus
Outcome = WebhookDelivery.Outcome

# What each event says of the consultation, in our statuses and in Kairo's.
_EVENT_STATUS: dict[str, tuple[str, str]] = {
    contract.EVENT_CONSULTATION_CREATED: (Status.BOOKED, contract.STATUS_PENDING),
    contract.EVENT_SESSION_STARTED: (Status.IN_PROGRESS, contract.STATUS_IN_PROGRESS),
    # A participant left: the session existed, so the consultation is at least in
    # progress; only consultation.completed closes it (contract "Lifecycle").
    contract.EVENT_SESSION_ENDED: (Status.IN_PROGRESS, contract.STATUS_IN_PROGRESS),
    contract.EVENT_CONSULTATION_COMPLETED: (Status.COMPLETED, contract.STATUS_COMPLETED),
    contract.EVENT_CONSULTATION_EXPIRED: (Status.EXPIRED, contract.STATUS_EXPIRED),
}
_KAIRO_PROGRESS: dict[str, int] = {
    contract.STATUS_PENDING: 1,
    contract.STATUS_IN_PROGRESS: 2,
    contract.STATUS_COMPLETED: 3,
    contract.STATUS_EXPIRED: 3,
}
_SESSION_EVENTS = (contract.EVENT_SESSION_STARTED, contract.EVENT_SESSION_ENDED)


def _stored_payload(body: dict[str, Any]) -> dict[str, Any]:
    """The body as stored: without the join links (`data.participantAccess`), which
    staff must never see outside the consultation's own page."""
    data = body.get("data")
    if isinstance(data, dict) and "participantAccess" in data:
        data = {key: value for key, value in data.items() if key != "participantAccess"}
        return {**body, "data": data}
    return body


def webhook_event_apply(*, delivery_id: str, envelope: WebhookEnvelope) -> WebhookDelivery:
    """Record delivery `delivery_id` and apply its event, in one transaction.

    A delivery id seen before returns the stored row and does nothing else. Unknown event names and consultation ids are
    stored with their outcome for staff, nothing else changes. Otherwise the
    consultation's status moves forward to what the event says, session events record
    who joined or left and when, and a `webhook` timeline event is written.
    """
    with transaction.atomic():
        # Concurrent copies of one delivery: the unique index makes all but one insert
        # wait for the first commit, then fail; get_or_create then reads the winner's row.
        delivery, created = WebhookDelivery.objects.get_or_create(
            delivery_id=delivery_id,
            defaults={
                "event": envelope.event[:100],
                "payload": _stored_payload(envelope.body),
                "outcome": Outcome.APPLIED,
            },
        )
        if not created:
            logger.info("kairo webhook delivery=%s seen before: not applied again", delivery_id)
            return delivery
        if envelope.event not in _EVENT_STATUS:
            delivery.outcome = Outcome.UNKNOWN_EVENT
        else:
            consultation = _consultation_locked(envelope.consultation_id)
            if consultation is None:
                delivery.outcome = Outcome.UNKNOWN_CONSULTATION
            else:
                _apply(consultation, envelope)
                delivery.consultation = consultation
        delivery.save(update_fields=["outcome", "consultation"])
    logger.info(
        "kairo webhook %s delivery=%s -> %s",
        envelope.event if envelope.event in _EVENT_STATUS else "(unknown event)",
        delivery_id,
        delivery.outcome,
    )
    return delivery


def _consultation_locked(kairo_id: str) -> Consultation | None:
    try:
        key = uuid.UUID(kairo_id)
    except ValueError:
        return None
    return Consultation.objects.select_for_update().filter(kairo_consultation_id=key).first()


def _apply(consultation: Consultation, envelope: WebhookEnvelope) -> None:
    before = consultation.status
    status, kairo_status = _EVENT_STATUS[envelope.event]
    if consultation.status in PROGRESS and PROGRESS[status] > PROGRESS[consultation.status]:
        consultation.status = status
    # Kairo's own status moves forward too: a cancelled consultation's window is released
    # once Kairo says it is over (`Consultation.held_by_kairo`).
    if _KAIRO_PROGRESS[kairo_status] > _KAIRO_PROGRESS.get(consultation.kairo_status, 0):
        consultation.kairo_status = kairo_status
    extra: dict[str, Any] = {"event": envelope.event}
    if envelope.event in _SESSION_EVENTS:
        participant = envelope.participant
        moment = envelope.occurred_at() or timezone.now()
        if participant in contract.WEBHOOK_PARTICIPANTS:
            extra["participant"] = participant
        extra["at"] = moment.isoformat()
        if envelope.event == contract.EVENT_SESSION_STARTED:
            _joined(consultation, participant, moment)
    consultation.save()
    event_record(
        consultation,
        ConsultationEvent.Kind.WEBHOOK,
        detail=status_detail(before, consultation, **extra),
    )


def _joined(consultation: Consultation, participant: str, moment: Any) -> None:
    """The earliest join of each participant, and of the session, is kept."""
    if consultation.session_started_at is None or moment < consultation.session_started_at:
        consultation.session_started_at = moment
    field = {"patient": "patient_joined_at", "provider": "provider_joined_at"}.get(participant)
    if field is not None:
        current = getattr(consultation, field)
        if current is None or moment < current:
            setattr(consultation, field, moment)
