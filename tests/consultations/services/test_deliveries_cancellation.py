"""Cancelling here: what the page and the confirmation say, the cancellation emails with
their calendar file that removes the event, their deliveries and retries, and the
reminders that must no longer go out."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import smtplib

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.emails import calendar_uid, message_build
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus, Delivery
from consultations.services import deliveries
from tests.factories import ConsultationFactory, PatientFactory, UserFactory, future

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


def wire(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def calendar_of(message) -> tuple[icalendar.Calendar, icalendar.Event, email.message.Message]:
    (part,) = [p for p in wire(message).walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    return calendar, event, part


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


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_cancel_page_says_what_cancelling_does(reception_client, settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    start = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
    consultation = ConsultationFactory(starts_at=start)
    url = reverse("consultation_cancel", args=[consultation.pk])
    reception_client.post(reverse("set_language"), {"language": "en", "next": url})

    page = html(reception_client.get(url))
    assert "The patient and the provider are emailed that it is cancelled" in page
    assert "Wednesday, March 10, 2027, 10:00–10:30 (America/Bogota)" in page
    assert consultation.provider.name in page and consultation.patient.name in page
    assert "cannot be booked through Kairo Connect at an overlapping time" in page
    assert "free" not in page.lower().split("cancel-warning", 1)[1].split("</div>", 1)[0]

    settings.EMAIL_PROVIDER_MESSAGES = False
    page = html(reception_client.get(url))
    assert "The patient is emailed that it is cancelled" in page
    assert "This clinic does not email providers: tell the provider yourself." in page


def test_the_cancel_page_promises_a_calendar_file_only_for_a_scheduled_consultation(
    reception_client,
):
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    scheduled = ConsultationFactory()
    immediate = ConsultationFactory()
    Consultation.objects.filter(pk=immediate.pk).update(scheduled_for=None)
    calendar = "a calendar file that removes it"
    for consultation, promised in ((scheduled, True), (immediate, False)):
        page = html(reception_client.get(reverse("consultation_cancel", args=[consultation.pk])))
        emails = page.split('id="cancel-emails"', 1)[1].split("</li>", 1)[0]
        assert (calendar in emails) is promised
        assert "neither the link nor the PIN" in emails


@pytest.mark.parametrize("provider_messages", [True, False])
def test_the_confirmation_says_who_is_told_and_what_kairo_keeps(
    reception_client,
    settings,
    django_capture_on_commit_callbacks,
    provider_messages,
):
    settings.EMAIL_PROVIDER_MESSAGES = provider_messages
    start = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)
    consultation = ConsultationFactory(starts_at=start)
    url = reverse("consultation_cancel", args=[consultation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = reception_client.post(
            url, {"reason": "El paciente no puede"}, follow=True, HTTP_ACCEPT_LANGUAGE="es"
        )
    page = html(response)

    if provider_messages:
        assert "Se está enviando un correo al paciente y al profesional" in page
    else:
        assert "este centro no envía correos a los profesionales" in page
    assert "miércoles, 10 de marzo de 2027, 10:00–10:30 (America/Bogota)" in page
    assert "libre" not in page
    # The email section lists the cancellation deliveries.
    assert page.count("Cancelación") == (2 if provider_messages else 1)


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


def test_the_email_status_endpoint_words_its_cells_as_the_page_does(reception_client):
    """The live update must not change what the table says: local time, staff wording."""
    consultation = ConsultationFactory()
    sent_at = dt.datetime(2030, 6, 12, 19, 11, tzinfo=dt.UTC)  # 14:11 in Bogotá
    Delivery.objects.create(
        consultation=consultation,
        recipient="patient",
        kind="booking",
        state="sent",
        sent_at=sent_at,
        attempts=1,
    )
    Delivery.objects.create(
        consultation=consultation,
        recipient="provider",
        kind="booking",
        state="failed",
        attempts=1,
        last_error="Skipped: consultation cancelled",
    )
    rows = reception_client.get(
        reverse("consultation_emails_status", args=[consultation.pk])
    ).json()["deliveries"]
    by_state = {row["state"]: row for row in rows}
    page = html(reception_client.get(reverse("consultation_detail", args=[consultation.pk])))
    assert by_state["sent"]["detail"].endswith("2030-06-12 14:11")
    assert by_state["sent"]["detail"] in page
    assert "Skipped" not in by_state["failed"]["error"]
    assert by_state["failed"]["error"] in page


def test_the_email_status_endpoint_reports_pending(reception_client):
    consultation = ConsultationFactory()
    Delivery.objects.create(consultation=consultation, recipient="patient", kind="booking")
    data = reception_client.get(
        reverse("consultation_emails_status", args=[consultation.pk])
    ).json()
    assert data["pending"] is True
    assert [row["state"] for row in data["deliveries"]] == ["queued"]


def test_the_email_status_endpoint_needs_login_and_permission(client):
    consultation = ConsultationFactory()
    url = reverse("consultation_emails_status", args=[consultation.pk])

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))

    client.force_login(UserFactory(username="sin-permisos"))
    assert client.get(url).status_code == 403


def test_the_email_status_endpoint_is_get_only_and_404s_unknown(reception_client):
    assert (
        reception_client.get(reverse("consultation_emails_status", args=[999999])).status_code
        == 404
    )
    assert reception_client.post(reverse("consultation_emails_status", args=[1])).status_code == 405
