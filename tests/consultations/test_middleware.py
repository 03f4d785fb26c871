"""The desk's language is each account's saved choice, Spanish by default, never the
browser's Accept-Language."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from consultations import services
from consultations.models import StaffPreference
from consultations.selectors.staff import staff_language
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang>"
    return match.group(1)


def test_the_login_page_is_spanish_whatever_the_browser_asks(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page_language(response) == "es"
    assert "Iniciar sesión" in response.content.decode()


def test_the_login_pages_switch_is_honoured_before_login(client):
    client.post(SETLANG, {"language": "en", "next": "/login/"})
    assert page_language(client.get("/login/")) == "en"


def test_a_new_account_works_in_spanish_even_with_an_english_browser(client, receptionist):
    client.force_login(receptionist)
    response = client.get(reverse("agenda"), HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(response) == "es"
    assert staff_language(user=receptionist) == "es"
    assert not StaffPreference.objects.exists()  # nothing saved until they choose


def test_the_switch_saves_the_choice_for_the_account(client, receptionist):
    client.force_login(receptionist)
    response = client.post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert StaffPreference.objects.get(user=receptionist).language == "en"
    # Another browser (no language cookie), a Spanish Accept-Language: still English.
    client.cookies.clear()
    client.force_login(receptionist)
    assert page_language(client.get(reverse("agenda"), HTTP_ACCEPT_LANGUAGE="es")) == "en"


def test_the_saved_language_beats_a_stale_cookie(client, receptionist):
    StaffPreference.objects.create(user=receptionist, language="es")
    client.cookies["django_language"] = "en"
    client.force_login(receptionist)
    assert page_language(client.get(reverse("agenda"))) == "es"


def test_an_unknown_language_changes_nothing(client, receptionist):
    client.force_login(receptionist)
    client.post(SETLANG, {"language": "fr", "next": "/"})
    assert not StaffPreference.objects.exists()
    with pytest.raises(ValidationError) as raised:
        services.staff_language_save(user=receptionist, language="fr")
    assert raised.value.code == "unknown_language"


def test_a_language_no_longer_offered_falls_back_to_spanish(receptionist):
    StaffPreference.objects.create(user=receptionist, language="pt")
    assert staff_language(user=receptionist) == "es"


def test_the_admin_user_page_edits_the_language(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    someone = UserFactory(username="recepcion2")
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[someone.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="staff_preference-0-language"' in page.content.decode()
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if key in form.fields and value is not None and key not in ("password", "groups")
    }
    data.update(
        {
            "username": someone.username,
            "date_joined_0": someone.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": someone.date_joined.strftime("%H:%M:%S"),
            "staff_preference-TOTAL_FORMS": "1",
            "staff_preference-INITIAL_FORMS": "0",
            "staff_preference-MIN_NUM_FORMS": "0",
            "staff_preference-MAX_NUM_FORMS": "1",
            "staff_preference-0-language": "en",
            "staff_preference-0-user": str(someone.pk),
        }
    )
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=someone.pk).staff_preference.language == "en"


def test_permissions_on_the_user_page_are_worded_in_the_staff_language():
    from django.contrib.auth.models import Permission
    from django.utils import translation

    from consultations.admin import permission_label

    view_patient = Permission.objects.get(codename="view_patient")
    book = Permission.objects.get(codename="book_consultation")
    with translation.override("es"):
        assert permission_label(view_patient).endswith("| paciente | Puede ver paciente")
        assert permission_label(book).endswith("| Puede agendar consultas")
    with translation.override("en"):
        assert permission_label(view_patient).endswith("| patient | Can view patient")
