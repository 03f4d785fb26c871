"""The site's frame (clinic/ settings, the project's templates): the login page and its
lock-out, and the error pages in the staff language."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
