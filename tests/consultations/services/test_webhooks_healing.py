"""Healing: the `consultation.created` event of a booking whose create answer was lost
links it (exactly one candidate), reads Kairo's detail and sends the join links; zero
or several candidates are left for staff, never guessed."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail

from consultations.kairo import contract
from consultations.kairo.webhook_body import webhook_envelope_parse
from consultations.models import (
    AuditEntry,
    ConsultationEvent,
    ConsultationStatus,
    WebhookDelivery,
)
from consultations.services.audit import audit_record
from consultations.services.webhooks import webhook_event_apply
from tests.consultations.webhook_posts import webhook_post
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


@pytest.fixture
def captured(sandbox):
    """The sandbox's webhooks, signed and as sent, caught instead of posted."""
    bodies: list[tuple[dict[str, str], bytes]] = []
    lock = threading.Lock()

    def capture(url, headers, body, timeout):
        with lock:
            bodies.append((headers, body))
        return 200

    sandbox.configure_webhooks("http://receiver.invalid/", settings.KAIRO_WEBHOOK_SECRET, capture)
    return bodies


def _lose(sandbox, captured, book_consultation, **overrides):
    """Book with the `drop` fault: Kairo creates it, its answer is lost; returns the
    booking and the signed consultation.created webhook the sandbox sent for it."""
    sandbox.arm_fault("drop")
    consultation = book_consultation(**overrides)
    assert consultation.status == Status.UNCONFIRMED
    assert consultation.kairo_consultation_id is None
    assert sandbox.wait_for_webhooks()
    ((headers, body),) = captured
    return consultation, headers, body


@pytest.fixture
def lost(sandbox, captured, book_consultation):
    """A scheduled booking whose create answer was lost, and its created webhook."""
    return _lose(sandbox, captured, book_consultation)


def test_the_created_event_heals_a_lost_booking(client, lost, django_capture_on_commit_callbacks):
    consultation, headers, body = lost
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_post(client, body, headers=headers)
    assert response.json() == {"outcome": "healed"}
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert str(consultation.kairo_consultation_id) == json.loads(body)["data"]["consultationId"]
    assert consultation.access_pin  # from Kairo's detail, which the event does not carry
    assert consultation.patient_join_url and consultation.provider_join_url
    assert consultation.kairo_expires_at is not None
    event = consultation.events.filter(kind=ConsultationEvent.Kind.WEBHOOK).get()
    assert event.detail["healed"] is True
    assert event.detail["to"] == Status.BOOKED
    patient_mail = [m for m in mail.outbox if consultation.patient.email in m.to]
    assert len(patient_mail) == 1
    assert consultation.access_pin in patient_mail[0].body
    delivery = WebhookDelivery.objects.get()
    assert delivery.consultation == consultation


def test_a_healed_booking_is_recorded_as_booked_by_its_receptionist(client, lost, receptionist):
    consultation, headers, body = lost
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.BOOKED).exists()
    webhook_post(client, body, headers=headers)
    webhook_post(client, body, headers=headers)  # the same delivery again: once only
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.BOOKED)
    assert entry.actor_id == receptionist.pk
    assert entry.object_id == str(consultation.pk)
    assert entry.patient_id == consultation.patient_id
    assert entry.detail == {"status": "booked", "healed_by": "webhook"}


def test_a_healed_booking_already_recorded_gets_no_second_row(client, lost, receptionist):
    consultation, headers, body = lost
    # Left unconfirmed, its result page showed and recorded it.
    audit_record(
        AuditEntry.Action.BOOKED,
        actor=receptionist,
        target=consultation,
        detail={"status": "unconfirmed"},
    )
    webhook_post(client, body, headers=headers)
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.BOOKED)
    assert entry.detail == {"status": "unconfirmed"}


def test_the_same_delivery_again_heals_nothing_twice(
    client, lost, django_capture_on_commit_callbacks
):
    consultation, headers, body = lost
    with django_capture_on_commit_callbacks(execute=True):
        webhook_post(client, body, headers=headers)
        again = webhook_post(client, body, headers=headers)
    assert again.status_code == 200
    sent = [m for m in mail.outbox if consultation.patient.email in m.to]
    assert len(sent) == 1
    assert consultation.events.filter(kind=ConsultationEvent.Kind.WEBHOOK).count() == 1


def test_a_new_delivery_of_the_created_event_later_just_confirms(
    client, lost, django_capture_on_commit_callbacks
):
    consultation, headers, body = lost
    with django_capture_on_commit_callbacks(execute=True):
        webhook_post(client, body, headers=headers)
        headers = {**headers, contract.HEADER_WEBHOOK_DELIVERY: str(uuid.uuid4())}
        assert webhook_post(client, body, headers=headers).json() == {"outcome": "applied"}
    assert len([m for m in mail.outbox if consultation.patient.email in m.to]) == 1


def _created(lost, **data_changes) -> dict:
    body = json.loads(lost[2])
    body["data"].update(data_changes)
    return body


def _apply(body: dict) -> WebhookDelivery:
    return webhook_event_apply(
        delivery_id=str(uuid.uuid4()), envelope=webhook_envelope_parse(json.dumps(body).encode())
    )


@pytest.mark.parametrize(
    "change",
    [
        {"scheduledAt": "2031-01-01T10:00:00-05:00"},
        {"patient": {"documentType": "CC", "documentLastDigits": "9999", "nameInitials": "JG"}},
        {"patient": {"documentType": "CE", "documentLastDigits": "4050", "nameInitials": "JG"}},
        {"provider": {"name": "Another Provider"}},
        {"scheduledAt": None},
        {"patient": {"documentType": "CC", "documentLastDigits": "050"}},
    ],
    ids=[
        "other-time",
        "other-digits",
        "other-document-type",
        "other-provider",
        "no-time",
        "3-digits",
    ],
)
def test_no_candidate_is_left_for_staff(lost, change):
    delivery = _apply(_created(lost, **change))
    assert delivery.outcome == WebhookDelivery.Outcome.UNMATCHED
    assert delivery.candidates == []
    consultation = lost[0]
    consultation.refresh_from_db()
    assert consultation.status == Status.UNCONFIRMED
    assert consultation.kairo_consultation_id is None


def test_a_candidate_of_another_duration_is_listed_not_linked(lost):
    """Kairo's detail says 30 minutes; the only booking that fits the event is 45."""
    consultation = lost[0]
    consultation.duration_id = 45
    consultation.ends_at = consultation.starts_at + dt.timedelta(minutes=45)
    consultation.save()
    delivery = _apply(_created(lost))
    assert delivery.outcome == WebhookDelivery.Outcome.UNMATCHED
    assert delivery.candidates == [consultation.pk]
    consultation.refresh_from_db()
    assert consultation.status == Status.UNCONFIRMED


def test_kairo_failing_to_answer_the_detail_leaves_it_for_staff(lost, sandbox):
    sandbox.arm_fault("500", times=10, scope="any")
    delivery = _apply(_created(lost))
    assert delivery.outcome == WebhookDelivery.Outcome.UNMATCHED
    assert delivery.candidates == [lost[0].pk]


def test_several_candidates_are_listed_never_guessed(lost, general_type):
    """Two providers of the same name (the event names the provider only by name), each
    with a lost booking at that time for a patient with the same last four digits."""
    consultation = lost[0]
    namesake = ProviderFactory(name=consultation.provider.name)
    twin = ConsultationFactory(
        provider=namesake,
        patient=PatientFactory(document_type="CC", document_number="9990304050"),
        starts_at=consultation.starts_at,
        status=Status.UNCONFIRMED,
        kairo_consultation_id=None,
    )
    delivery = _apply(_created(lost))
    assert delivery.outcome == WebhookDelivery.Outcome.UNMATCHED
    assert sorted(delivery.candidates) == sorted([consultation.pk, twin.pk])
    for row in (consultation, twin):
        row.refresh_from_db()
        assert row.status == Status.UNCONFIRMED
        assert row.kairo_consultation_id is None
    assert not mail.outbox


def test_a_repeated_unmatched_delivery_asks_kairo_nothing_more(lost, sandbox):
    consultation = lost[0]
    consultation.duration_id = 45
    consultation.ends_at = consultation.starts_at + dt.timedelta(minutes=45)
    consultation.save()
    body = json.dumps(_created(lost)).encode()
    before = sandbox.stats()["requestsReceived"]
    for _ in range(3):
        webhook_event_apply(delivery_id="same", envelope=webhook_envelope_parse(body))
    assert sandbox.stats()["requestsReceived"] == before + 1  # one GET detail, the first time
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.UNMATCHED


@pytest.fixture
def lost_immediate(sandbox, captured, book_consultation):
    """An immediate booking whose create answer was lost, and its created webhook."""
    lost = _lose(sandbox, captured, book_consultation, scheduled_for=None)
    assert lost[0].scheduled_for is None
    assert json.loads(lost[2])["data"]["scheduledAt"] is None
    return lost


def test_the_created_event_heals_a_lost_immediate_booking(
    client, lost_immediate, django_capture_on_commit_callbacks
):
    consultation, headers, body = lost_immediate
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_post(client, body, headers=headers)
    assert response.json() == {"outcome": "healed"}
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert str(consultation.kairo_consultation_id) == json.loads(body)["data"]["consultationId"]
    assert consultation.access_pin
    assert len([m for m in mail.outbox if consultation.patient.email in m.to]) == 1


@pytest.mark.parametrize(
    ("minutes", "healed"),
    [(-6, False), (-4, True), (1, True), (3, False)],
    ids=["begun-long-before", "begun-shortly-before", "clock-skew", "begun-after"],
)
def test_an_immediate_event_matches_only_a_booking_begun_around_its_creation(
    lost_immediate, minutes, healed
):
    """Kairo's createdAt is moved `minutes` away from our booking's start."""
    consultation = lost_immediate[0]
    created = consultation.starts_at + dt.timedelta(minutes=-minutes)
    wall = created.astimezone(ZoneInfo(settings.ORGANIZATION_TIME_ZONE))
    delivery = _apply(
        _created(lost_immediate, createdAt=wall.strftime(contract.WIRE_DATETIME_FORMAT))
    )
    consultation.refresh_from_db()
    assert (delivery.outcome == WebhookDelivery.Outcome.HEALED) is healed
    assert (consultation.status == Status.BOOKED) is healed


def test_an_immediate_event_never_heals_a_scheduled_booking(lost):
    consultation = lost[0]
    wall = consultation.starts_at.astimezone(ZoneInfo(settings.ORGANIZATION_TIME_ZONE))
    body = _created(lost, scheduledAt=None, createdAt=wall.strftime(contract.WIRE_DATETIME_FORMAT))
    assert _apply(body).outcome == WebhookDelivery.Outcome.UNMATCHED
