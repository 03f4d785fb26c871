"""The frame: login, the root, the catalogs page, language, time zone shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import MedicalSpecialty

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_login_page_renders_with_local_bootstrap(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "cdn" not in html.lower()


@pytest.mark.smoke
def test_login_with_password_reaches_the_agenda(client, receptionist):
    response = client.post(
        reverse("login"), {"username": "recepcion", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda")
    assert client.get(reverse("agenda")).status_code == 200


def test_failed_logins_lock_the_account_out(client, receptionist):
    for _ in range(5):
        client.post(reverse("login"), {"username": "recepcion", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "recepcion", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.smoke
def test_catalogs_page_lists_the_catalogs_state(reception_client):
    response = reception_client.get(reverse("catalogs"))
    assert response.status_code == 200
    catalogs = {state.admin_url_name: state for state in response.context["catalogs"]}
    specialties = catalogs["admin:consultations_medicalspecialty_changelist"]
    assert specialties.total == MedicalSpecialty.objects.count() > 0
    assert specialties.unconfirmed == MedicalSpecialty.objects.filter(is_confirmed=False).count()
    durations = catalogs["admin:consultations_duration_changelist"]
    assert (durations.total, durations.active, durations.unconfirmed) == (10, 10, None)


def test_catalogs_page_is_titled_and_reached_as_such(reception_client):
    html = reception_client.get(reverse("catalogs")).content.decode()
    assert "<title>Catálogos · Kairo Connect</title>" in html
    assert '<h1 class="h3 mb-3" id="catalogs-title">Catálogos</h1>' in html
    # Every page's navigation leads there by that name.
    agenda = reception_client.get(reverse("agenda")).content.decode()
    assert f'id="nav-catalogs" href="{reverse("catalogs")}">Catálogos</a>' in agenda


def test_the_root_leads_to_the_agenda(reception_client):
    response = reception_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda")


def test_catalogs_page_shows_the_organization_time_zone(reception_client, settings):
    html = reception_client.get(reverse("catalogs")).content.decode()
    assert settings.ORGANIZATION_TIME_ZONE in html


@pytest.mark.smoke
def test_interface_is_spanish_first_and_english_on_request(reception_client):
    spanish = reception_client.get(reverse("catalogs")).content.decode()
    assert 'lang="es"' in spanish
    assert "Catálogos de Kairo Connect" in spanish
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = reception_client.get(reverse("catalogs")).content.decode()
    assert 'lang="en"' in english
    assert "Kairo Connect catalogs" in english
    assert "<title>Catalogs · Kairo Connect</title>" in english


@pytest.mark.smoke
def test_admin_index_renders_for_clinic_admin(clinic_admin_client):
    assert clinic_admin_client.get(reverse("admin:index")).status_code == 200


def test_reception_cannot_enter_the_admin_site(reception_client):
    response = reception_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Error pages: the desk's own, in the staff language (Django's are English) -------------


def test_a_missing_page_is_the_desks_own_in_spanish(reception_client, settings):
    settings.DEBUG = False
    response = reception_client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Página no encontrada" in page
    assert "Not Found" not in page


def test_an_expired_form_is_explained_in_spanish(receptionist, settings):
    from django.test import Client

    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(receptionist)
    response = client.post(reverse("consultation_new"), {})
    assert response.status_code == 403
    page = response.content.decode()
    assert "El formulario ha caducado" in page
    assert "CSRF" not in page


def test_a_server_error_page_is_in_the_staff_language():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("es"):
        page = render_to_string("500.html")
    assert '<html lang="es">' in page
    assert "Algo salió mal" in page
