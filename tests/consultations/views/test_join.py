"""The clinic's join page, /j/<token>: each state, the Join button, the 404 shared by
wrong and revoked tokens, the guess limit, the headers, the recipient's language, and
"Revoke and reissue join links" on the consultation page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from consultations.models import ConsultationEvent, ConsultationStatus, JoinLink
from consultations.services.join_links import join_link_issue, join_links_reissue
from tests.factories import ConsultationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind
PIN = "482913"
PATIENT_ROOM = "https://meet.kairo.example/room/r8f2?type=patient"
PROVIDER_ROOM = "https://meet.kairo.example/room/r8f2?type=provider"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The guess counter lives in the cache: each test starts from none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clinic(settings):
    settings.CLINIC_NAME = "Clínica del Norte"
    settings.CLINIC_PHONE = "+57 601 555 0100"
    settings.JOIN_OPENS_MINUTES_BEFORE = 15
    settings.JOIN_GUESS_LIMIT = 20


def booked(**fields):
    fields.setdefault("access_pin", PIN)
    fields.setdefault("patient_join_url", PATIENT_ROOM)
    fields.setdefault("provider_join_url", PROVIDER_ROOM)
    fields.setdefault("kairo_consultation_id", uuid.uuid4())
    return ConsultationFactory(**fields)


def in_minutes(minutes: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(minutes=minutes)).replace(microsecond=0)


def page_of(client, link: JoinLink, **extra):
    return client.get(f"/j/{link.token}", **extra)


def body(response) -> str:
    return response.content.decode()


# --- States ------------------------------------------------------------------------------


def test_booked_before_the_opening_time_disables_join_and_counts_down(client):
    consultation = booked(starts_at=in_minutes(120))
    link = join_link_issue(consultation=consultation, recipient="patient")
    response = page_of(client, link)
    assert response.status_code == 200
    html = body(response)
    assert "Clínica del Norte" in html
    assert consultation.provider.name in html
    assert PIN in html
    assert 'id="join-button" disabled' in html
    seconds = int(html.split('data-seconds-until-open="')[1].split('"')[0])
    assert 105 * 60 - 5 <= seconds <= 105 * 60 + 5
    assert 'id="join-countdown"' in html and "js/join.js" in html
    assert 'id="join-reload"' in html
    # The time in the organization's zone, named.
    assert "America/Bogota" in html
    assert PATIENT_ROOM not in html


def test_booked_within_the_window_enables_join(client):
    link = join_link_issue(consultation=booked(starts_at=in_minutes(10)), recipient="patient")
    html = body(page_of(client, link))
    assert 'id="join-button">' in html
    assert "data-seconds-until-open" not in html
    assert "js/join.js" not in html


def test_the_window_follows_the_setting(client, settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 5
    link = join_link_issue(consultation=booked(starts_at=in_minutes(10)), recipient="patient")
    assert 'id="join-button" disabled' in body(page_of(client, link))


def test_an_immediate_consultation_is_joinable_at_once(client, settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 60
    link = join_link_issue(consultation=booked(immediate=True), recipient="patient")
    html = body(page_of(client, link))
    assert 'id="join-button">' in html
    assert PIN in html


def test_in_progress_is_joinable(client):
    consultation = booked(starts_at=in_minutes(-5), status=Status.IN_PROGRESS)
    link = join_link_issue(consultation=consultation, recipient="provider")
    html = body(page_of(client, link))
    assert 'id="join-button">' in html
    assert consultation.patient.name in html


def test_cancelled_says_so_with_the_phone_and_never_the_room_link_nor_the_pin(client):
    consultation = booked(starts_at=in_minutes(10))
    link = join_link_issue(consultation=consultation, recipient="patient")
    consultation.status = Status.CANCELLED
    consultation.save()
    response = page_of(client, link)
    assert response.status_code == 200
    html = body(response)
    assert 'id="join-cancelled"' in html
    assert "+57 601 555 0100" in html
    assert PATIENT_ROOM not in html and PROVIDER_ROOM not in html
    assert "meet.kairo.example" not in html
    assert PIN not in html
    assert 'id="join-button"' not in html


def test_cancelled_without_a_clinic_phone_names_none(client, settings):
    settings.CLINIC_PHONE = ""
    consultation = booked(status=Status.CANCELLED)
    link = join_link_issue(consultation=consultation, recipient="patient")
    assert 'id="join-phone"' not in body(page_of(client, link))


def test_moved_shows_the_new_time(client):
    consultation = booked(starts_at=dt.datetime(2031, 3, 4, 15, 0, tzinfo=dt.UTC))
    link = join_link_issue(consultation=consultation, recipient="patient")
    assert "10:00" in body(page_of(client, link))  # 15:00 UTC is 10:00 in Bogotá
    consultation.starts_at = consultation.scheduled_for = dt.datetime(
        2031, 3, 5, 19, 30, tzinfo=dt.UTC
    )
    consultation.ends_at = consultation.starts_at + dt.timedelta(minutes=30)
    consultation.save()
    html = body(page_of(client, link))
    assert "14:30" in html and "5 de marzo de 2031" in html
    assert "4 de marzo" not in html


def test_completed_says_so(client):
    consultation = booked(starts_at=in_minutes(-60), status=Status.COMPLETED)
    link = join_link_issue(consultation=consultation, recipient="patient")
    html = body(page_of(client, link))
    assert 'id="join-completed"' in html
    assert PATIENT_ROOM not in html and PIN not in html


@pytest.mark.parametrize("status", [Status.EXPIRED, Status.BOOKED])
def test_expired_says_so(client, status):
    # Booked but past its expiry reads expired too: Kairo expires it unused.
    consultation = booked(starts_at=in_minutes(-60), status=status)
    link = join_link_issue(consultation=consultation, recipient="patient")
    html = body(page_of(client, link))
    assert 'id="join-expired"' in html
    assert PATIENT_ROOM not in html and PIN not in html


@pytest.mark.parametrize(
    ("status", "marker"),
    [
        (Status.SENDING, "join-not-confirmed"),
        (Status.UNCONFIRMED, "join-not-confirmed"),
        (Status.REJECTED, "join-not-available"),
    ],
)
def test_not_confirmed_or_rejected_has_no_link(client, status, marker):
    consultation = booked(status=status, access_pin="", patient_join_url="", provider_join_url="")
    link = join_link_issue(consultation=consultation, recipient="patient")
    html = body(page_of(client, link))
    assert f'id="{marker}"' in html
    assert 'id="join-button"' not in html


# --- Join ------------------------------------------------------------------------------------


def test_join_within_the_window_records_and_redirects_to_the_recipients_room(client):
    consultation = booked(starts_at=in_minutes(10))
    link = join_link_issue(consultation=consultation, recipient="provider")
    response = client.post(f"/j/{link.token}/join")
    assert response.status_code == 302
    assert response["Location"] == PROVIDER_ROOM
    (event,) = consultation.events.filter(kind=Kind.JOIN_PRESSED)
    assert event.detail == {"recipient": "provider"}


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": in_minutes(120)},
        {"status": Status.CANCELLED},
        {"status": Status.COMPLETED, "starts_at": in_minutes(-60)},
    ],
    ids=["before-opening", "cancelled", "completed"],
)
def test_join_when_not_allowed_goes_back_to_the_page_and_records_nothing(client, fields):
    consultation = booked(**fields)
    link = join_link_issue(consultation=consultation, recipient="patient")
    response = client.post(f"/j/{link.token}/join")
    assert response.status_code == 302
    assert response["Location"] == f"/j/{link.token}"
    assert not consultation.events.filter(kind=Kind.JOIN_PRESSED).exists()


def test_join_needs_the_csrf_token(settings):
    from django.test import Client

    link = join_link_issue(consultation=booked(starts_at=in_minutes(10)), recipient="patient")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/j/{link.token}/join").status_code == 403
    page = strict.get(f"/j/{link.token}")
    token = page.cookies["csrftoken"].value
    response = strict.post(f"/j/{link.token}/join", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == PATIENT_ROOM


def test_getting_the_join_address_does_not_join(client):
    link = join_link_issue(consultation=booked(starts_at=in_minutes(10)), recipient="patient")
    assert client.get(f"/j/{link.token}/join").status_code == 405


def test_opening_is_recorded_once_per_recipient_per_ten_minutes(client):
    consultation = booked()
    patient_link = join_link_issue(consultation=consultation, recipient="patient")
    provider_link = join_link_issue(consultation=consultation, recipient="provider")
    page_of(client, patient_link)
    page_of(client, patient_link)
    page_of(client, provider_link)
    opened = consultation.events.filter(kind=Kind.JOIN_PAGE_OPENED)
    assert sorted(event.detail["recipient"] for event in opened) == ["patient", "provider"]
    opened.filter(detail__recipient="patient").update(
        created_at=timezone.now() - dt.timedelta(minutes=11)
    )
    page_of(client, patient_link)
    assert consultation.events.filter(kind=Kind.JOIN_PAGE_OPENED).count() == 3


# --- Wrong and revoked tokens, guessing --------------------------------------------------


def test_wrong_and_revoked_tokens_get_the_same_404(client, receptionist):
    consultation = booked()
    old = join_link_issue(consultation=consultation, recipient="patient")
    join_links_reissue(consultation=consultation, actor=receptionist)
    wrong = client.get("/j/" + "x" * len(old.token))
    revoked = client.get(f"/j/{old.token}")
    assert wrong.status_code == revoked.status_code == 404
    assert body(wrong) == body(revoked)
    assert dict(wrong.headers).keys() == dict(revoked.headers).keys()
    assert wrong["X-Robots-Tag"] == revoked["X-Robots-Tag"] == "noindex"
    # Neither answer is recorded on the timeline.
    assert not consultation.events.filter(kind=Kind.JOIN_PAGE_OPENED).exists()


def test_wrong_and_revoked_tokens_post_the_same_404(client, receptionist):
    consultation = booked(starts_at=in_minutes(10))
    old = join_link_issue(consultation=consultation, recipient="patient")
    join_links_reissue(consultation=consultation, actor=receptionist)
    wrong = client.post("/j/nothing-here/join")
    revoked = client.post(f"/j/{old.token}/join")
    assert wrong.status_code == revoked.status_code == 404
    assert body(wrong) == body(revoked)


@pytest.mark.parametrize("token", ["%00", "a%00b", "x" * 500, "ñ", "..%2f"])
def test_odd_tokens_are_a_404_not_a_500(client, token):
    assert client.get(f"/j/{token}").status_code == 404


def test_too_many_bad_tokens_from_one_address_get_429_and_another_address_is_unaffected(
    client, settings
):
    settings.JOIN_GUESS_LIMIT = 5
    good = join_link_issue(consultation=booked(), recipient="patient")
    for attempt in range(5):
        assert client.get(f"/j/guess{attempt}", REMOTE_ADDR="203.0.113.7").status_code == 404
    limited = client.get("/j/guess-more", REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429
    assert "Demasiados intentos" in body(limited)
    assert limited["Retry-After"] == str(settings.JOIN_GUESS_WINDOW_MINUTES * 60)
    assert limited["Cache-Control"] == "no-store"
    # Even a real token from the guessing address waits: the page tells it nothing.
    assert page_of(client, good, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.post(f"/j/{good.token}/join", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert page_of(client, good, REMOTE_ADDR="198.51.100.4").status_code == 200


def test_the_429_page_is_in_english_for_an_english_visitor(client, settings):
    settings.JOIN_GUESS_LIMIT = 1
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get("/j/guess")
    assert "Too many attempts" in body(client.get("/j/guess"))


def test_good_tokens_do_not_count_as_guesses(client, settings):
    settings.JOIN_GUESS_LIMIT = 2
    link = join_link_issue(consultation=booked(), recipient="patient")
    for _ in range(5):
        assert page_of(client, link).status_code == 200


# --- Headers, language -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["page", "not_found", "join_redirect"])
def test_every_answer_is_noindex_no_referrer_no_store(client, which):
    link = join_link_issue(consultation=booked(starts_at=in_minutes(10)), recipient="patient")
    response = {
        "page": lambda: page_of(client, link),
        "not_found": lambda: client.get("/j/unknown"),
        "join_redirect": lambda: client.post(f"/j/{link.token}/join"),
    }[which]()
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    if which != "join_redirect":
        assert '<meta name="robots" content="noindex">' in body(response)


def test_the_page_has_no_staff_navigation(client):
    html = body(page_of(client, join_link_issue(consultation=booked(), recipient="patient")))
    assert "/agenda/" not in html and "/logout/" not in html and "/admin/" not in html


@pytest.mark.parametrize(("language", "text"), [("es", "Ingresar"), ("en", "Join")])
def test_the_page_is_in_the_patients_language(client, language, text):
    consultation = booked(patient=PatientFactory(preferred_language=language))
    response = page_of(client, join_link_issue(consultation=consultation, recipient="patient"))
    html = body(response)
    assert f'<html lang="{language}">' in html
    assert f">{text}</button>" in html
    assert response["Content-Language"] == language


def test_the_providers_page_is_in_the_default_language(client, settings):
    consultation = booked(patient=PatientFactory(preferred_language="en"))
    response = page_of(client, join_link_issue(consultation=consultation, recipient="provider"))
    assert f'<html lang="{settings.LANGUAGE_CODE}">' in body(response)


# --- Revoke and reissue (staff) ------------------------------------------------------------


def test_revoke_and_reissue_from_the_consultation_page(reception_client, receptionist):
    consultation = booked(starts_at=in_minutes(10))
    old = join_link_issue(consultation=consultation, recipient="patient")
    detail = body(reception_client.get(f"/consultations/{consultation.pk}/"))
    assert old.url in detail
    assert 'id="join-links-reissue"' in detail
    response = reception_client.post(f"/consultations/{consultation.pk}/join-links/reissue/")
    assert response.status_code == 302
    assert reception_client.get(f"/j/{old.token}").status_code == 404
    new = JoinLink.objects.get(consultation=consultation, recipient="patient", revoked_at=None)
    assert new.token != old.token
    assert reception_client.get(f"/j/{new.token}").status_code == 200
    detail = body(reception_client.get(f"/consultations/{consultation.pk}/"))
    assert new.url in detail and old.url not in detail
    (event,) = consultation.events.filter(kind=Kind.JOIN_LINKS_REISSUED)
    assert event.actor == receptionist


def test_reissue_needs_the_booking_permission(client, staff_groups):
    consultation = booked()
    viewer = UserFactory(username="solo-lectura")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_consultation"))
    client.force_login(viewer)
    assert 'id="join-links-reissue"' not in body(client.get(f"/consultations/{consultation.pk}/"))
    response = client.post(f"/consultations/{consultation.pk}/join-links/reissue/")
    assert response.status_code == 403
    assert not consultation.events.filter(kind=Kind.JOIN_LINKS_REISSUED).exists()


def test_reissue_is_a_post(reception_client):
    consultation = booked()
    assert (
        reception_client.get(f"/consultations/{consultation.pk}/join-links/reissue/").status_code
        == 405
    )
