"""The sweep: bookings left 'sending' by a crashed process become 'unconfirmed'; nothing
else moves, and Kairo is never called."""

from __future__ import annotations

import datetime as dt

import pytest

from consultations import services
from consultations.models import ConsultationEvent, ConsultationStatus

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


def test_only_old_sending_bookings_move(aged, sandbox):
    old = aged(3)
    young = aged(1)
    others = [aged(10, status) for status in Status.values if status != Status.SENDING]

    assert services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=2)) == 1

    old.refresh_from_db()
    assert old.status == Status.UNCONFIRMED
    event = old.events.get()
    assert event.kind == ConsultationEvent.Kind.STUCK_SWEPT
    assert event.detail == {"from": Status.SENDING, "to": Status.UNCONFIRMED}
    young.refresh_from_db()
    assert young.status == Status.SENDING
    for other in others:
        before = other.status
        other.refresh_from_db()
        assert other.status == before
        assert not other.events.exists()
    assert sandbox.stats()["requestsReceived"] == 0  # never re-sent, never even asked


def test_the_sweep_is_idempotent(aged):
    aged(5)
    assert services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=2)) == 1
    assert services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=2)) == 0
    assert ConsultationEvent.objects.count() == 1
