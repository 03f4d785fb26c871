"""The result page follows its emails: a delivery queued when the page opened shows as
sent once the worker has sent it, without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consultations import services
from consultations.models import Delivery
from tests.browser.staff_pages import log_in
from tests.factories import ConsultationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_result_page_shows_a_delivery_sent_without_a_reload(page, staff_groups):
    UserFactory(username="recepcion", groups=["Recepción"])
    consultation = ConsultationFactory(
        access_pin="482915",
        patient_join_url="https://meet.kairo.example/room/1?type=patient",
        provider_join_url="https://meet.kairo.example/room/1?type=provider",
    )
    # Queued, its task not run: what the page shows right after a booking.
    delivery = Delivery.objects.create(
        consultation=consultation, recipient="patient", kind="booking"
    )

    log_in(page, "recepcion")
    page.goto(f"/consultations/{consultation.pk}/booked/")

    row = page.locator(f'#deliveries tr[data-delivery="{delivery.pk}"]')
    expect(row).to_have_attribute("data-state", "queued")
    expect(row.locator(".badge")).to_have_text("En cola")
    # Marks this very document: a reload would lose it.
    page.evaluate("window.__sameDocument = true")

    # The worker sends it (the locmem mail backend of the tests).
    sent = services.delivery_send(delivery_id=delivery.pk)
    assert sent.state == Delivery.State.SENT

    expect(row).to_have_attribute("data-state", "sent", timeout=10_000)
    expect(row.locator(".badge")).to_have_text("Enviado")
    expect(row.locator('[data-field="attempts"]')).to_have_text("1")
    expect(row.locator('[data-field="detail-text"]')).to_contain_text("enviado")
    assert page.evaluate("window.__sameDocument") is True
