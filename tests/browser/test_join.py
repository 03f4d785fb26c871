"""The public join page in a real browser: axe-core (WCAG 2.2 AA) and the
Content-Security-Policy (nothing refused) in every state and both languages, the countdown that enables Join, the page without JavaScript, Join
through our server to the room, and the staff's "Revoke and reissue join links"."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from consultations.models import ConsultationEvent, ConsultationStatus, JoinLink
from consultations.services.join_links import join_link_issue
from tests.browser.axe import axe_violations, describe
from tests.browser.csp import csp_violations
from tests.browser.staff_pages import log_in
from tests.factories import ConsultationFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = ConsultationStatus
PIN = "730418"
ROOM = "https://meet.kairo.example/room/b7?type=patient"


@pytest.fixture(autouse=True)
def _join_settings(settings):
    cache.clear()
    settings.CLINIC_NAME = "Clínica del Norte"
    settings.CLINIC_PHONE = "+57 601 555 0100"
    settings.JOIN_OPENS_MINUTES_BEFORE = 15
    yield
    cache.clear()


def consultation(*, minutes_from_now: float = 120, language: str = "es", **fields):
    fields.setdefault("access_pin", PIN)
    fields.setdefault("patient_join_url", ROOM)
    fields.setdefault("provider_join_url", "https://meet.kairo.example/room/b7?type=provider")
    fields.setdefault("kairo_consultation_id", uuid.uuid4())
    return ConsultationFactory(
        starts_at=timezone.now() + dt.timedelta(minutes=minutes_from_now),
        patient=PatientFactory(preferred_language=language),
        **fields,
    )


STATES = {
    "waiting": {},
    "open": {"minutes_from_now": 5},
    "immediate": {"immediate": True, "minutes_from_now": 0},
    "in_progress": {"status": Status.IN_PROGRESS, "minutes_from_now": -5},
    "cancelled": {"status": Status.CANCELLED},
    "completed": {"status": Status.COMPLETED, "minutes_from_now": -90},
    "expired": {"status": Status.EXPIRED, "minutes_from_now": -90},
    "not_confirmed": {"status": Status.UNCONFIRMED, "access_pin": "", "patient_join_url": ""},
    "rejected": {"status": Status.REJECTED, "access_pin": "", "patient_join_url": ""},
}


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("state", list(STATES))
def test_the_join_page_passes_axe_in_every_state(page, state, language):
    fields = dict(STATES[state])
    if fields.get("immediate"):
        fields.pop("minutes_from_now")
        link = join_link_issue(
            consultation=ConsultationFactory(
                immediate=True,
                access_pin=PIN,
                patient_join_url=ROOM,
                provider_join_url=ROOM.replace("patient", "provider"),
                patient=PatientFactory(preferred_language=language),
            ),
            recipient="patient",
        )
    else:
        link = join_link_issue(
            consultation=consultation(language=language, **fields), recipient="patient"
        )
    page.set_viewport_size({"width": 390, "height": 844})  # a phone first
    page.goto(f"/j/{link.token}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_be_visible()
    problems = csp_violations(page) + [describe(v) for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["unknown", "limited"])
def test_the_404_and_429_pages_pass_axe(page, settings, which):
    settings.JOIN_GUESS_LIMIT = 1
    page.goto("/j/unknown-token")
    if which == "limited":
        response = page.goto("/j/another-unknown-token")
        assert response.status == 429
    problems = [describe(v) for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


def test_the_countdown_enables_join_which_goes_through_the_server_to_the_room(page, settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 0
    booked = consultation(minutes_from_now=8 / 60)  # opens in about eight seconds
    link = join_link_issue(consultation=booked, recipient="patient")
    page.goto(f"/j/{link.token}")
    button = page.locator("#join-button")
    expect(button).to_be_disabled()
    expect(page.locator("#join-countdown")).to_be_visible()
    expect(button).to_be_enabled(timeout=15_000)
    expect(page.locator("#join-opened")).to_have_text("El botón Ingresar ya está habilitado.")
    # The room is Kairo's (no network here): the browser's request for it, redirected
    # from our POST, is the proof.
    with page.expect_request(ROOM) as request:
        button.click()
    assert request.value.redirected_from.url.endswith(f"/j/{link.token}/join")
    assert request.value.redirected_from.method == "POST"
    assert booked.events.filter(kind=ConsultationEvent.Kind.JOIN_PRESSED).count() == 1


def test_without_javascript_the_page_says_when_it_opens_and_offers_a_reload(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="es-CO", java_script_enabled=False
    )
    try:
        page = context.new_page()
        link = join_link_issue(consultation=consultation(), recipient="patient")
        page.goto(f"/j/{link.token}")
        expect(page.locator("#join-button")).to_be_disabled()
        expect(page.locator("#join-countdown")).to_be_hidden()
        expect(page.locator("#join-waiting")).to_contain_text("El botón Ingresar se habilita el")
        expect(page.locator("#join-reload")).to_have_attribute("href", f"/j/{link.token}")
    finally:
        context.close()


def test_staff_see_the_clinic_links_and_revoke_and_reissue_them(page, staff_groups):
    UserFactory(username="recepcion", groups=["Recepción"])
    booked = consultation()
    old = join_link_issue(consultation=booked, recipient="patient")
    log_in(page, "recepcion")
    page.goto(f"/consultations/{booked.pk}/")
    expect(page.locator("#join-link-patient")).to_have_value(old.url)
    problems = [describe(v) for v in axe_violations(page)]
    assert not problems, "\n".join(problems)
    with page.expect_navigation():
        page.locator("#join-links-reissue").click()
    new = JoinLink.objects.get(consultation=booked, recipient="patient", revoked_at=None)
    expect(page.locator("#join-link-patient")).to_have_value(new.url)
    assert page.request.get(f"/j/{old.token}").status == 404
