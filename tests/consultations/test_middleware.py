"""The desk's language is each account's saved choice, Spanish by default, never the
browser's Accept-Language; a session ends when idle or too old; responses are never
cached; a request whose cookies carry a NUL byte is refused with a 400."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings as settings_module
from django.test import Client
from django.urls import reverse

from consultations.models import StaffPreference
from consultations.selectors.staff import staff_language
from consultations.services.join_links import join_link_issue
from tests.consultations.pages import page_language
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_is_spanish_whatever_the_browser_asks(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page_language(response) == "es"
    assert "Iniciar sesión" in response.content.decode()


def test_a_new_account_works_in_spanish_even_with_an_english_browser(client, receptionist):
    client.force_login(receptionist)
    response = client.get(reverse("agenda"), HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(response) == "es"
    assert staff_language(user=receptionist) == "es"
    assert not StaffPreference.objects.exists()  # nothing saved until they choose


def test_the_saved_language_beats_a_stale_cookie(client, receptionist):
    StaffPreference.objects.create(user=receptionist, language="es")
    client.cookies["django_language"] = "en"
    client.force_login(receptionist)
    assert page_language(client.get(reverse("agenda"))) == "es"


# --- Session lifetime: idle timeout and absolute lifetime ---------------------------------


START = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def ended(response) -> bool:
    """Sent to the login page, with the page asked for as `next`."""
    return response.status_code == 302 and response.url.startswith(reverse("login") + "?next=")


def test_a_session_unused_for_the_idle_time_ends_with_a_message(
    clock, client, receptionist, settings
):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(receptionist)
    clock.shift(dt.timedelta(minutes=29))
    assert client.get(reverse("agenda")).status_code == 200
    clock.shift(dt.timedelta(minutes=29))  # 29 minutes after the last use: still on
    assert client.get(reverse("patient_list")).status_code == 200
    clock.shift(dt.timedelta(minutes=30))
    response = client.get(reverse("patient_list"))
    assert ended(response)
    login_page = client.get(response.url)
    assert [m.level_tag for m in login_page.context["messages"]] == ["info"]
    assert "_auth_user_id" not in client.session
    assert ended(client.get(reverse("agenda")))  # logged out, not just redirected once


def test_the_pages_own_polls_do_not_keep_a_session_alive(clock, client, receptionist, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(receptionist)
    for _poll in range(4):
        clock.shift(dt.timedelta(minutes=10))
        poll = client.get(reverse("consultation_status"), {"ids": "1"})
        if poll.status_code != 200:
            break
    # The 30-minute poll: 30 minutes after the login, the last use. Refused in the
    # background; the next click ends the session and says why.
    assert poll.status_code == 401
    assert poll.json()["error"]
    response = client.get(reverse("agenda"))
    assert ended(response)
    assert [m.level_tag for m in client.get(response.url).context["messages"]] == ["info"]


def test_a_session_in_constant_use_still_ends_after_its_maximum_lifetime(
    clock, client, receptionist, settings
):
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_MAX_HOURS = 12
    client.force_login(receptionist)
    for _step in range(11 * 3 + 2):  # every 20 minutes for 11 h 40 min
        clock.shift(dt.timedelta(minutes=20))
        assert client.get(reverse("agenda")).status_code == 200
    clock.shift(dt.timedelta(minutes=20))  # 12 h after the login
    assert ended(client.get(reverse("agenda")))


def test_the_stored_session_and_cookie_expire_with_the_maximum_lifetime(client, receptionist):
    client.force_login(receptionist)
    assert settings_module.SESSION_COOKIE_AGE == round(settings_module.SESSION_MAX_HOURS * 3600)
    assert client.session.get_expire_at_browser_close()


# --- Never cached ----------------------------------------------------------------------------


def test_pages_downloads_and_the_join_page_are_never_stored(reception_client, clinic_admin):
    consultation = ConsultationFactory(access_pin="482913")
    link = join_link_issue(consultation=consultation, recipient="patient")
    admin_client = Client()
    admin_client.force_login(clinic_admin)
    responses = {
        "detail": reception_client.get(reverse("consultation_detail", args=[consultation.pk])),
        "result": reception_client.get(reverse("consultation_result", args=[consultation.pk])),
        "export": admin_client.get(reverse("consultation_export")),
        "patient": reception_client.get(reverse("patient_detail", args=[consultation.patient.pk])),
        "patients": reception_client.get(reverse("patient_list"), {"q": "1234"}),
        "admin": admin_client.get("/admin/consultations/patient/"),
        "join": Client().get(f"/j/{link.token}"),
        "login": Client().get(reverse("login")),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert "no-store" in response.headers["Cache-Control"], name


def test_static_files_stay_cacheable(settings):
    # Served by WhiteNoise before any view: the no-store middleware never sees them.
    settings.WHITENOISE_USE_FINDERS = True  # no collectstatic in tests
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/desk.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


# --- NUL bytes in cookies (RefuseNulCookiesMiddleware) ------------------------------------
# PostgreSQL cannot hold NUL in text: a session cookie with one would fail in the lookup.


@pytest.mark.parametrize("page", ["/login/", "/agenda/"])
@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "other"])
def test_a_nul_in_a_cookie_is_a_spanish_400_on_any_page(client, cookie, page):
    client.cookies[cookie] = "abcdefgh\x00"
    response = client.get(page)
    assert response.status_code == 400
    assert "Solicitud no válida" in response.content.decode()


def test_the_refusal_is_in_the_language_the_cookie_names(client):
    client.cookies["django_language"] = "en"
    client.cookies["sessionid"] = "\x00"
    response = client.get("/login/")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_cookies_without_nul_pass(reception_client):
    reception_client.cookies["other"] = "abc"
    assert reception_client.get(reverse("agenda")).status_code == 200


def test_a_nul_in_a_desk_search_or_login_is_a_form_error_not_a_500(reception_client, client):
    for url in ("/consultations/?q=%00", "/patients/?q=x%00", "/agenda/?date=%00"):
        response = reception_client.get(url)
        assert response.status_code == 200, url
        assert response.context["form"].errors, url
    client.logout()
    response = client.post("/login/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


# --- Forms in another charset (RefuseNonUtf8FormsMiddleware) -------------------------------
# Django raises BadRequest on every read of such a body, its own 400 page included.


@pytest.mark.parametrize("charset", ["utf-16", "UTF-32", "latin-1", "cp1252"])
def test_a_form_in_another_charset_is_a_spanish_400(receptionist, charset):
    # With the CSRF check enforced, as a browser meets it: that check reads the body.
    desk = Client(enforce_csrf_checks=True, raise_request_exception=False)
    desk.force_login(receptionist)
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    for url in ("/login/", reverse("consultation_new"), "/admin/login/"):
        response = desk.post(url, "a=b", content_type=content_type)
        assert response.status_code == 400, url
        assert "Solicitud no válida" in response.content.decode()


def test_a_utf_8_form_naming_its_charset_passes(client, receptionist):
    from tests.factories import PASSWORD

    body = f"username=recepcion&password={PASSWORD}"
    response = client.post(
        "/login/", body, content_type="application/x-www-form-urlencoded; charset=UTF-8"
    )
    assert response.status_code == 302
