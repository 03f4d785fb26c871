"""The same delivery ten times at once (PostgreSQL, real commits, one connection per
thread): every answer is 200 and the delivery has its effect once."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from consultations.kairo import contract
from consultations.models import ConsultationEvent, ConsultationStatus, WebhookDelivery
from tests.consultations.conftest import race
from tests.consultations.webhook_posts import envelope, webhook_headers, webhook_post
from tests.factories import ConsultationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COPIES = 10


@pytest.mark.parametrize(
    ("event", "data", "status"),
    [
        (contract.EVENT_CONSULTATION_CREATED, {}, ConsultationStatus.BOOKED),
        (
            contract.EVENT_SESSION_STARTED,
            {"participant": "patient", "occurredAt": "2030-03-14T15:01:00Z"},
            ConsultationStatus.IN_PROGRESS,
        ),
    ],
)
def test_ten_identical_deliveries_at_once_have_one_effect(seeded_catalogs, event, data, status):
    consultation = ConsultationFactory(
        status=ConsultationStatus.UNCONFIRMED, kairo_consultation_id=uuid.uuid4()
    )
    raw = json.dumps(envelope(event, consultation.kairo_consultation_id, **data)).encode()
    headers = webhook_headers(raw, delivery_id=str(uuid.uuid4()))

    answers = race([lambda: webhook_post(Client(), raw, headers=headers)] * COPIES)

    assert [getattr(answer, "status_code", answer) for answer in answers] == [200] * COPIES
    assert WebhookDelivery.objects.count() == 1
    events = ConsultationEvent.objects.filter(
        consultation=consultation, kind=ConsultationEvent.Kind.WEBHOOK
    )
    assert events.count() == 1
    consultation.refresh_from_db()
    assert consultation.status == status


def test_different_deliveries_at_once_for_one_consultation_all_apply(seeded_catalogs):
    """Copies of different events race on the consultation's row lock: each is applied,
    and the status ends where the furthest event puts it."""
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4())
    kairo_id = consultation.kairo_consultation_id
    bodies = [
        envelope(contract.EVENT_SESSION_STARTED, kairo_id, participant="patient"),
        envelope(contract.EVENT_SESSION_STARTED, kairo_id, participant="provider"),
        envelope(contract.EVENT_SESSION_ENDED, kairo_id, participant="patient"),
        envelope(contract.EVENT_CONSULTATION_COMPLETED, kairo_id),
    ] * 3
    raws = [json.dumps(body).encode() for body in bodies]

    answers = race([lambda raw=raw: webhook_post(Client(), raw) for raw in raws])

    assert [getattr(answer, "status_code", answer) for answer in answers] == [200] * len(raws)
    assert WebhookDelivery.objects.count() == len(raws)
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.COMPLETED
    assert consultation.patient_joined_at is not None
    assert consultation.provider_joined_at is not None
