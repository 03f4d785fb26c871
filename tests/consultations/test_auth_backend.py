"""The desk's account backend (consultations/auth_backend.py): the account, its language
and its permissions read in as few queries as it can, and never kept beyond the request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.auth_backend import DeskBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _granted(user) -> set[str]:
    return DeskBackend().get_all_permissions(DeskBackend().get_user(user.pk))


def test_permissions_own_and_by_group_are_read_with_the_account(receptionist):
    own = Permission.objects.get(codename="view_auditentry")
    receptionist.user_permissions.add(own)
    backend = DeskBackend()
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(receptionist.pk)
        granted = backend.get_all_permissions(user)
    by_group = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(group__name="Recepción")
    }
    assert granted == by_group | {"consultations.view_auditentry"}
    assert "consultations.book_consultation" in granted
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)


def test_a_permission_taken_away_applies_from_the_next_page(receptionist, client):
    client.force_login(receptionist)
    new = reverse("consultation_new")
    assert client.get(new).status_code == 200
    Group.objects.get(name="Recepción").permissions.remove(
        Permission.objects.get(codename="book_consultation")
    )
    assert "consultations.book_consultation" not in _granted(receptionist)
    assert client.get(new).status_code == 403


def test_a_superuser_has_every_permission_and_an_account_without_any_has_none():
    root = UserFactory(is_superuser=True, is_staff=True)
    assert _granted(root) == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    assert _granted(UserFactory()) == set()
