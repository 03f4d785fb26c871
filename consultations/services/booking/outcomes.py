"""Step 3 of a booking: Kairo's answer recorded, with its requestId, in a second short
transaction (booked, refused, or unknown and held for a person, the webhook or a
refresh to settle)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from consultations.services.deliveries import booking_deliveries_schedule
from consultations.services.events import error_detail, event_record, status_detail
from consultations.services.kairo_mapping import remote_apply

logger = logging.getLogger("consultations.booking")

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


def booking_confirm(consultation: Consultation, remote: kairo.Consultation) -> str:
    """Store what Kairo says of a booking it created (its id, PIN, links, expiry), move a
    sending or unconfirmed booking to booked, and schedule its join-link emails; return
    the status before. The caller holds the row lock and records the event."""
    before = consultation.status
    remote_apply(consultation, remote)
    if consultation.status in (Status.SENDING, Status.UNCONFIRMED):
        consultation.status = Status.BOOKED
    consultation.save()
    booking_deliveries_schedule(consultation=consultation, previous_status=before)
    return before


def booked_record(consultation: Consultation, result: kairo.Consultation) -> Consultation:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = booking_confirm(current, result)
        event_record(
            current,
            Kind.BOOKED,
            request_id=result.request_id,
            detail=status_detail(before, current, kairo_status=result.status),
        )
    return current


def refused_record(consultation: Consultation, error: kairo.KairoError) -> Consultation:
    configuration = error.outcome == kairo.KairoOutcome.CONFIGURATION
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        # Kairo made nothing: the attempt stays on record, the slot is free again.
        if current.status in (Status.SENDING, Status.UNCONFIRMED):
            current.status = Status.REJECTED
        current.kairo_last_request_id = error.request_id
        current.save()
        event_record(
            current,
            Kind.CONFIGURATION_ERROR if configuration else Kind.REJECTED,
            request_id=error.request_id,
            detail={
                **status_detail(before, current),
                **error_detail(error),
            },
        )
    if configuration:
        logger.error(
            "Kairo refused the clinic's configuration (%s, requestId=%s): check KAIRO_* settings",
            error.code,
            error.request_id or "-",
        )
    return current


def unknown_record(
    consultation: Consultation, *, detail: dict[str, Any], request_id: str
) -> Consultation:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        if current.status == Status.SENDING:
            current.status = Status.UNCONFIRMED
        if request_id:
            current.kairo_last_request_id = request_id
        current.save()
        event_record(
            current,
            Kind.UNCONFIRMED,
            request_id=request_id,
            detail={**status_detail(before, current), **detail},
        )
    return current
