"""A username longer than django-axes' columns is a failed login like any other, on the
desk's login page and the admin's."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from consultations.login_attempts import AXES_USERNAME_LENGTH

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("length", [256, 10_000])
@pytest.mark.parametrize("login", ["/login/", "/admin/login/"])
def test_a_very_long_username_is_a_failed_login_not_a_500(client, login, length):
    response = client.post(login, {"username": "a" * length, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "a" * AXES_USERNAME_LENGTH
    assert attempt.failures_since_start == 1


def test_a_username_that_fits_is_recorded_whole(client):
    client.post("/login/", {"username": "nadie", "password": "x"})
    assert AccessAttempt.objects.get().username == "nadie"
