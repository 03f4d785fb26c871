"""The language switch: honoured before login, saved for the account after it, an
unknown language changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consultations import services
from consultations.models import StaffPreference
from tests.consultations.pages import page_language

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"


def test_the_login_pages_switch_is_honoured_before_login(client):
    client.post(SETLANG, {"language": "en", "next": "/login/"})
    assert page_language(client.get("/login/")) == "en"


def test_the_switch_saves_the_choice_for_the_account(client, receptionist):
    client.force_login(receptionist)
    response = client.post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert StaffPreference.objects.get(user=receptionist).language == "en"
    # Another browser (no language cookie), a Spanish Accept-Language: still English.
    client.cookies.clear()
    client.force_login(receptionist)
    assert page_language(client.get(reverse("agenda"), HTTP_ACCEPT_LANGUAGE="es")) == "en"


def test_an_unknown_language_changes_nothing(client, receptionist):
    client.force_login(receptionist)
    client.post(SETLANG, {"language": "fr", "next": "/"})
    assert not StaffPreference.objects.exists()
    with pytest.raises(ValidationError) as raised:
        services.staff_language_save(user=receptionist, language="fr")
    assert raised.value.code == "unknown_language"
