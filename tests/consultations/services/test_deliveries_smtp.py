"""Delivery through a real SMTP server on loopback (aiosmtpd), with Django's SMTP backend:
a server that refuses the first attempts, and no server at all. The booking never
notices either."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email.message import Message

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from consultations import services
from consultations.models import ConsultationStatus, Delivery
from tests.consultations.mail import clinic_link

pytestmark = pytest.mark.django_db

State = Delivery.State


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FlakyHandler:
    """Greylisting, as real servers do it: 451 at RCPT (naming the address) for the
    first `refuse` attempts, then every message is accepted and kept."""

    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.recipient_attempts = 0
        self.received: list[Message] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipient_attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return f"451 4.7.1 <{address}>: greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.received.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here unless a server is started
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_PROVIDER_MESSAGES = False  # one message per booking: easier to count
    return settings


@pytest.fixture
def smtp_server(smtp_settings):
    """start(refuse=N) -> the handler of a real SMTP server on smtp_settings.EMAIL_PORT."""
    controllers: list[Controller] = []

    def start(*, refuse: int) -> FlakyHandler:
        handler = FlakyHandler(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def book(book_consultation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return book_consultation()


def test_a_refusing_server_gets_the_message_once_it_accepts(
    smtp_server, book_consultation, django_capture_on_commit_callbacks
):
    server = smtp_server(refuse=2)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        consultation = book(book_consultation, django_capture_on_commit_callbacks)
        delivery = consultation.deliveries.get()
        address = consultation.patient.email

        # The booking is done and booked whatever the mail server said.
        assert consultation.status == ConsultationStatus.BOOKED
        assert (delivery.state, delivery.attempts) == (State.QUEUED, 1)
        assert delivery.last_error == "SMTPRecipientsRefused 451"
        assert delivery.next_attempt_at == timezone.now() + dt.timedelta(seconds=60)

        clock.shift(dt.timedelta(seconds=60))
        delivery = services.delivery_send(delivery_id=delivery.pk)
        assert (delivery.state, delivery.attempts) == (State.QUEUED, 2)
        assert delivery.next_attempt_at == timezone.now() + dt.timedelta(seconds=300)

        clock.shift(dt.timedelta(seconds=300))
        delivery = services.delivery_send(delivery_id=delivery.pk)
        # A task delivered twice, late, changes nothing.
        again = services.delivery_send(delivery_id=delivery.pk)

    assert (delivery.state, delivery.attempts) == (State.SENT, 3)
    assert again.attempts == 3
    assert address not in delivery.last_error
    assert delivery.to_address == address
    assert server.recipient_attempts == 3
    (message,) = server.received
    assert message["X-Envelope-To"] == address
    assert message["To"] == address
    parts = {part.get_content_type(): part for part in message.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    assert clinic_link(consultation, "patient") in text
    assert consultation.patient_join_url not in text
    assert "text/html" in parts
    assert "text/calendar" in parts
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.BOOKED


def test_with_the_mail_server_down_the_booking_succeeds_and_the_email_waits(
    smtp_settings, book_consultation, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False):
        consultation = book(book_consultation, django_capture_on_commit_callbacks)
        retry_at = timezone.now() + dt.timedelta(seconds=60)

    assert consultation.status == ConsultationStatus.BOOKED
    assert consultation.access_pin
    delivery = consultation.deliveries.get()
    assert (delivery.state, delivery.attempts) == (State.QUEUED, 1)
    assert delivery.next_attempt_at == retry_at
    assert delivery.last_error.startswith("ConnectionRefusedError")
    assert delivery.sent_at is None


def test_the_server_coming_back_after_the_resume_run_gets_the_message(
    smtp_settings, smtp_server, book_consultation, django_capture_on_commit_callbacks
):
    """Down at booking time; back later; the lost retry is found by the reminder run."""
    consultation = book(book_consultation, django_capture_on_commit_callbacks)
    server = smtp_server(refuse=0)
    later = timezone.now() + dt.timedelta(seconds=60) + dt.timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        assert services.deliveries_resume() == 1
    delivery = consultation.deliveries.get()
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)
    assert len(server.received) == 1
