"""The provider's day on the booking page: its endpoint, and the panel that shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from consultations.models import ConsultationStatus
from tests.factories import ConsultationFactory, ProviderFactory, UserFactory, future, org_zone

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
NEW = "/consultations/new/"
DAY_URL = "/consultations/provider-day/"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org_zone())


# --- The endpoint -----------------------------------------------------------------------------


def test_the_day_fragment_shows_blocks_held_blocks_and_free_starts(reception_client, provider):
    day = future(hours=48).date()
    ConsultationFactory(provider=provider, starts_at=at(day, 9), minutes=30)
    ConsultationFactory(
        provider=provider, starts_at=at(day, 11), minutes=30, status=Status.CANCELLED
    )
    response = reception_client.get(
        DAY_URL, {"provider": provider.pk, "date": day.isoformat(), "duration": 30}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="provider-day-block') == 2
    assert 'provider-day-held" data-held="true"' in page
    assert gettext("held by Kairo") in page
    assert f'data-date="{day.isoformat()}" data-time="08:30"' in page
    assert 'data-time="09:00"' not in page
    assert 'data-time="11:00"' not in page
    assert 'data-time="09:30"' in page


def test_the_day_fragment_also_respects_the_patient(reception_client, provider, patient):
    day = future(hours=48).date()
    ConsultationFactory(patient=patient, starts_at=at(day, 14), minutes=60)
    query = {"provider": provider.pk, "date": day.isoformat(), "duration": 30}
    assert 'data-time="14:00"' in reception_client.get(DAY_URL, query).content.decode()
    page = reception_client.get(DAY_URL, {**query, "patient": patient.pk}).content.decode()
    assert 'data-time="14:00"' not in page
    assert 'data-time="15:00"' in page


def test_the_day_fragment_defaults_to_today(reception_client, provider):
    response = reception_client.get(DAY_URL, {"provider": provider.pk})
    assert response.status_code == 200
    today = dt.datetime.now(org_zone()).date()
    assert response.context["provider_day"].day == today


@pytest.mark.parametrize(
    "query",
    [
        {"provider": ""},
        {"provider": "abc"},
        {"provider": "999999"},
        {"provider": "9" * 30},
        {"date": "2026-02-30"},
        {"date": "tomorrow"},
        {"date": "9999-12-31"},
        {"duration": "7"},
        {"duration": "x"},
    ],
)
def test_bad_input_to_the_day_fragment_is_400(reception_client, provider, query):
    params = {"provider": provider.pk, **query}
    assert reception_client.get(DAY_URL, params).status_code == 400


def test_an_inactive_provider_has_no_day_fragment(reception_client):
    provider = ProviderFactory(is_active=False)
    assert reception_client.get(DAY_URL, {"provider": provider.pk}).status_code == 400


def test_the_day_fragment_needs_login_and_the_booking_permission(client, provider, staff_groups):
    response = client.get(DAY_URL, {"provider": provider.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    client.force_login(UserFactory(username="mirón"))
    assert client.get(DAY_URL, {"provider": provider.pk}).status_code == 403


def test_the_booking_page_carries_the_day_panel_hidden_until_scripted(reception_client, patient):
    page = reception_client.get(f"{NEW}?patient={patient.pk}").content.decode()
    assert 'id="provider-day"' in page
    assert f'data-url="{reverse("provider_day")}"' in page
    assert f'data-patient="{patient.pk}"' in page
    assert "js/provider_day.js" in page


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "9999-12-30"])
def test_a_day_at_the_calendar_ends_is_a_400_not_an_overflow(reception_client, provider, day):
    assert reception_client.get(DAY_URL, {"provider": provider.pk, "date": day}).status_code == 400
