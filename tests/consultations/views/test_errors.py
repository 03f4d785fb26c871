"""The server-error page: a lost database connection anywhere in a request answers 503
with a page saying so (built without the database), in the staff language; any other
error is still the 500 page."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from consultations import middleware
from consultations.views import agenda, booking
from consultations.views import booking_send as booking_send_view

pytestmark = pytest.mark.django_db


class ConnectionFailure(Exception):
    sqlstate = "08006"  # connection_failure


class DivisionByZero(Exception):
    sqlstate = "22012"  # a statement's error on a working connection


def _raising(cause: Exception):
    def raise_it(*args, **kwargs):
        raise OperationalError("database error") from cause

    return raise_it


@pytest.fixture
def desk(receptionist):
    """A logged-in desk whose requests' exceptions become the error pages they make."""
    client = Client(raise_request_exception=False)
    client.force_login(receptionist)
    return client


def outcome_of(response) -> str:
    page = response.content.decode()
    return page.split('data-outcome="', 1)[1].split('"', 1)[0] if "data-outcome" in page else ""


def test_a_page_whose_database_is_lost_answers_503(desk, monkeypatch):
    monkeypatch.setattr(agenda, "agenda_day", _raising(ConnectionFailure()))
    response = desk.get(reverse("agenda"))
    assert response.status_code == 503
    assert outcome_of(response) == "database-unreachable"
    assert '<html lang="es">' in response.content.decode()
    # Only a form sent warns against booking again.
    assert 'id="after-submission"' not in response.content.decode()


def test_a_form_sent_while_the_database_is_lost_warns_against_booking_again(desk, monkeypatch):
    monkeypatch.setattr(booking, "consultation_for_page", _raising(ConnectionFailure()))
    response = desk.post(reverse("consultation_cancel", args=[1]), {"reason": "x"})
    assert response.status_code == 503
    assert outcome_of(response) == "database-unreachable"
    assert 'id="after-submission"' in response.content.decode()


def test_the_language_lookup_lost_falls_back_to_spanish(desk, monkeypatch, settings):
    """The account's language cannot be read: the page is in the login page's language
    (the language cookie, else Spanish), whatever the browser asks for."""
    monkeypatch.setattr(middleware, "staff_language", _raising(ConnectionFailure()))
    monkeypatch.setattr(agenda, "agenda_day", _raising(ConnectionFailure()))
    response = desk.get(reverse("agenda"), headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert '<html lang="es">' in response.content.decode()


def test_any_other_database_error_is_the_500_page(desk, monkeypatch):
    monkeypatch.setattr(agenda, "agenda_day", _raising(DivisionByZero()))
    response = desk.get(reverse("agenda"))
    assert response.status_code == 500
    assert outcome_of(response) == ""


def test_a_lost_connection_is_one_warning_line_without_traceback(desk, monkeypatch, caplog):
    monkeypatch.setattr(agenda, "agenda_day", _raising(ConnectionFailure()))
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert desk.get(reverse("agenda")).status_code == 503
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "database connection lost" in record.getMessage()


def test_a_real_500_is_still_an_error_with_its_traceback(desk, monkeypatch, caplog):
    monkeypatch.setattr(agenda, "agenda_day", _raising(DivisionByZero()))
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert desk.get(reverse("agenda")).status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


def test_a_booking_post_failing_before_the_booking_began_says_not_sent(desk, monkeypatch):
    """The session, the account or its permissions cannot be read (a middleware or the
    view's decorators, before `booking_send`): nothing reached the booking, nothing was
    sent."""
    monkeypatch.setattr(booking, "booking_send", _raising(ConnectionFailure()))
    response = desk.post(reverse("consultation_new"), {"booking_token": "x"})
    assert response.status_code == 503
    assert outcome_of(response) == "booking-not-sent"
    # Any other form sent is still the generic page.
    monkeypatch.setattr(booking, "consultation_for_page", _raising(ConnectionFailure()))
    response = desk.post(reverse("consultation_cancel", args=[1]), {"reason": "x"})
    assert outcome_of(response) == "database-unreachable"


def test_a_booking_post_failing_after_the_booking_began_does_not_say_not_sent(desk, monkeypatch):
    """Past `booking_send`'s start, something unforeseen losing the database might follow
    a Kairo call: the generic page, which warns against booking again."""
    monkeypatch.setattr(booking, "booking_send", _marked_then_lost)
    response = desk.post(reverse("consultation_new"), {"booking_token": "x"})
    assert response.status_code == 503
    assert outcome_of(response) == "database-unreachable"
    assert 'id="after-submission"' in response.content.decode()


def _marked_then_lost(request):
    setattr(request, booking_send_view._STARTED, True)
    raise OperationalError("database error") from ConnectionFailure()


def test_any_other_error_is_the_500_page(desk, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(agenda, "agenda_day", broken)
    assert desk.get(reverse("agenda")).status_code == 500


# --- The training banner, on pages built without the request context -------------------

TRAINING_ES = "FORMACIÓN — no son consultas reales"


@pytest.mark.parametrize("training", [True, False])
def test_the_error_page_carries_the_banner_only_in_training(settings, training):
    from django.test import RequestFactory
    from django.utils import translation

    from consultations.views.errors import server_error

    settings.KAIRO_TRAINING_MODE = training
    with translation.override("es"):
        response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Algo salió mal" in page
    assert (TRAINING_ES in page) is training


@pytest.mark.parametrize("training", [True, False])
def test_the_outage_page_carries_the_banner_only_in_training(settings, desk, monkeypatch, training):
    settings.KAIRO_TRAINING_MODE = training
    monkeypatch.setattr(agenda, "agenda_day", _raising(ConnectionFailure()))
    response = desk.get(reverse("agenda"))
    assert response.status_code == 503
    assert (TRAINING_ES in response.content.decode()) is training
