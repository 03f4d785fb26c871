"""A receptionist types a registered patient's document with dots and another name: the
booking form shows the patient on file, what sending would update, and books with the
new name only once the confirmation is ticked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consultations.clock import organization_zone
from consultations.kairo.sandbox import reset_default_sandbox
from consultations.models import Consultation, Patient
from tests.browser.staff_pages import log_in
from tests.factories import PatientFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_booking_form_shows_the_patient_on_file_and_needs_the_name_confirmation(
    page, staff_groups, seeded_catalogs, artifacts_dir
):
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    known = PatientFactory(
        name="Jorge Iván Pérez", document_number="1020304050", email="jorge@correo.example"
    )
    known.record_authorization(given=True, policy_version="2026-01", recorded_by=None)
    known.save()
    tomorrow = timezone.now().astimezone(organization_zone()).date() + dt.timedelta(days=1)

    log_in(page, "recepcion")

    page.goto("/consultations/new/")
    on_file = page.locator("#patient-on-file")
    expect(on_file).to_be_hidden()
    page.select_option("#id_document_type", "CC")
    page.fill("#id_document_number", "1.020.304.050")
    page.fill("#id_name", "Juan Camilo Gómez")
    page.fill("#id_phone", str(known.phone))
    page.fill("#id_email", "nuevo@correo.example")

    expect(on_file).to_be_visible()
    expect(on_file).to_contain_text("Jorge Iván Pérez")
    expect(on_file.locator("tr[data-field=email][data-change=updates]")).to_be_visible()
    box = page.locator("#id_name_change_confirmed")
    expect(box).to_be_visible()
    expect(page.locator("label[for=id_name_change_confirmed]")).to_contain_text(
        "«Juan Camilo Gómez»"
    )

    page.screenshot(path=artifacts_dir / "booking-patient-on-file.png", full_page=True)
    page.select_option("#id_provider", str(provider.pk))
    page.select_option("#id_consultation_type", label="Consulta general")
    page.check("input[name=when][value=scheduled]")
    page.fill("#id_scheduled_date", tomorrow.isoformat())
    page.fill("#id_scheduled_time", "11:00")

    # Without the tick: refused on the name, nothing booked, the box offered again.
    page.locator("input[name=book]").click()
    expect(page.locator("#id_name_change_confirmed")).to_be_visible()
    expect(page.locator("#id_name")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert Consultation.objects.count() == 0
    assert Patient.objects.get(pk=known.pk).name == "Jorge Iván Pérez"

    page.check("#id_name_change_confirmed")
    page.locator("input[name=book]").click()
    expect(page.locator("#outcome-booked")).to_be_visible()
    known.refresh_from_db()
    assert (known.name, known.email) == ("Juan Camilo Gómez", "nuevo@correo.example")
    assert set(known.changes.values_list("field", flat=True)) == {"name", "email"}
