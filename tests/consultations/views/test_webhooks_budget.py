"""Statement budget of Kairo's webhook receiver (docs/development.md "Statement
budgets"): exact counts for a new delivery about a known consultation, for a repeat of
it, and for one about a consultation we do not know; the same with many rows as with
few. Counted inside the test's transaction: the receiver's `atomic()` shows as a
SAVEPOINT and its RELEASE (in production, the transaction's BEGIN and COMMIT)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.kairo import contract
from consultations.models import ConsultationEvent, ConsultationStatus, WebhookDelivery
from tests.consultations.webhook_posts import envelope, webhook_headers, webhook_post
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

# The transaction (2): the consultation locked, the delivery inserted with its outcome
# (INSERT ... ON CONFLICT DO NOTHING RETURNING: no read first, no savepoint), the
# consultation's new status, and its timeline event (4).
NEW = 2 + 4
# A new delivery that moves nothing (the same join again, later): no UPDATE is written.
NOTHING_MOVED = 2 + 3
# A copy of a delivery already stored: the consultation locked, the insert that inserts
# nothing, and the stored row read to answer with its outcome.
REPEAT = 2 + 3
# A consultation we do not know: the lock finds nothing, the delivery is stored with
# its outcome (2).
UNKNOWN = 2 + 2


def _session_started(kairo_id) -> bytes:
    body = envelope(
        contract.EVENT_SESSION_STARTED,
        kairo_id,
        participant="patient",
        status=contract.STATUS_IN_PROGRESS,
    )
    return json.dumps(body).encode()


def _counted(client, raw: bytes, delivery_id: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = webhook_post(client, raw, headers=webhook_headers(raw, delivery_id=delivery_id))
    assert answer.status_code == 200
    return len(queries)


def _booked(starts_at: dt.datetime):
    return ConsultationFactory(
        status=ConsultationStatus.BOOKED,
        kairo_status=contract.STATUS_PENDING,
        kairo_consultation_id=uuid.uuid4(),
        starts_at=starts_at,
    )


@pytest.mark.parametrize("others", [0, 30])
def test_a_delivery_and_its_repeat_stay_within_budget(client, others):
    base = dt.datetime(2030, 3, 14, 9, 0, tzinfo=dt.UTC)
    for n in range(others):
        _booked(base + dt.timedelta(hours=n + 1))
        WebhookDelivery.objects.create(delivery_id=f"other-{n}", outcome="applied")
    consultation = _booked(base)
    raw, delivery_id = _session_started(consultation.kairo_consultation_id), str(uuid.uuid4())

    assert _counted(client, raw, delivery_id) == NEW
    assert _counted(client, raw, delivery_id) == REPEAT
    consultation.refresh_from_db()
    updated = consultation.updated_at
    assert _counted(client, raw, str(uuid.uuid4())) == NOTHING_MOVED

    consultation.refresh_from_db()
    assert consultation.updated_at == updated
    assert consultation.status == ConsultationStatus.IN_PROGRESS
    stored = WebhookDelivery.objects.get(delivery_id=delivery_id)
    assert (stored.outcome, stored.consultation_id) == ("applied", consultation.pk)
    events = ConsultationEvent.objects.filter(
        consultation=consultation, kind=ConsultationEvent.Kind.WEBHOOK
    )
    assert events.count() == 2  # each new delivery once, the repeat never


def test_a_delivery_about_an_unknown_consultation_stays_within_budget(client):
    raw = _session_started(uuid.uuid4())
    delivery_id = str(uuid.uuid4())
    assert _counted(client, raw, delivery_id) == UNKNOWN
    assert WebhookDelivery.objects.get(delivery_id=delivery_id).outcome == "unknown_consultation"
