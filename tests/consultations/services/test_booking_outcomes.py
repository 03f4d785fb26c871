"""Step 3, Kairo's booking recorded: in one conditional UPDATE while the row is as step
1 left it, else by locking and reading it first; either way booked once, its emails
queued once, its event written."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Consultation, ConsultationEvent, ConsultationStatus, Delivery
from consultations.services.booking import outcomes
from tests.factories import ConsultationFactory, remote_consultation

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


@pytest.fixture
def sent():
    """A booking as step 1 leaves it (sending, nothing from Kairo yet), that instance,
    and Kairo's answer for it."""
    consultation = ConsultationFactory(
        status=Status.SENDING,
        kairo_consultation_id=None,
        access_pin="",
        patient_join_url="",
        provider_join_url="",
        kairo_status="",
    )
    return consultation, remote_consultation(consultation_id=uuid.uuid4())


def _recorded(consultation: Consultation, before: str) -> None:
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.access_pin == "123456"
    assert consultation.patient_join_url and consultation.provider_join_url
    assert sorted(
        Delivery.objects.filter(consultation=consultation, kind=Delivery.Kind.BOOKING).values_list(
            "recipient", flat=True
        )
    ) == [Delivery.Recipient.PATIENT, Delivery.Recipient.PROVIDER]
    (event,) = consultation.events.filter(kind=Kind.BOOKED)
    assert event.detail["from"] == before
    assert event.kairo_request_id == "req_fixed"


def _locked(queries) -> bool:
    """Whether the row was read (locked, on PostgreSQL) before it was written."""
    return any(
        query["sql"].startswith("SELECT") and 'FROM "consultations_consultation"' in query["sql"]
        for query in queries.captured_queries
    )


def test_a_row_as_step_1_left_it_is_booked_by_one_update_without_a_lock_first(sent):
    consultation, answer = sent
    with CaptureQueriesContext(connection) as queries:
        recorded = outcomes.booked_record(consultation, answer)
    assert not _locked(queries)
    assert [q["sql"].split()[0] for q in queries.captured_queries].count("UPDATE") == 1
    assert recorded.status == Status.BOOKED
    assert consultation.status == Status.SENDING  # step 1's instance, untouched
    _recorded(consultation, Status.SENDING)


def test_a_row_changed_since_step_1_is_locked_and_read_before_it_is_booked(sent):
    """The sweep moved it to unconfirmed meanwhile: the conditional update matches
    nothing, and the row as it is now is the one booked (from unconfirmed)."""
    consultation, answer = sent
    Consultation.objects.filter(pk=consultation.pk).update(status=Status.UNCONFIRMED)
    with CaptureQueriesContext(connection) as queries:
        recorded = outcomes.booked_record(consultation, answer)
    assert _locked(queries)
    assert recorded.status == Status.BOOKED
    _recorded(consultation, Status.UNCONFIRMED)


def test_a_field_it_reads_changed_since_step_1_is_read_again(sent):
    """Kairo's status, as a webhook may have recorded it already, is never taken back
    by the create answer (`remote_apply`), so it is compared too."""
    consultation, answer = sent
    Consultation.objects.filter(pk=consultation.pk).update(kairo_status="InProgress")
    with CaptureQueriesContext(connection) as queries:
        outcomes.booked_record(consultation, answer)
    assert _locked(queries)
    consultation.refresh_from_db()
    assert consultation.kairo_status == "InProgress"


def test_an_email_row_already_there_rolls_the_update_back_and_queues_no_second(sent):
    consultation, answer = sent
    Delivery.objects.create(
        consultation=consultation, recipient=Delivery.Recipient.PATIENT, kind=Delivery.Kind.BOOKING
    )
    recorded = outcomes.booked_record(consultation, answer)
    assert recorded.status == Status.BOOKED
    _recorded(consultation, Status.SENDING)
