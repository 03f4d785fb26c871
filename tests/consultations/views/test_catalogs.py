"""The catalogs page: each catalog's state, its title, the time zone, both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import MedicalSpecialty

pytestmark = pytest.mark.django_db


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
