"""Step 3 of a booking: Kairo's answer recorded, with its requestId, in a second short
transaction (booked, refused, or unknown and held for a person, the webhook or a
refresh to settle)."""

from __future__ import annotations

import copy
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

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
    before = booking_confirm_apply(consultation, remote)
    consultation.save()
    booking_deliveries_schedule(consultation=consultation, previous_status=before)
    return before


def booking_confirm_apply(consultation: Consultation, remote: kairo.Consultation) -> str:
    """`booking_confirm`'s change to the instance (no save, no emails); return the
    status before."""
    before = consultation.status
    remote_apply(consultation, remote)
    if consultation.status in (Status.SENDING, Status.UNCONFIRMED):
        consultation.status = Status.BOOKED
    return before


# What `booking_confirm` reads of the stored row besides what it overwrites: while these
# are as step 1 wrote them, applying Kairo's answer to step 1's instance gives the very
# row that locking and reading it would.
_READ = (
    "status",
    "kairo_status",
    "scheduled_for",
    "starts_at",
    "ends_at",
    "calendar_sequence",
    "session_started_at",
    "provider_joined_at",
    "patient_joined_at",
    "call_quality",
)
# What `booking_confirm` may write (`remote_apply`, the status), and the update stamp.
_WRITTEN = (
    *_READ,
    "kairo_consultation_id",
    "access_pin",
    "patient_join_url",
    "provider_join_url",
    "kairo_expires_at",
    "kairo_last_request_id",
    "kairo_checked_at",
    "updated_at",
)


def booked_record(consultation: Consultation, result: kairo.Consultation) -> Consultation:
    """Record Kairo's booking of `consultation` (step 1's instance): booked, its emails
    queued once, its event. Usually in one conditional UPDATE (`_booked_as_sent`); when
    the row has changed since step 1 (a webhook, the sweep, a cancel, this very step
    run again after a dropped connection), by locking and reading it first."""
    if consultation.status == Status.SENDING:
        try:
            recorded = _booked_as_sent(consultation, result)
        except IntegrityError:
            recorded = None  # an email row exists after all: rolled back, done the long way
        if recorded is not None:
            return recorded
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


def _booked_as_sent(consultation: Consultation, result: kairo.Consultation) -> Consultation | None:
    """`booked_record` for a row still exactly as step 1 left it (*sending*, every field
    `booking_confirm` reads unchanged): one UPDATE that both checks that and takes the
    row's lock, then the emails (no savepoint: none can exist for a booking that was
    still sending) and the event. None, with nothing written, when the row has changed."""
    current = copy.copy(consultation)  # step 1's instance stays as it was, for a retry
    unchanged = {name: getattr(consultation, name) for name in _READ}
    with transaction.atomic():
        before = booking_confirm_apply(current, result)
        current.updated_at = timezone.now()
        changed = Consultation.objects.filter(pk=current.pk, **unchanged).update(
            **{name: getattr(current, name) for name in _WRITTEN}
        )
        if not changed:
            return None
        booking_deliveries_schedule(consultation=current, previous_status=before, first=True)
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
