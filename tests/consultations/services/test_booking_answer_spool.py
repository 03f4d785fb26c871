"""Kairo's answer kept on disk when the database stays down while a booking records it,
and recorded by the sweep once the database is back: booked with Kairo's detail, emails
once, harmless twice or after the webhook healed it; a broken file is moved aside."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.core import mail
from django.core.management import call_command

from consultations import services
from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationStatus, Delivery, WebhookDelivery
from consultations.services.booking.answer_spool import answer_spool_replay, answer_spool_write
from tests.consultations.conftest import race

Status = ConsultationStatus


@pytest.fixture
def no_waits(settings):
    settings.BOOKING_DB_RETRY_ATTEMPTS = 2
    settings.BOOKING_DB_RETRY_SECONDS = 0


@pytest.fixture
def unrecorded(seeded_catalogs, book, outage, no_waits, _booking_answer_spool):
    """A booking Kairo made whose answer the database never recorded; the database back."""
    outage.after_kairo_answers(stays_down=True)
    with pytest.raises(services.BookingUnrecorded) as raised:
        book()
    outage.back()
    return Consultation.objects.get(pk=raised.value.consultation_id)


def _entries(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def _booked_once(consultation: Consultation, sandbox) -> None:
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.kairo_consultation_id is not None
    with kairo.KairoClient.from_settings() as client:
        remote = client.get_consultation(consultation.kairo_consultation_id)
    assert consultation.access_pin == remote.access_pin
    assert consultation.patient_join_url
    moved = [e for e in consultation.events.all() if e.detail.get("to") == Status.BOOKED]
    assert len(moved) == 1
    assert Delivery.objects.filter(consultation=consultation).count() == 2
    assert len([m for m in mail.outbox if consultation.patient.email in m.to]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_answer_is_kept_with_no_personal_data(unrecorded, _booking_answer_spool):
    assert unrecorded.status == Status.SENDING
    assert unrecorded.kairo_consultation_id is None
    (name,) = _entries(_booking_answer_spool)
    assert name == f"{unrecorded.pk}.json"
    entry = json.loads((_booking_answer_spool / name).read_text())
    assert set(entry) == {"consultation", "kairo_consultation_id", "request_id", "written_at"}
    assert entry["consultation"] == unrecorded.pk
    assert entry["request_id"].startswith("req_")
    text = (_booking_answer_spool / name).read_text()
    for private in (unrecorded.patient.name, unrecorded.patient.document_number, "http"):
        assert private not in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_records_it_from_kairos_detail(unrecorded, sandbox, _booking_answer_spool):
    call_command("sweep_stuck_bookings")
    _booked_once(unrecorded, sandbox)
    assert unrecorded.kairo_last_request_id
    assert _entries(_booking_answer_spool) == []
    # Twice is harmless: nothing left to do, nothing sent again.
    assert answer_spool_replay() == 0
    _booked_once(unrecorded, sandbox)
    assert sandbox.stats()["createsReceived"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_the_webhook_healed_it_the_entry_is_dropped(
    seeded_catalogs, book, outage, no_waits, held_webhooks, sandbox, _booking_answer_spool
):
    outage.after_kairo_answers(stays_down=True)
    with pytest.raises(services.BookingUnrecorded) as raised:
        book()
    outage.back()
    assert held_webhooks.release() == [200]
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.HEALED
    assert answer_spool_replay() == 0
    assert _entries(_booking_answer_spool) == []
    _booked_once(Consultation.objects.get(pk=raised.value.consultation_id), sandbox)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_it_once(unrecorded, sandbox, _booking_answer_spool):
    results = race([answer_spool_replay, answer_spool_replay])
    assert sorted(results) == [0, 1]
    _booked_once(unrecorded, sandbox)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_kairo_failing_keeps_the_entry_for_the_next_run(
    unrecorded, sandbox, monkeypatch, _booking_answer_spool
):
    def fail(client, consultation_id):
        raise kairo.KairoError("TIMEOUT", "no answer", outcome=kairo.KairoOutcome.UNKNOWN)

    monkeypatch.setattr(kairo.KairoClient, "get_consultation", fail)
    assert answer_spool_replay() == 0
    assert _entries(_booking_answer_spool) == [f"{unrecorded.pk}.json"]
    unrecorded.refresh_from_db()
    assert unrecorded.kairo_consultation_id is None
    assert unrecorded.kairo_last_request_id.startswith("req_")  # quotable meanwhile
    monkeypatch.undo()
    assert answer_spool_replay() == 1
    _booked_once(unrecorded, sandbox)


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"{not json", b'{"consultation": "x"}', b"\xff\xfe", b"[]"])
def test_an_unreadable_file_is_moved_aside_and_reported(
    content, _booking_answer_spool, booked, caplog
):
    _booking_answer_spool.mkdir(parents=True)
    (_booking_answer_spool / "7.json").write_bytes(content)
    answer_spool_write(
        consultation_pk=booked.pk, kairo_id=booked.kairo_consultation_id, request_id="req_1"
    )
    with caplog.at_level(logging.ERROR, logger="consultations.booking"):
        call_command("sweep_stuck_bookings")
    assert _entries(_booking_answer_spool) == ["7.json.unreadable"]  # the linked one dropped
    assert "7.json is unreadable" in caplog.text


def test_a_disk_that_refuses_is_logged_not_raised(settings, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.BOOKING_ANSWER_SPOOL_DIR = blocker / "spool"

    with caplog.at_level(logging.ERROR, logger="consultations.booking"):
        assert not answer_spool_write(consultation_pk=1, kairo_id=uuid.uuid4(), request_id="r")
    assert "Could not keep Kairo's answer for consultation 1" in caplog.text
