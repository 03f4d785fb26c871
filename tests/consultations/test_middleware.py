"""The desk's language is each account's saved choice, Spanish by default, never the
browser's Accept-Language; a request whose cookies carry a NUL byte is refused with a 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import StaffPreference
from consultations.selectors.staff import staff_language
from tests.consultations.pages import page_language

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
