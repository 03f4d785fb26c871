"""The booking pages' queries: one consultation with everything shown, its timeline,
and a booking looked at again until its request to Kairo has ended."""

from __future__ import annotations

import time
import uuid

from django.db.models import QuerySet

from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Patient,
    document_number_normalize,
)

# The events that say how the booking itself ended (the result page explains the last).
OUTCOME_KINDS: tuple[str, ...] = (
    ConsultationEvent.Kind.BOOKED,
    ConsultationEvent.Kind.REJECTED,
    ConsultationEvent.Kind.UNCONFIRMED,
    ConsultationEvent.Kind.CONFIGURATION_ERROR,
    ConsultationEvent.Kind.STUCK_SWEPT,
)


def patient_by_document(
    *, document_type: str, document_number: str, lock: bool = False
) -> Patient | None:
    """The patient with this identity (document type + number), matched as stored;
    with `lock`, its row locked until the transaction ends (SELECT ... FOR UPDATE)."""
    # The one normalizer of document numbers, as the model field stores them.
    patients = Patient.objects.filter(
        document_type=document_type, document_number=document_number_normalize(document_number)
    )
    if lock:
        patients = patients.select_for_update()
    return patients.first()


def consultation_for_page(*, staff: bool = True) -> QuerySet[Consultation]:
    """Consultations with every related row a page shows, in one query; `staff` False
    leaves out who booked and who cancelled (the result page shows neither): two joins
    of the user table fewer, which roughly halves PostgreSQL's planning of this ten-table
    join, the costliest part of the read."""
    related = [
        "patient",
        "provider__professional_type",
        "provider__specialty",
        "consultation_type",
        "duration",
    ]
    if staff:
        related += ["booked_by", "cancelled_by"]
    return Consultation.objects.select_related(*related)


def consultation_for_token(token: str) -> Consultation | None:
    """The booking a form with this one-time token already made, if any (a malformed
    token names none)."""
    try:
        token_value = uuid.UUID(str(token))
    except ValueError:
        return None
    return Consultation.objects.filter(booking_token=token_value).first()


# How often a second submission of one booking form looks again at the booking the first
# is sending (a read by primary key).
SENDING_POLL_SECONDS = 0.2


def consultation_after_sending(*, consultation: Consultation, wait_seconds: float) -> Consultation:
    """`consultation` read again every SENDING_POLL_SECONDS until it has left *sending*
    (the request that sent it has recorded Kairo's answer), for at most `wait_seconds`;
    as it stands then if it has not. Outside any transaction, each read sees the latest
    commit."""
    deadline = time.monotonic() + wait_seconds
    current = consultation
    while current.status == ConsultationStatus.SENDING:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(SENDING_POLL_SECONDS, left))
        current = Consultation.objects.get(pk=consultation.pk)
    return current


def consultation_timeline(*, consultation: Consultation) -> list[ConsultationEvent]:
    """The consultation's events, oldest first, with who did each (one query)."""
    return list(consultation.events.select_related("actor").order_by("created_at", "id"))


def outcome_in(events: list[ConsultationEvent]) -> ConsultationEvent | None:
    """The latest event that says how the booking call ended, if any, from a timeline
    (`consultation_timeline`, oldest first)."""
    return next((event for event in reversed(events) if event.kind in OUTCOME_KINDS), None)


def booking_outcome(*, consultation: Consultation) -> ConsultationEvent | None:
    """The latest event that says how the booking call ended, if any (one query): what
    `outcome_in` finds in the whole timeline, for a page that shows no timeline."""
    return consultation.events.filter(kind__in=OUTCOME_KINDS).order_by("-created_at", "-id").first()


def consultation_needs_attention(*, consultation: Consultation) -> bool:
    """Whether the reconciliation flagged this booking for staff: unconfirmed, without
    Kairo's id, for longer than KAIRO_UNCONFIRMED_ATTENTION_MINUTES."""
    return consultation.events.filter(kind=ConsultationEvent.Kind.NEEDS_ATTENTION).exists()
