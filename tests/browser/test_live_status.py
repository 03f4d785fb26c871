"""Live status in a real browser: a status changed on the server shows on the agenda
and the consultations list without a reload."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from consultations.kairo import contract
from consultations.kairo.webhook_body import webhook_envelope_parse
from consultations.services.webhooks import webhook_event_apply
from tests.browser.staff_pages import log_in
from tests.consultations.webhook_posts import envelope
from tests.factories import ConsultationFactory, UserFactory, future

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _start_session(consultation) -> None:
    body = envelope(
        contract.EVENT_SESSION_STARTED, consultation.kairo_consultation_id, participant="patient"
    )
    webhook_event_apply(
        delivery_id=str(uuid.uuid4()), envelope=webhook_envelope_parse(json.dumps(body).encode())
    )


@pytest.mark.parametrize("path", ["agenda", "list"])
def test_a_status_changed_on_the_server_shows_without_a_reload(
    page, settings, staff_groups, seeded_catalogs, path
):
    settings.STATUS_POLL_SECONDS = 1
    UserFactory(username="recepcion", groups=["Recepción"])
    consultation = ConsultationFactory(
        kairo_consultation_id=uuid.uuid4(), starts_at=future(hours=1)
    )
    log_in(page, "recepcion")
    day = consultation.starts_at.date().isoformat()
    page.goto(f"/agenda/?date={day}" if path == "agenda" else "/consultations/")
    item = page.locator(f'[data-consultation-id="{consultation.pk}"]')
    status = item.locator("[data-live-status-text]").first
    expect(status).to_have_text("Agendada")
    page.evaluate("window.__kept = true")
    _start_session(consultation)
    expect(status).to_have_text("En curso")
    expect(page.locator("#live-status-announcer")).to_have_text(
        f"Consulta {consultation.pk}: En curso"
    )
    assert page.evaluate("window.__kept") is True  # the same page: no reload
