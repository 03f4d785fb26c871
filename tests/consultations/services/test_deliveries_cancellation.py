"""Cancelling through the service: the cancellation emails with their calendar file that
removes the event, their deliveries and retries, the reminders that must no longer go
out, and what the pages then show."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.emails import calendar_uid
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus, Delivery
from consultations.services import deliveries
from tests.consultations.mail import calendar_of, wire
from tests.consultations.pages import html
from tests.factories import ConsultationFactory, PatientFactory, future

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
State = Delivery.State
CANCELLED = Delivery.Kind.CANCELLED


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient for now."""

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (451, b"try later")})


@pytest.fixture
def booked(book_consultation, django_capture_on_commit_callbacks):
    """booked(**overrides): a real booking whose booking emails went out."""

    def make(**overrides) -> Consultation:
        overrides.setdefault("scheduled_for", future(hours=30))
        with django_capture_on_commit_callbacks(execute=True):
            consultation = book_consultation(**overrides)
        assert consultation.status == Status.BOOKED
        return consultation

    return make


@pytest.fixture
def cancel(receptionist, django_capture_on_commit_callbacks):
    """cancel(consultation, execute=True): cancel through the service; the on-commit
    sends run unless `execute` is False."""

    def call(consultation: Consultation, *, execute: bool = True) -> Consultation:
        with django_capture_on_commit_callbacks(execute=execute):
            return services.consultation_cancel(
                consultation=consultation, actor=receptionist, reason="El paciente no puede"
            )

    return call


def whole(message) -> str:
    """Subject, every part and the calendar file, as one text to search."""
    texts = [message.subject]
    for part in wire(message).walk():
        if not part.is_multipart():
            texts.append(part.get_content())
    return "\n".join(texts)


def outbox(kind_subject: str) -> list:
    return [m for m in mail.outbox if kind_subject in m.subject]


# --- The messages and their calendar file ------------------------------------------------


def test_cancelling_emails_both_with_a_calendar_file_that_removes_the_event(booked, cancel):
    consultation = booked()
    (booking_mail,) = [m for m in mail.outbox if m.to == [consultation.patient.email]]
    _calendar, booking_event, _part = calendar_of(booking_mail)
    mail.outbox.clear()

    cancel(consultation)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [consultation.patient.email, consultation.provider.email]
    )
    for message in mail.outbox:
        calendar, event, part = calendar_of(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert part.get_param("method") == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == str(booking_event["UID"]) == calendar_uid(consultation)
        assert int(event["SEQUENCE"]) > int(booking_event["SEQUENCE"])
        # The same event as the booking's file: organizer and times.
        assert str(event["ORGANIZER"]) == str(booking_event["ORGANIZER"])
        assert event.decoded("DTSTART") == booking_event.decoded("DTSTART")
        assert event.decoded("DTEND") == booking_event.decoded("DTEND")
        # RFC 5546: a CANCEL of the whole event names its attendee (the recipient).
        assert str(event["ATTENDEE"]) == f"mailto:{message.to[0]}"
    deliveries = consultation.deliveries.filter(kind=CANCELLED)
    assert {(d.recipient, d.state) for d in deliveries} == {
        ("patient", State.SENT),
        ("provider", State.SENT),
    }


def test_a_cancellation_never_holds_the_pin_or_a_join_link(booked, cancel):
    consultation = booked()
    mail.outbox.clear()
    cancel(consultation)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = whole(message)
        assert consultation.access_pin not in text
        assert consultation.patient_join_url not in text
        assert consultation.provider_join_url not in text
        assert "http" not in text
        _calendar, event, _part = calendar_of(message)
        assert "URL" not in event and "LOCATION" not in event and "DESCRIPTION" not in event


def test_no_provider_cancellation_when_provider_messages_are_off(booked, cancel, settings):
    consultation = booked()
    settings.EMAIL_PROVIDER_MESSAGES = False
    mail.outbox.clear()
    cancel(consultation)

    assert [m.to for m in mail.outbox] == [[consultation.patient.email]]
    assert list(
        consultation.deliveries.filter(kind=CANCELLED).values_list("recipient", flat=True)
    ) == ["patient"]


def test_the_patient_cancellation_in_spanish_by_default(booked, cancel):
    consultation = booked()
    mail.outbox.clear()
    cancel(consultation)
    (message,) = [m for m in mail.outbox if m.to == [consultation.patient.email]]

    assert message.subject.startswith("Cancelada: su videoconsulta con ")
    assert "Su videoconsulta ha sido cancelada." in message.body
    assert "La consulta no se realizará: por favor no ingrese a esa hora." in message.body
    assert "El archivo de calendario adjunto quita la consulta de su calendario." in message.body
    assert wire(message)["Content-Language"] == "es"
    _calendar, _event, part = calendar_of(message)
    assert part.get_filename() == "consulta-cancelada.ics"


def test_the_patient_cancellation_in_english_when_preferred(booked, cancel):
    patient = PatientFactory(preferred_language="en", email="ana@correo.example")
    consultation = booked(patient=patient)
    mail.outbox.clear()
    cancel(consultation)
    (message,) = [m for m in mail.outbox if m.to == ["ana@correo.example"]]

    assert message.subject.startswith("Cancelled: your video consultation with ")
    assert "Your video consultation has been cancelled." in message.body
    assert "please do not join at that time" in message.body
    assert "removes the consultation from your calendar" in message.body
    _calendar, event, part = calendar_of(message)
    assert part.get_filename() == "consultation-cancelled.ics"
    assert str(event["SUMMARY"]).startswith("Cancelled: video consultation with ")


@pytest.mark.parametrize(
    ("language", "subject", "intro"),
    [
        ("es", "Cancelada: videoconsulta con ", "Esta videoconsulta ha sido cancelada."),
        (
            "en",
            "Cancelled: video consultation with ",
            "This video consultation has been cancelled.",
        ),
    ],
)
def test_the_provider_cancellation_in_the_clinic_language(
    booked, cancel, settings, language, subject, intro
):
    consultation = booked()
    settings.LANGUAGE_CODE = language
    mail.outbox.clear()
    cancel(consultation)
    (message,) = [m for m in mail.outbox if m.to == [consultation.provider.email]]

    assert message.subject.startswith(subject)
    assert consultation.patient.name in message.subject
    assert intro in message.body
    assert wire(message)["Content-Language"] == language


# --- Deliveries, retries, reminders -----------------------------------------------------


def test_cancellation_deliveries_wait_for_the_commit_and_are_recorded(booked, cancel):
    consultation = booked()
    mail.outbox.clear()
    cancelled = cancel(consultation, execute=False)

    assert mail.outbox == []
    deliveries = cancelled.deliveries.filter(kind=CANCELLED)
    assert {(d.recipient, d.state) for d in deliveries} == {
        ("patient", State.QUEUED),
        ("provider", State.QUEUED),
    }
    assert cancelled.calendar_sequence == consultation.calendar_sequence + 1
    events = [
        e.detail
        for e in cancelled.events.filter(kind=ConsultationEvent.Kind.EMAIL)
        if e.detail["kind"] == "cancelled"
    ]
    assert sorted(e["recipient"] for e in events) == ["patient", "provider"]


def test_a_refused_cancellation_is_retried_and_then_sent(booked, cancel, settings):
    consultation = booked()
    mail.outbox.clear()
    cancel(consultation, execute=False)
    delivery = consultation.deliveries.get(kind=CANCELLED, recipient="patient")
    settings.EMAIL_BACKEND = (
        "tests.consultations.services.test_deliveries_cancellation.RefusingBackend"
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = services.delivery_send(delivery_id=delivery.pk)
        assert (delivery.state, delivery.attempts) == (State.QUEUED, 1)
        assert delivery.last_error == "SMTPRecipientsRefused 451"

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(delivery.next_attempt_at - timezone.now() + deliveries.OVERDUE_GRACE)
        # The worker's regular run finds it (the test backend cannot defer the retry).
        assert services.deliveries_resume() >= 1

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)
    # Once to the patient (the provider's, whose task never ran, went out too).
    assert sorted(m.to[0] for m in outbox("Cancelada")) == sorted(
        [consultation.patient.email, consultation.provider.email]
    )


def test_a_cancellation_after_the_consultation_ended_is_not_sent(booked, cancel):
    consultation = booked()
    mail.outbox.clear()
    cancel(consultation, execute=False)
    delivery = consultation.deliveries.get(kind=CANCELLED, recipient="patient")
    with time_machine.travel(consultation.ends_at + dt.timedelta(minutes=1)):
        delivery = services.delivery_send(delivery_id=delivery.pk)
    assert delivery.state == State.FAILED
    assert delivery.last_error == "Skipped: consultation already over"
    assert mail.outbox == []


def test_a_queued_reminder_of_a_cancelled_consultation_is_not_sent(booked, cancel):
    consultation = booked()
    reminder = Delivery.objects.create(
        consultation=consultation, recipient="patient", kind="reminder", reminder_offset_minutes=60
    )
    cancel(consultation)
    mail.outbox.clear()

    reminder = services.delivery_send(delivery_id=reminder.pk)
    assert reminder.state == State.FAILED
    assert reminder.last_error == "Skipped: consultation cancelled"
    assert mail.outbox == []
    # And no new reminder comes due for it.
    with time_machine.travel(consultation.starts_at - dt.timedelta(minutes=30)):
        assert services.reminders_send_due() == 0


def test_a_unconfirmed_booking_cancelled_still_tells_the_patient(cancel):
    consultation = ConsultationFactory(status=Status.UNCONFIRMED)
    cancel(consultation)
    (message,) = [m for m in mail.outbox if m.to == [consultation.patient.email]]
    _calendar, event, _part = calendar_of(message)
    assert str(event["STATUS"]) == "CANCELLED"


# --- Pages -------------------------------------------------------------------------------


def test_the_detail_page_shows_the_cancellation_delivery_state(reception_client, booked, cancel):
    consultation = booked()
    cancel(consultation)
    page = html(reception_client.get(reverse("consultation_detail", args=[consultation.pk])))
    delivery = consultation.deliveries.get(kind=CANCELLED, recipient="patient")
    row = page.split(f'data-delivery="{delivery.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="sent"' in row
    assert "Cancelación" in row


# --- The email status endpoint -----------------------------------------------------------


def test_the_email_status_endpoint_gives_states_only(reception_client, booked):
    consultation = booked()
    url = reverse("consultation_emails_status", args=[consultation.pk])
    response = reception_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["pending"] is False
    assert {row["state"] for row in data["deliveries"]} == {"sent"}
    assert {tuple(sorted(row)) for row in data["deliveries"]} == {
        ("attempts", "detail", "error", "id", "state", "state_label")
    }
    body = response.content.decode()
    for secret in (
        consultation.patient.email,
        consultation.provider.email,
        consultation.patient.name,
        consultation.access_pin,
        consultation.patient_join_url,
        consultation.provider_join_url,
    ):
        assert secret not in body
