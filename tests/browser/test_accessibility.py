"""WCAG 2.2 AA: axe-core on every staff page in both languages, and the keyboard and
focus behaviour axe cannot see (error summary, skip link, the booking page's focus).
The same crawl fails on English left on a page shown in Spanish (tests/untranslated.py)
and on anything the Content-Security-Policy refused (tests/browser/csp.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from consultations.services.join_links import join_link_issue
from tests.browser.axe import axe_violations, describe
from tests.browser.csp import csp_check
from tests.browser.staff_pages import LANGUAGES, crawl, log_in
from tests.factories import ConsultationFactory
from tests.untranslated import english_fragments, page_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Rules switched off on Django's own admin pages, each with why (none is caused by our
# templates or CSS; fixing them would mean overriding Django's admin templates).
# Django's admin markup needs no rule switched off: static/css/admin.css mends what it
# lacked (breadcrumb links, filter target sizes).
ADMIN_RULE_EXCEPTIONS: tuple[str, ...] = ()


def axe_check(page, staff_page, language) -> list[str]:
    disabled = ADMIN_RULE_EXCEPTIONS if staff_page.path.startswith("/admin/") else ()
    return [describe(violation) for violation in axe_violations(page, disabled_rules=disabled)]


def untranslated_check(page, staff_page, language) -> list[str]:
    """English source strings visible on a page shown in Spanish (none looked for in
    English)."""
    if language != "es":
        return []
    found = english_fragments(page_text(page.content()), language=language)
    return [f"untranslated text: {fragment!r}" for fragment in found]


# The checks every staff page gets, in every language: add another here to crawl with it.
PAGE_CHECKS = [csp_check, axe_check, untranslated_check]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_staff_page_passes_axe_wcag_aa_and_spanish_has_no_english(
    chromium, live_server, staff_pages, language
):
    problems = crawl(
        chromium,
        live_server.url,
        staff_pages,
        language=language,
        username="coordinacion",
        checks=PAGE_CHECKS,
    )
    assert not problems, f"{len(problems)} page(s) with problems:\n" + "\n".join(problems)


def test_skip_link_is_the_first_stop_and_leads_to_the_content(page, receptionist):
    log_in(page, "recepcion")
    page.goto("/patients/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#main"
    assert skip.is_visible()  # shown once focused
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_a_refused_booking_opens_on_its_error_summary_linking_each_field(
    page, receptionist, seeded_catalogs
):
    log_in(page, "recepcion")
    page.goto("/consultations/new/")
    page.fill("#id_document_number", "12AB")
    page.fill("#id_phone", "123")
    with page.expect_navigation():
        page.evaluate("document.getElementById('booking-form').submit()")

    summary = page.locator("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert {"#id_document_number", "#id_phone", "#id_provider"} <= set(hrefs)
    for href in hrefs:  # every link has its field on the page
        assert page.locator(href).count() == 1, href
    summary.locator("a[href='#id_phone']").click()
    expect(page.locator("#id_phone")).to_be_focused()


def test_login_refusal_is_summarised_and_focused(page, receptionist):
    page.goto("/login/")
    page.fill("#id_username", "recepcion")
    page.fill("#id_password", "wrong")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.locator("#error-summary li").count() >= 1


def test_booking_opens_on_the_search_and_a_chosen_patient_moves_on_to_the_provider(
    page, receptionist, seeded_catalogs
):
    from tests.factories import PatientFactory, ProviderFactory

    ProviderFactory(name="Dra. Camila Restrepo Gómez")
    PatientFactory(name="Jorge Iván Pérez", document_number="79555111")
    log_in(page, "recepcion")
    page.goto("/consultations/new/")
    expect(page.locator("#patient-search")).to_be_focused()
    page.keyboard.type("79555111")  # typed straight into the focused search
    page.locator("#patient-results a").first.click()
    page.wait_for_url(re.compile(r".*\?patient=\d+"))
    assert page.input_value("#id_name") == "Jorge Iván Pérez"
    expect(page.locator("#id_provider")).to_be_focused()


def test_the_training_banner_is_visible_and_passes_axe_everywhere(page, settings, clinic_admin):
    settings.KAIRO_TRAINING_MODE = True
    link = join_link_issue(
        consultation=ConsultationFactory(access_pin="730418"), recipient="patient"
    )

    def visit(path: str) -> None:
        page.goto(path)
        banner = page.get_by_role("complementary", name="Modo de formación")
        expect(banner).to_have_text("FORMACIÓN — no son consultas reales")
        expect(banner).to_be_visible()
        assert banner.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 224, 138)"
        violations = [describe(v) for v in axe_violations(page)]
        assert not violations, f"{path}: " + "\n".join(violations)

    visit("/login/")  # signed out: the staff login and the patients' join page
    visit(f"/j/{link.token}")
    log_in(page, "admin")
    for path in ("/", "/admin/"):
        visit(path)
