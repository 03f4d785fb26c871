"""The admin's user page: the desk language, permissions worded in the staff language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


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
