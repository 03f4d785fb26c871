"""A receptionist books with a real browser: a scheduled consultation for a new patient,
an immediate one for an existing patient, then finds both on the agenda."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from consultations.clock import organization_zone
from consultations.kairo.sandbox import reset_default_sandbox
from consultations.models import Consultation, ConsultationStatus, Patient
from tests.browser.staff_pages import log_in
from tests.factories import PatientFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_books_scheduled_and_immediate_and_sees_the_agenda(
    page, staff_groups, seeded_catalogs, artifacts_dir
):
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    existing = PatientFactory(name="Jorge Iván Pérez", document_number="79555111")
    existing.record_authorization(given=True, policy_version="2026-01", recorded_by=None)
    existing.save()
    tomorrow = timezone.now().astimezone(organization_zone()).date() + dt.timedelta(days=1)

    log_in(page, "recepcion")

    # 1. Scheduled, new patient.
    page.goto("/consultations/new/")
    page.select_option("#id_document_type", "CC")
    page.fill("#id_document_number", "1020304050")
    page.fill("#id_name", "María Fernanda Ríos")
    page.fill("#id_phone", "300 123 4567")
    page.fill("#id_email", "maria.rios@example.co")
    page.check("#id_authorization")
    page.select_option("#id_provider", str(provider.pk))
    page.select_option("#id_consultation_type", label="Consulta general")
    page.check("input[name=when][value=scheduled]")
    page.fill("#id_scheduled_date", tomorrow.isoformat())
    page.fill("#id_scheduled_time", "10:00")
    page.screenshot(path=artifacts_dir / "booking-form.png", full_page=True)
    page.locator("input[name=book]").click()
    page.wait_for_selector("#outcome-booked")
    assert re.fullmatch(r"\d{6}", page.input_value("#access-pin"))
    assert "type=patient" in page.input_value("#patient-join-url")
    assert "type=provider" in page.input_value("#provider-join-url")
    page.screenshot(path=artifacts_dir / "booking-result.png", full_page=True)

    scheduled = Consultation.objects.get(patient__document_number="1020304050")
    assert scheduled.status == ConsultationStatus.BOOKED
    assert str(Patient.objects.get(document_number="1020304050").phone) == "+573001234567"
    local_start = scheduled.starts_at.astimezone(organization_zone())
    assert (local_start.date(), local_start.time()) == (tomorrow, dt.time(10, 0))

    # Its two messages are listed; "Resend" adds a third, recorded with who asked.
    assert page.locator("#deliveries tbody tr").count() == 2
    page.locator("#resend-patient").click()
    page.wait_for_selector("#deliveries tbody tr >> nth=2")
    assert page.locator("#deliveries tbody tr").count() == 3
    resent = scheduled.deliveries.get(kind="resend")
    assert (resent.recipient, resent.requested_by.username) == ("patient", "recepcion")

    # 2. Immediate, existing patient found with the search.
    page.goto("/consultations/new/")
    page.fill("#patient-search", "79555111")
    page.locator("#patient-search-form button[type=submit]").click()
    page.locator("#patient-results a").first.click()
    assert page.input_value("#id_document_number") == "79555111"
    assert page.input_value("#id_name") == "Jorge Iván Pérez"
    page.select_option("#id_provider", str(provider.pk))
    page.select_option("#id_consultation_type", label="Consulta general")
    page.check("input[name=when][value=now]")
    assert page.locator("#schedule-fields").is_hidden()
    page.locator("input[name=book]").click()
    page.wait_for_selector("#outcome-booked")
    assert re.fullmatch(r"\d{6}", page.input_value("#access-pin"))
    immediate = Consultation.objects.get(patient=existing)
    assert immediate.is_immediate and immediate.status == ConsultationStatus.BOOKED

    # 3. Both on the agenda: today's immediate one, tomorrow's scheduled one.
    page.goto("/agenda/")
    block = page.locator(f"[data-consultation='{immediate.pk}']")
    assert block.is_visible()
    assert "agenda-immediate" in block.get_attribute("class")
    page.screenshot(path=artifacts_dir / "agenda-today.png", full_page=True)
    page.goto(f"/agenda/?date={tomorrow.isoformat()}")
    assert page.locator(f"[data-consultation='{scheduled.pk}']").is_visible()
    page.screenshot(path=artifacts_dir / "agenda-tomorrow.png", full_page=True)
