"""The Content-Security-Policy in a real Chromium: the violation listener the crawls use
(tests/browser/csp.py) sees what the policy refuses, and the pages that place things
from a script (the agenda) do so without a violation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.csp import csp_violations
from tests.browser.staff_pages import log_in
from tests.factories import ConsultationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_listener_sees_an_inline_script_and_a_style_attribute_refused(page, receptionist):
    log_in(page, "recepcion")
    page.goto("/patients/")
    assert csp_violations(page) == []
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.append(script);
        document.body.setAttribute("style", "color: red");
    }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    found = csp_violations(page)
    assert any(v.startswith("script-src-elem refused inline") for v in found), found
    assert any(v.startswith("style-src-attr refused inline") for v in found), found
    assert page.evaluate("window.__ran === undefined")  # the inline script never ran


def test_the_agenda_places_its_blocks_from_the_static_script_without_a_violation(
    page, receptionist
):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    booked = ConsultationFactory(starts_at=start + dt.timedelta(days=1), minutes=45)
    log_in(page, "recepcion")
    page.goto(f"/agenda/?date={booked.starts_at.astimezone(start.tzinfo).date().isoformat()}")
    block = page.locator(f'[data-consultation="{booked.pk}"]')
    expect(block).to_be_visible()
    # 06:00 opens the day: three hours above at 6rem an hour, 45 minutes tall (16px rem).
    assert block.evaluate("node => node.style.top") == "18rem"
    box = block.bounding_box()
    assert box is not None and round(box["height"]) == 72
    assert csp_violations(page) == []
