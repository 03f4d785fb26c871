"""The desk's language is each account's saved choice, Spanish by default, never the
browser's Accept-Language."""

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
