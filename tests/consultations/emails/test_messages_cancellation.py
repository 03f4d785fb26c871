"""The cancellation message on its own: its calendar file's name, an immediate
consultation's, and a consultation that is not cancelled."""

from __future__ import annotations

import pytest

from consultations.emails import message_build
from consultations.models import ConsultationStatus
from tests.consultations.mail import calendar_of
from tests.factories import ConsultationFactory, PatientFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


# --- The messages and their calendar file ------------------------------------------------


@pytest.mark.parametrize(
    ("language", "booking_name", "cancellation_name"),
    [
        ("es", "consulta.ics", "consulta-cancelada.ics"),
        ("en", "consultation.ics", "consultation-cancelled.ics"),
    ],
)
def test_the_calendar_file_name_follows_the_patient_language(
    language, booking_name, cancellation_name
):
    consultation = ConsultationFactory(
        patient=PatientFactory(preferred_language=language),
        access_pin="482915",
        patient_join_url="https://meet.kairo.example/room/1?type=patient",
        provider_join_url="https://meet.kairo.example/room/1?type=provider",
    )
    build = {"recipient": "patient", "to_address": "ana@correo.example"}
    booking = message_build(consultation=consultation, kind="booking", **build)
    assert calendar_of(booking)[2].get_filename() == booking_name
    consultation.status = Status.CANCELLED
    cancellation = message_build(consultation=consultation, kind="cancelled", **build)
    assert calendar_of(cancellation)[2].get_filename() == cancellation_name


def test_a_cancelled_immediate_consultation_has_its_time_and_no_calendar_file(db):
    consultation = ConsultationFactory(
        immediate=True,
        status=Status.CANCELLED,
        patient=PatientFactory(preferred_language="en"),
    )
    message = message_build(
        consultation=consultation, recipient="patient", kind="cancelled", to_address="a@b.example"
    )
    assert message.attachments == []
    # Its real window, not "Now: the consultation is ready to join".
    assert "Now:" not in message.body
    assert "has been cancelled" in message.body


def test_a_cancellation_message_needs_a_cancelled_consultation():
    with pytest.raises(ValueError, match="cancelled consultation"):
        message_build(
            consultation=ConsultationFactory(),
            recipient="patient",
            kind="cancelled",
            to_address="a@b.example",
        )
