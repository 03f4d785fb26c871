"""Applying Kairo's events: status only forward, whatever the order; session joins on
the timeline; unknown events and consultations stored for staff."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest

from consultations.kairo import contract
from consultations.kairo.webhook_body import webhook_envelope_parse
from consultations.models import (
    ConsultationEvent,
    ConsultationStatus,
    WebhookDelivery,
)
from consultations.services.webhooks import webhook_event_apply
from tests.consultations.webhook_posts import envelope
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
CREATED = contract.EVENT_CONSULTATION_CREATED
STARTED = contract.EVENT_SESSION_STARTED
ENDED = contract.EVENT_SESSION_ENDED
COMPLETED = contract.EVENT_CONSULTATION_COMPLETED
EXPIRED = contract.EVENT_CONSULTATION_EXPIRED
JOIN = "2030-03-14T15:02:00Z"


def apply(consultation, event: str, delivery_id: str | None = None, **data) -> WebhookDelivery:
    body = envelope(event, consultation.kairo_consultation_id, **data)
    return webhook_event_apply(
        delivery_id=delivery_id or str(uuid.uuid4()),
        envelope=webhook_envelope_parse(json.dumps(body).encode()),
    )


def session(consultation, event: str, participant: str, at: str = JOIN) -> WebhookDelivery:
    return apply(consultation, event, participant=participant, occurredAt=at)


@pytest.fixture
def unconfirmed():
    return ConsultationFactory(
        status=Status.UNCONFIRMED, kairo_consultation_id=uuid.uuid4(), kairo_status=""
    )


@pytest.fixture
def booked():
    return ConsultationFactory(kairo_consultation_id=uuid.uuid4(), kairo_status="Pending")


def test_created_confirms_a_known_consultation(unconfirmed):
    delivery = apply(unconfirmed, CREATED)
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.BOOKED
    assert unconfirmed.kairo_status == contract.STATUS_PENDING
    assert delivery.outcome == WebhookDelivery.Outcome.APPLIED
    assert delivery.consultation == unconfirmed
    event = unconfirmed.events.get(kind=ConsultationEvent.Kind.WEBHOOK)
    assert event.detail == {"event": CREATED, "from": "unconfirmed", "to": "booked"}


def test_a_session_start_records_who_joined_and_when(booked):
    session(booked, STARTED, "patient")
    booked.refresh_from_db()
    joined = dt.datetime(2030, 3, 14, 15, 2, tzinfo=dt.UTC)
    assert booked.status == Status.IN_PROGRESS
    assert booked.kairo_status == contract.STATUS_IN_PROGRESS
    assert booked.patient_joined_at == joined
    assert booked.session_started_at == joined
    assert booked.provider_joined_at is None
    event = booked.events.get(kind=ConsultationEvent.Kind.WEBHOOK)
    assert event.detail["participant"] == "patient"
    assert event.detail["at"] == joined.isoformat()
    assert event.detail["to"] == Status.IN_PROGRESS


def test_the_earliest_join_is_kept(booked):
    session(booked, STARTED, "provider", "2030-03-14T15:05:00Z")
    session(booked, STARTED, "provider", "2030-03-14T15:01:00Z")
    session(booked, STARTED, "provider", "2030-03-14T15:09:00Z")
    booked.refresh_from_db()
    assert booked.provider_joined_at == dt.datetime(2030, 3, 14, 15, 1, tzinfo=dt.UTC)


def test_a_session_end_records_who_left_without_closing_the_consultation(booked):
    session(booked, STARTED, "patient")
    session(booked, ENDED, "patient", "2030-03-14T15:20:00Z")
    booked.refresh_from_db()
    assert booked.status == Status.IN_PROGRESS
    last = booked.events.filter(kind=ConsultationEvent.Kind.WEBHOOK).last()
    assert last.detail == {
        "event": ENDED,
        "participant": "patient",
        "at": "2030-03-14T15:20:00+00:00",
        "status": Status.IN_PROGRESS,
    }


def test_a_session_event_without_its_time_uses_the_envelope_timestamp(booked):
    apply(booked, STARTED, participant="provider")
    booked.refresh_from_db()
    assert booked.provider_joined_at == dt.datetime(2030, 3, 14, 15, 0, tzinfo=dt.UTC)


def test_an_odd_participant_is_left_out(booked):
    apply(booked, STARTED, participant="<script>", occurredAt="not a time")
    booked.refresh_from_db()
    assert booked.status == Status.IN_PROGRESS
    assert booked.patient_joined_at is None and booked.provider_joined_at is None
    event = booked.events.get(kind=ConsultationEvent.Kind.WEBHOOK)
    assert "participant" not in event.detail


@pytest.mark.parametrize(
    ("event", "final"), [(COMPLETED, Status.COMPLETED), (EXPIRED, Status.EXPIRED)]
)
def test_completed_and_expired_are_final(booked, event, final):
    apply(booked, event)
    for later in (CREATED, STARTED, ENDED, COMPLETED, EXPIRED):
        apply(booked, later, participant="patient", occurredAt=JOIN)
    booked.refresh_from_db()
    assert booked.status == final


def test_completed_before_created_ends_completed(unconfirmed):
    apply(unconfirmed, COMPLETED)
    apply(unconfirmed, CREATED)
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.COMPLETED
    assert unconfirmed.kairo_status == contract.STATUS_COMPLETED


def test_a_session_start_after_completed_ends_completed(booked):
    apply(booked, COMPLETED)
    session(booked, STARTED, "patient")
    booked.refresh_from_db()
    assert booked.status == Status.COMPLETED
    assert booked.kairo_status == contract.STATUS_COMPLETED
    assert booked.patient_joined_at is not None  # the fact is still recorded


LIFE = [
    (CREATED, {}),
    (STARTED, {"participant": "patient", "occurredAt": "2030-03-14T15:01:00Z"}),
    (STARTED, {"participant": "provider", "occurredAt": "2030-03-14T15:03:00Z"}),
    (ENDED, {"participant": "patient", "occurredAt": "2030-03-14T15:25:00Z"}),
    (COMPLETED, {}),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(LIFE)))))
def test_any_order_ends_in_the_state_of_the_right_order(order):
    consultation = ConsultationFactory(
        status=Status.UNCONFIRMED, kairo_consultation_id=uuid.uuid4()
    )
    for index in order:
        event, data = LIFE[index]
        apply(consultation, event, **data)
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    assert consultation.kairo_status == contract.STATUS_COMPLETED
    assert consultation.patient_joined_at == dt.datetime(2030, 3, 14, 15, 1, tzinfo=dt.UTC)
    assert consultation.provider_joined_at == dt.datetime(2030, 3, 14, 15, 3, tzinfo=dt.UTC)
    assert consultation.session_started_at == consultation.patient_joined_at


def test_a_local_cancellation_stays_but_kairo_releases_the_window(booked):
    booked.status = Status.CANCELLED
    booked.save()
    assert booked.is_held_by_kairo
    session(booked, STARTED, "patient")
    apply(booked, EXPIRED)
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED
    assert booked.kairo_status == contract.STATUS_EXPIRED
    assert not booked.is_held_by_kairo


def test_a_delivery_seen_before_has_no_second_effect(booked):
    first = session(booked, STARTED, "patient")
    again = apply(
        booked, COMPLETED, delivery_id=first.delivery_id
    )  # same id, even with another body
    booked.refresh_from_db()
    assert again.pk == first.pk
    assert again.event == STARTED
    assert booked.status == Status.IN_PROGRESS
    assert booked.events.filter(kind=ConsultationEvent.Kind.WEBHOOK).count() == 1


def test_an_unknown_event_is_stored_without_effect(booked):
    delivery = apply(booked, "consultation.moved_to_mars")
    booked.refresh_from_db()
    assert delivery.outcome == WebhookDelivery.Outcome.UNKNOWN_EVENT
    assert delivery.consultation is None
    assert delivery.event == "consultation.moved_to_mars"
    assert booked.status == Status.BOOKED
    assert not booked.events.exists()


@pytest.mark.parametrize("kairo_id", [str(uuid.uuid4()), "not-a-uuid", ""])
def test_an_unknown_consultation_is_stored_without_effect(kairo_id):
    body = envelope(COMPLETED, kairo_id)
    delivery = webhook_event_apply(
        delivery_id="d-1", envelope=webhook_envelope_parse(json.dumps(body).encode())
    )
    assert delivery.outcome == WebhookDelivery.Outcome.UNKNOWN_CONSULTATION
    assert delivery.consultation is None
    assert WebhookDelivery.objects.get().payload["data"]["consultationId"] == kairo_id
