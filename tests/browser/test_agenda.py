"""The agenda in a real browser: the whole day is in the page, not in an inner scrolling
box, and today opens scrolled to the current time."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from playwright.sync_api import expect

from consultations.models import ConsultationStatus
from tests.browser.staff_pages import log_in
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")

# For each ancestor of the element that clips what overflows it (overflow other than
# "visible"), whether the element lies inside that ancestor's visible box, and whether the
# ancestor can scroll vertically. The page itself (html, body) may scroll: that is the
# point. Returns the offending ancestors, empty when nothing hides the element.
CLIPPING_ANCESTORS = """
(element) => {
  const box = element.getBoundingClientRect();
  const problems = [];
  for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
    const style = getComputedStyle(node);
    const clips = style.overflowX !== "visible" || style.overflowY !== "visible";
    if (!clips) continue;
    const frame = node.getBoundingClientRect();
    const scrollsDown = node.scrollHeight > node.clientHeight + 1
      && ["auto", "scroll", "hidden"].includes(style.overflowY);
    const inside = box.top >= frame.top - 1 && box.bottom <= frame.bottom + 1;
    if (scrollsDown || !inside) problems.push(node.className || node.tagName);
  }
  return problems;
}
"""


def test_the_evening_is_in_the_page_not_cut_off_by_an_inner_scroll(
    page, staff_groups, seeded_catalogs, artifacts_dir
):
    UserFactory(username="recepcion", groups=["Recepción"])
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    morning = ConsultationFactory(
        starts_at=dt.datetime(2026, 3, 10, 6, 0, tzinfo=BOGOTA), provider=provider
    )
    evening = ConsultationFactory(
        starts_at=dt.datetime(2026, 3, 10, 19, 0, tzinfo=BOGOTA),
        provider=provider,
        patient=PatientFactory(name="Paciente de la Tarde"),
    )
    short = ConsultationFactory(
        starts_at=dt.datetime(2026, 3, 10, 12, 0, tzinfo=BOGOTA),
        minutes=10,
        provider=provider,
        patient=PatientFactory(name="Ana Corta Diez"),
    )
    held = ConsultationFactory(
        starts_at=dt.datetime(2026, 3, 10, 15, 0, tzinfo=BOGOTA),
        provider=provider,
        status=ConsultationStatus.CANCELLED,
        kairo_status="Pending",
    )
    log_in(page, "recepcion")
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, 0, tzinfo=BOGOTA)):
        page.goto("/agenda/?date=2026-03-10")
        block = page.locator(f'[data-consultation="{evening.pk}"]')
        expect(block).to_have_attribute("aria-label", re.compile("Paciente de la Tarde"))
        # Scrolling the page (the window, nothing inside it) brings 19:00 into view.
        block.scroll_into_view_if_needed()
        expect(block).to_be_in_viewport()
        assert block.evaluate(CLIPPING_ANCESTORS) == []
        assert (
            page.locator(f'[data-consultation="{morning.pk}"]').evaluate(CLIPPING_ANCESTORS) == []
        )
        # The grid is as tall as the day: the page grew instead of a box scrolling.
        grid_height = page.locator("#agenda-grid").evaluate("e => e.getBoundingClientRect().height")
        assert grid_height > page.viewport_size["height"]
        # A 10-minute block still shows the patient's name, on its one line.
        expect(page.locator(f'[data-consultation="{short.pk}"] .agenda-patient')).to_be_visible()
        expect(page.locator(f'[data-consultation="{short.pk}"]')).to_have_attribute(
            "title", re.compile("Ana Corta Diez")
        )
        # A block Kairo still holds is hatched and says so.
        held_block = page.locator(f'[data-consultation="{held.pk}"]')
        expect(held_block.locator(".agenda-held-label")).to_have_text("Retenido por Kairo")
        background = held_block.evaluate("e => getComputedStyle(e).backgroundImage")
        assert "repeating-linear-gradient" in background
        page.screenshot(path=artifacts_dir / "agenda-day.png", full_page=True)


def test_today_opens_scrolled_to_the_current_time(page, staff_groups, seeded_catalogs):
    UserFactory(username="recepcion", groups=["Recepción"])
    ProviderFactory(name="Dra. Camila Restrepo Gómez")
    with time_machine.travel(dt.datetime(2026, 3, 10, 18, 30, tzinfo=BOGOTA)):
        log_in(page, "recepcion")
        now_line = page.locator(".agenda-now-line").first
        expect(now_line).to_be_in_viewport()
        assert page.evaluate("window.scrollY") > 0
