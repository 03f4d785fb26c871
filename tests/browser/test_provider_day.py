"""The provider's day on the booking page, in a real browser: choose a provider, see the
day (booked and held blocks), pick a free start with the mouse and with the keyboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from consultations.clock import long_date, organization_zone
from consultations.kairo import contract
from consultations.kairo.sandbox import reset_default_sandbox
from consultations.models import Consultation, ConsultationStatus, ConsultationType
from tests.browser.staff_pages import log_in
from tests.factories import ConsultationFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _consultation(provider, day: dt.date, hour: int, **fields) -> Consultation:
    """A 30-minute general consultation of `provider` at `hour` on `day`."""
    return ConsultationFactory(
        provider=provider,
        consultation_type=ConsultationType.objects.get(code="ConsultaGeneral"),
        starts_at=dt.datetime.combine(day, dt.time(hour), tzinfo=organization_zone()),
        **fields,
    )


def test_choosing_a_provider_shows_the_day_and_a_free_start_fills_date_and_time(
    page, staff_groups, seeded_catalogs, artifacts_dir
):
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    tomorrow = timezone.now().astimezone(organization_zone()).date() + dt.timedelta(days=1)
    _consultation(provider, tomorrow, 9, status=ConsultationStatus.BOOKED)
    _consultation(
        provider,
        tomorrow,
        10,
        status=ConsultationStatus.CANCELLED,
        kairo_status=contract.STATUS_PENDING,
    )

    log_in(page, "recepcion")
    page.goto("/consultations/new/")
    panel = page.locator("#provider-day")
    expect(panel).to_be_hidden()

    page.fill("#id_scheduled_date", tomorrow.isoformat())
    page.select_option("#id_provider", str(provider.pk))
    with translation.override("es"):
        expect(page.locator("#provider-day-title")).to_contain_text(long_date(tomorrow))
    expect(panel).to_be_visible()
    blocks = page.locator("#provider-day-blocks li")
    expect(blocks).to_have_count(2)
    expect(blocks.nth(1)).to_contain_text("10:00–10:30")
    expect(page.locator(".provider-day-held")).to_have_count(1)
    free = page.locator("#provider-day-free button")
    expect(free.first).to_have_text("06:00")
    expect(page.locator("#provider-day-free button", has_text="09:00")).to_have_count(0)
    expect(page.locator("#provider-day-free button", has_text="10:00")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "booking-provider-day.png", full_page=True)

    # The mouse.
    page.locator("#provider-day-free button", has_text="08:30").click()
    expect(page.locator("#id_scheduled_time")).to_have_value("08:30")
    expect(page.locator("#id_scheduled_date")).to_have_value(tomorrow.isoformat())
    expect(page.locator("#provider-day-status")).not_to_be_empty()

    # The keyboard: an immediate booking switches back to scheduled.
    page.check("input[name=when][value=now]")
    expect(page.locator("#schedule-fields")).to_be_hidden()
    later = page.locator("#provider-day-free button", has_text="10:30")
    later.focus()
    page.keyboard.press("Enter")
    expect(page.locator("input[name=when][value=scheduled]")).to_be_checked()
    expect(page.locator("#schedule-fields")).to_be_visible()
    expect(page.locator("#id_scheduled_time")).to_have_value("10:30")

    # A longer duration reloads the day: 45 minutes no longer fit before 09:00 at 08:30.
    page.locator("input[name=duration][value='45']").check()
    expect(page.locator("#provider-day-free-title")).to_contain_text("45")
    expect(page.locator("#provider-day-free button", has_text="08:30")).to_have_count(0)
    expect(page.locator("#provider-day-free button", has_text="08:15")).to_have_count(1)


def test_a_patient_found_by_typing_their_document_counts_in_the_day(
    page, staff_groups, seeded_catalogs
):
    """The free starts also leave out the times of the patient the typed document names."""
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    tomorrow = timezone.now().astimezone(organization_zone()).date() + dt.timedelta(days=1)
    busy = _consultation(ProviderFactory(), tomorrow, 11, status=ConsultationStatus.BOOKED)
    patient = busy.patient

    log_in(page, "recepcion")
    page.goto("/consultations/new/")
    page.fill("#id_scheduled_date", tomorrow.isoformat())
    page.select_option("#id_provider", str(provider.pk))
    eleven = page.locator("#provider-day-free button", has_text="11:00")
    expect(eleven).to_have_count(1)
    page.select_option("#id_document_type", patient.document_type)
    page.fill("#id_document_number", patient.document_number)
    expect(page.locator("#patient-on-file")).to_be_visible()
    expect(eleven).to_have_count(0)
