"""Nothing lost when the database blinks: the connection dropping after Kairo answered
(its server session ended, as a PostgreSQL restart ends it) is reconnected and the
answer recorded, never sent to Kairo again; a database that stays down leaves the
booking *sending*, healed by Kairo's `consultation.created` webhook afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import OperationalError

from consultations import services
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    WebhookDelivery,
)
from consultations.services.booking import outcomes

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


@pytest.fixture
def no_waits(settings):
    """Reconnections without the waits between them (their schedule has its own test)."""
    settings.BOOKING_DB_RETRY_ATTEMPTS = 3
    settings.BOOKING_DB_RETRY_SECONDS = 0


def _booked_once(consultation: Consultation) -> None:
    """Booked with Kairo's id and PIN, moved to booked once, one set of emails."""
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.kairo_consultation_id is not None
    assert consultation.access_pin and consultation.patient_join_url
    moved = [e for e in consultation.events.all() if e.detail.get("to") == Status.BOOKED]
    assert len(moved) == 1
    recipients = sorted(
        Delivery.objects.filter(consultation=consultation).values_list("recipient", flat=True)
    )
    assert recipients == ["patient", "provider"]
    assert len([m for m in mail.outbox if consultation.patient.email in m.to]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_answer_is_recorded_on_a_new_connection(
    seeded_catalogs, book, sandbox, outage, no_waits
):
    outage.after_kairo_answers()
    consultation = book()
    assert consultation.status == Status.BOOKED
    assert outage.creates == 1
    assert sandbox.stats()["createsReceived"] == 1  # never sent again
    _booked_once(consultation)
    assert consultation.events.get(kind=Kind.BOOKED).kairo_request_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unknown_outcome_is_recorded_on_a_new_connection(
    seeded_catalogs, book, sandbox, outage, no_waits
):
    sandbox.arm_fault("drop")
    outage.after_kairo_answers()
    consultation = book()
    assert consultation.status == Status.UNCONFIRMED
    assert sandbox.stats()["createsReceived"] == 1
    assert consultation.events.filter(kind=Kind.UNCONFIRMED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_that_stays_down_leaves_it_sending_and_the_webhook_heals_it(
    seeded_catalogs, book, sandbox, outage, no_waits, held_webhooks, monkeypatch
):
    recordings = []
    real = outcomes.booked_record

    def record(consultation, result):
        recordings.append(1)
        return real(consultation, result)

    monkeypatch.setattr(outcomes, "booked_record", record)
    outage.after_kairo_answers(stays_down=True)
    with pytest.raises(services.BookingUnrecorded) as unrecorded:
        book()
    assert len(recordings) == 1 + 3  # and BOOKING_DB_RETRY_ATTEMPTS more, each refused
    assert outage.refused >= 3
    assert isinstance(unrecorded.value.__cause__, OperationalError)
    assert sandbox.stats()["createsReceived"] == 1

    outage.back()
    consultation = Consultation.objects.get(pk=unrecorded.value.consultation_id)
    assert consultation.status == Status.SENDING
    assert consultation.kairo_consultation_id is None
    assert held_webhooks.release() == [200]
    _booked_once(consultation)
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.HEALED
    assert sandbox.stats()["createsReceived"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_swept_to_unconfirmed_meanwhile_the_webhook_still_heals_it(
    seeded_catalogs, book, sandbox, outage, no_waits, held_webhooks
):
    outage.after_kairo_answers(stays_down=True)
    with pytest.raises(services.BookingUnrecorded) as unrecorded:
        book()
    outage.back()
    assert services.consultations_sweep_stuck(older_than=dt.timedelta(0)) == 1
    consultation = Consultation.objects.get(pk=unrecorded.value.consultation_id)
    assert consultation.status == Status.UNCONFIRMED
    assert held_webhooks.release() == [200]
    _booked_once(consultation)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_reconnection_when_turned_off(seeded_catalogs, book, sandbox, outage, settings):
    settings.BOOKING_DB_RETRY_ATTEMPTS = 0
    outage.after_kairo_answers()
    with pytest.raises(services.BookingUnrecorded):
        book()
    assert outage.refused == 0
    assert sandbox.stats()["createsReceived"] == 1


def test_recording_the_answer_twice_queues_the_emails_once(book, monkeypatch):
    """A commit that went through while its connection dropped is recorded again on the
    new one: the second run moves nothing and queues no second email."""
    answers = []
    real = outcomes.booked_record

    def keep(consultation, result):
        answers.append((consultation, result))
        return real(consultation, result)

    monkeypatch.setattr(outcomes, "booked_record", keep)
    consultation = book()
    (answer,) = answers
    again = outcomes.booked_record(*answer)
    assert again.status == Status.BOOKED
    assert Delivery.objects.filter(consultation=consultation).count() == 2
    moved = [e for e in consultation.events.all() if e.detail.get("to") == Status.BOOKED]
    assert len(moved) == 1
