"""With webhooks on (`make run`), Kairo's `consultation.created` can reach the receiver
before, or after, the booking request records Kairo's create answer. Whichever comes
first, the booking ends booked once, with one set of join-link emails, no "unmatched"
delivery left for staff, and the receptionist sees the booking, not an error.

The order is forced, not hoped for: the sandbox's webhooks are posted to the receiver
(through Django's test client, in the sandbox's delivery thread) either before the
booking may go on recording (the create call waits for the delivery), or only after the
booking is recorded (the delivery waits on an Event)."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connections
from django.test import Client
from django.urls import reverse

from consultations.kairo.client import KairoClient
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    WebhookDelivery,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = ConsultationStatus
NEW = reverse("consultation_new")


@pytest.fixture
def to_receiver(sandbox, settings):
    """The sandbox's webhooks go to our receiver; `gate` (set by default) holds each
    delivery until it is set; `statuses` are the receiver's answers."""
    gate = threading.Event()
    gate.set()
    statuses: list[int] = []

    def post(url, headers, body, timeout):
        assert gate.wait(timeout=30)
        try:
            response = Client().post(
                reverse("kairo_webhook"),
                data=body,
                content_type="application/json",
                headers=headers,
            )
        finally:
            connections.close_all()  # this thread's connection: never left open
        statuses.append(response.status_code)
        return response.status_code

    sandbox.configure_webhooks(
        "http://app.invalid/kairo/webhooks/", settings.KAIRO_WEBHOOK_SECRET, post
    )
    return gate, statuses


@pytest.fixture
def webhook_before_answer(monkeypatch, sandbox):
    """Kairo's answer reaches the booking only once its created webhook was applied."""
    real = KairoClient.create_consultation

    def create(self, request):
        result = real(self, request)
        assert sandbox.wait_for_webhooks(timeout=30)
        return result

    monkeypatch.setattr(KairoClient, "create_consultation", create)


def _book(reception_client, booking_data, when: str) -> Consultation:
    data = booking_data() if when == "scheduled" else booking_data(when="now")
    response = reception_client.post(NEW, data, follow=True)
    assert response.status_code == 200
    consultation = Consultation.objects.get()
    assert response.redirect_chain[-1][0] == reverse("consultation_result", args=[consultation.pk])
    assert not response.context["messages"] or all(
        m.level_tag != "error" for m in response.context["messages"]
    )
    return consultation


def _booked_once(consultation: Consultation) -> None:
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.kairo_consultation_id is not None
    assert consultation.access_pin and consultation.patient_join_url
    booked = consultation.events.filter(
        kind__in=(ConsultationEvent.Kind.BOOKED, ConsultationEvent.Kind.WEBHOOK)
    )
    assert [e.detail.get("to") for e in booked if e.detail.get("to") == Status.BOOKED] == [
        Status.BOOKED
    ], "the booking moved to booked exactly once"
    deliveries = Delivery.objects.filter(consultation=consultation)
    assert deliveries.count() == 2  # one for the patient, one for the provider
    to_patient = [m for m in mail.outbox if consultation.patient.email in m.to]
    assert len(to_patient) == 1
    (webhook,) = WebhookDelivery.objects.all()
    assert webhook.outcome != WebhookDelivery.Outcome.UNMATCHED
    assert webhook.consultation_id == consultation.pk


@pytest.mark.parametrize("when", ["scheduled", "now"])
def test_the_created_webhook_before_the_answer(
    seeded_catalogs, reception_client, booking_data, to_receiver, webhook_before_answer, when
):
    gate, statuses = to_receiver
    consultation = _book(reception_client, booking_data, when)
    assert statuses == [200]
    _booked_once(consultation)


@pytest.mark.parametrize("when", ["scheduled", "now"])
def test_the_created_webhook_after_the_answer(
    seeded_catalogs, reception_client, booking_data, sandbox, to_receiver, when
):
    gate, statuses = to_receiver
    gate.clear()
    consultation = _book(reception_client, booking_data, when)
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    gate.set()
    assert sandbox.wait_for_webhooks(timeout=30)
    assert statuses == [200]
    _booked_once(consultation)
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.APPLIED
