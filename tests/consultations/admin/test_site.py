"""The admin site itself: its titles, who may enter, and the lock-outs a clinic admin
lifts there."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from consultations.models import MedicalSpecialty
from tests.consultations.admin.pages import admin_url, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Who may enter, and what the site is called -------------------------------------------


@pytest.mark.smoke
def test_admin_index_renders_for_clinic_admin(clinic_admin_client):
    assert clinic_admin_client.get(reverse("admin:index")).status_code == 200


def test_reception_cannot_enter_the_admin_site(reception_client):
    response = reception_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_reception_cannot_reach_the_admin(reception_client):
    for url in (
        reverse("admin:index"),
        admin_url(MedicalSpecialty, "changelist"),
        admin_url(MedicalSpecialty, "import"),
    ):
        response = reception_client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url

    response = reception_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(b"code,name\nNE001,X\n")}
    )
    assert response.status_code == 302
    assert not MedicalSpecialty.objects.filter(code="NE001").exists()


def test_admin_site_speaks_of_the_clinic(clinic_admin_client):
    response = clinic_admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Kairo Connect" in str(response.context["site_header"])


# --- Lock-outs (django-axes) ----------------------------------------------------------------


def test_a_clinic_admin_lifts_a_lock_out_in_the_admin(client, clinic_admin, settings):
    UserFactory(username="bloqueada")
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "bloqueada", "password": "wrong-password"})
    right = {"username": "bloqueada", "password": "correct-horse-battery"}
    assert client.post(login, right).status_code != 302  # locked out
    attempt = AccessAttempt.objects.get(username="bloqueada")

    assert not clinic_admin.is_superuser
    client.force_login(clinic_admin)
    index = client.get(reverse("admin:index"))
    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    confirm = client.get(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]))
    deleted = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert reverse("admin:axes_accessattempt_changelist") in index.content.decode()
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [attempt]
    assert confirm.status_code == 200
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert client.post(login, right).status_code == 302  # the lock-out is lifted
