"""The booking form sent while the database is unreachable: a 503 page that says whether
anything reached Kairo Connect, in the staff language, with no patient data, never a
500; and the booking it may have made heals once the database is back."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse

from consultations import rules
from consultations.models import Consultation, ConsultationStatus
from consultations.views import booking_send

Status = ConsultationStatus
NEW = reverse("consultation_new")


class ConnectionRefused(Exception):
    """A driver error with the SQLSTATE of a connection that could not be made."""

    sqlstate = "08006"


class StatementTimeout(Exception):
    """A driver error on a working connection: the statement ran out of time."""

    sqlstate = "57014"


def lost_connection() -> OperationalError:
    error = OperationalError("connection to server lost")
    error.__cause__ = ConnectionRefused()
    return error


def outcome_of(response) -> str:
    page = response.content.decode()
    marker = 'data-outcome="'
    assert marker in page, page
    return page.split(marker, 1)[1].split('"', 1)[0]


def assert_no_patient_data(response, data: dict[str, str]) -> None:
    page = response.content.decode()
    for field in ("name", "document_number", "email", "phone"):
        assert data[field] not in page, field


@pytest.mark.django_db
def test_a_database_lost_before_kairo_is_called_says_nothing_was_sent(
    reception_client, booking_data, sandbox, monkeypatch
):
    def down(**kwargs):
        raise lost_connection()

    # The rules run again inside step 1's transaction, before Kairo is called.
    monkeypatch.setattr(rules, "booking_check", down)
    data = booking_data()
    response = reception_client.post(NEW, data)
    assert response.status_code == 503
    assert outcome_of(response) == booking_send.NOT_SENT
    assert '<html lang="es">' in response.content.decode()
    assert_no_patient_data(response, data)
    assert sandbox.stats()["createsReceived"] == 0
    assert not Consultation.objects.exists()


@pytest.mark.django_db
def test_a_database_lost_while_the_form_is_checked_says_nothing_was_sent(
    reception_client, booking_data, sandbox, monkeypatch
):
    def down(form):
        raise lost_connection()

    monkeypatch.setattr(booking_send.BookingForm, "full_clean", down)
    response = reception_client.post(NEW, booking_data())
    assert response.status_code == 503
    assert outcome_of(response) == booking_send.NOT_SENT
    assert sandbox.stats()["createsReceived"] == 0


@pytest.mark.django_db
def test_a_database_lost_while_a_failed_forms_token_is_looked_up_says_nothing_was_sent(
    reception_client, booking_data, sandbox, monkeypatch
):
    """A form that fails looks for its token's booking (a double click's): the
    database lost then is before anything was sent too."""

    def down(token):
        raise lost_connection()

    monkeypatch.setattr(booking_send, "consultation_for_token", down)
    response = reception_client.post(NEW, booking_data(email="not-an-email"))
    assert response.status_code == 503
    assert outcome_of(response) == booking_send.NOT_SENT
    assert sandbox.stats()["createsReceived"] == 0


@pytest.mark.django_db
def test_another_database_error_is_no_outage_page(reception_client, booking_data, monkeypatch):
    def broken(form):
        raise OperationalError("canceling statement") from StatementTimeout()

    monkeypatch.setattr(booking_send.BookingForm, "full_clean", broken)
    with pytest.raises(OperationalError):
        reception_client.post(NEW, booking_data())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_down_after_kairo_answered_says_do_not_book_again_then_it_heals(
    seeded_catalogs, reception_client, booking_data, sandbox, outage, held_webhooks, settings
):
    settings.BOOKING_DB_RETRY_ATTEMPTS = 2
    settings.BOOKING_DB_RETRY_SECONDS = 0
    client = reception_client
    outage.after_kairo_answers(stays_down=True)
    data = booking_data()
    response = client.post(NEW, data)
    assert response.status_code == 503
    assert outcome_of(response) == booking_send.MAYBE_BOOKED
    assert_no_patient_data(response, data)
    assert sandbox.stats()["createsReceived"] == 1

    outage.back()
    consultation = Consultation.objects.get()
    assert consultation.status == Status.SENDING
    assert held_webhooks.release() == [200]
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.access_pin
    # The same form sent again (the back button) finds it, and books nothing more.
    again = client.post(NEW, data)
    assert again["Location"] == reverse("consultation_result", args=[consultation.pk])
    assert sandbox.stats()["createsReceived"] == 1
