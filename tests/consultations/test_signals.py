"""Auth receivers: a login stamps its session's times; an account saved as inactive (the
admin, a shell, anywhere) is logged out of every session at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from consultations.middleware import LAST_ACTIVITY_KEY, LOGIN_AT_KEY
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("agenda")).status_code == 200
    return client


def test_the_sessions_are_in_the_database():
    # Ending a user's sessions reads them there (consultations/services/staff.py).
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_a_login_stamps_its_session_with_its_times(client, receptionist):
    assert (
        client.post(reverse("login"), {"username": "recepcion", "password": PASSWORD}).status_code
        == 302
    )
    assert client.session[LOGIN_AT_KEY] == client.session[LAST_ACTIVITY_KEY] > 0


def test_deactivating_an_account_ends_each_of_its_sessions_and_no_other(receptionist):
    colleague = UserFactory(username="recepcion2", groups=["Recepción"])
    desk, phone, other = logged_in(receptionist), logged_in(receptionist), logged_in(colleague)
    assert Session.objects.count() == 3

    receptionist.is_active = False
    receptionist.save()

    assert Session.objects.count() == 1
    for client in (desk, phone):
        response = client.get(reverse("agenda"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert other.get(reverse("agenda")).status_code == 200


def test_deactivating_in_the_admin_ends_the_sessions(receptionist):
    desk = logged_in(receptionist)
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    change = reverse("admin:auth_user_change", args=[receptionist.pk])
    form = admin.get(change)
    assert form.status_code == 200
    prefix = form.context["inline_admin_formsets"][0].formset.prefix
    data = {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1",
        "username": receptionist.username,
        "is_active": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "08:00:00",
        "groups": [group.pk for group in receptionist.groups.all()],
    }
    response = admin.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    receptionist.refresh_from_db()
    assert not receptionist.is_active
    assert desk.get(reverse("agenda")).status_code == 302


def test_saving_an_active_account_keeps_its_sessions(receptionist):
    desk = logged_in(receptionist)
    receptionist.first_name = "Ana"
    receptionist.save()
    assert desk.get(reverse("agenda")).status_code == 200


def test_a_sign_in_a_failed_one_and_a_sign_out_are_audited(client, receptionist):
    from consultations.models import AuditEntry

    Action = AuditEntry.Action
    client.post(
        reverse("login"),
        {"username": "recepcion", "password": "wrong"},
        REMOTE_ADDR="192.0.2.10",
    )
    client.post(
        reverse("login"),
        {"username": "recepcion", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.10",
    )
    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.10")
    rows = list(
        AuditEntry.objects.order_by("pk").values_list(
            "action", "actor_username", "actor_id", "address"
        )
    )
    assert rows == [
        (Action.LOGIN_FAILED, "recepcion", None, "192.0.2.10"),
        (Action.LOGIN, "recepcion", receptionist.pk, "192.0.2.10"),
        (Action.LOGOUT, "recepcion", receptionist.pk, "192.0.2.10"),
    ]
