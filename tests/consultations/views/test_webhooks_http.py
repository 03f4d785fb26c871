"""End to end over real HTTP: the sandbox's own webhook sender (signed, with delivery
ids and retries) posts to the receiver served by `live_server`, and a consultation lives
its whole life from booked to completed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from consultations.kairo import contract
from consultations.models import ConsultationStatus, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

Status = ConsultationStatus


@pytest.fixture
def sandbox_posts_to_us(sandbox, live_server):
    sandbox.configure_webhooks(
        live_server.url + reverse("kairo_webhook"), settings.KAIRO_WEBHOOK_SECRET
    )
    return sandbox


def test_the_sandbox_webhooks_carry_a_consultation_through_its_life(
    seeded_catalogs, sandbox_posts_to_us, book_consultation
):
    sandbox = sandbox_posts_to_us
    consultation = book_consultation()
    kairo_id = consultation.kairo_consultation_id
    assert sandbox.wait_for_webhooks()

    sandbox.trigger(kairo_id, contract.EVENT_SESSION_STARTED, "patient")
    assert sandbox.wait_for_webhooks()
    consultation.refresh_from_db()
    assert consultation.status == Status.IN_PROGRESS
    assert consultation.patient_joined_at is not None

    sandbox.trigger(kairo_id, contract.EVENT_SESSION_STARTED, "provider")
    sandbox.trigger(kairo_id, contract.EVENT_SESSION_ENDED, "patient")
    sandbox.trigger(kairo_id, contract.EVENT_CONSULTATION_COMPLETED)
    assert sandbox.wait_for_webhooks()

    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    assert consultation.provider_joined_at is not None
    deliveries = sandbox.webhook_deliveries()
    assert [d["state"] for d in deliveries] == ["delivered"] * 5
    assert all(d["attempts"] == ["200"] for d in deliveries)
    assert WebhookDelivery.objects.filter(consultation=consultation).count() == 5
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {"applied"}


def test_a_delivery_signed_with_another_secret_is_refused_and_retried(
    seeded_catalogs, sandbox, live_server, book_consultation
):
    sandbox.configure_webhooks(live_server.url + reverse("kairo_webhook"), "someone-else")
    sandbox.webhooks.retry_delays = (0.0,)
    book_consultation()
    assert sandbox.wait_for_webhooks()
    (delivery,) = sandbox.webhook_deliveries()
    assert delivery["attempts"] == ["401", "401"]
    assert delivery["state"] == "failed"
    assert not WebhookDelivery.objects.exists()


def test_a_booking_whose_answer_was_dropped_heals_by_itself(
    seeded_catalogs, sandbox_posts_to_us, book_consultation
):
    """The `drop` fault: Kairo creates the consultation, the answer never arrives, the
    booking is unconfirmed; the sandbox's consultation.created webhook heals it and the
    patient gets the join-link email."""
    sandbox = sandbox_posts_to_us
    sandbox.arm_fault("drop")
    consultation = book_consultation()
    assert sandbox.wait_for_webhooks()

    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.kairo_consultation_id is not None
    assert consultation.access_pin
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.outcome == WebhookDelivery.Outcome.HEALED
    assert delivery.consultation == consultation
    to_patient = [m for m in mail.outbox if consultation.patient.email in m.to]
    assert len(to_patient) == 1
    assert consultation.access_pin in to_patient[0].body
