"""The booking pages' queries: one consultation with everything shown, its timeline."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from consultations.models import (
    Consultation,
    ConsultationEvent,
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


def patient_by_document(*, document_type: str, document_number: str) -> Patient | None:
    """The patient with this identity (document type + number), matched as stored."""
    # The one normalizer of document numbers, as the model field stores them.
    return Patient.objects.filter(
        document_type=document_type, document_number=document_number_normalize(document_number)
    ).first()


def consultation_for_page() -> QuerySet[Consultation]:
    """Consultations with every related row a page shows, in one query."""
    return Consultation.objects.select_related(
        "patient",
        "provider__professional_type",
        "provider__specialty",
        "consultation_type",
        "duration",
        "booked_by",
        "cancelled_by",
    )


def consultation_for_token(token: str) -> Consultation | None:
    """The booking a form with this one-time token already made, if any (a malformed
    token names none)."""
    try:
        token_value = uuid.UUID(str(token))
    except ValueError:
        return None
    return Consultation.objects.filter(booking_token=token_value).first()


def consultation_timeline(*, consultation: Consultation) -> list[ConsultationEvent]:
    """The consultation's events, oldest first, with who did each (one query)."""
    return list(consultation.events.select_related("actor").order_by("created_at", "id"))


def outcome_in(events: list[ConsultationEvent]) -> ConsultationEvent | None:
    """The latest event that says how the booking call ended, if any, from a timeline
    (`consultation_timeline`, oldest first)."""
    return next((event for event in reversed(events) if event.kind in OUTCOME_KINDS), None)


def consultation_needs_attention(*, consultation: Consultation) -> bool:
    """Whether the reconciliation flagged this booking for staff: unconfirmed, without
    Kairo's id, for longer than KAIRO_UNCONFIRMED_ATTENTION_MINUTES."""
    return consultation.events.filter(kind=ConsultationEvent.Kind.NEEDS_ATTENTION).exists()
