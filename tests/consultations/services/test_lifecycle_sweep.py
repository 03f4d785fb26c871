"""The sweep: bookings left 'sending' by a crashed process become 'unconfirmed'; nothing
else moves, and Kairo is never called."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from consultations import services
from consultations.models import ConsultationEvent, ConsultationStatus
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


@pytest.fixture
def aged():
    """aged(minutes, status): a consultation last touched `minutes` ago."""

    def make(minutes: float, status: str = Status.SENDING):
        with time_machine.travel(timezone.now() - dt.timedelta(minutes=minutes), tick=False):
            return ConsultationFactory(status=status)

    return make


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


def test_the_command_defaults_to_two_minutes_and_is_quiet_when_idle(aged):
    aged(3)
    aged(1.5)
    out = StringIO()
    call_command("sweep_stuck_bookings", stdout=out)
    assert out.getvalue().startswith("1 ")
    quiet = StringIO()
    call_command("sweep_stuck_bookings", stdout=quiet)
    assert quiet.getvalue() == ""  # nothing for cron to mail


def test_the_command_takes_a_threshold(aged):
    aged(8)
    call_command("sweep_stuck_bookings", "--older-than-minutes", "10", stdout=StringIO())
    assert services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=10)) == 0
    call_command("sweep_stuck_bookings", "--older-than-minutes", "5", stdout=StringIO())
    assert ConsultationEvent.objects.count() == 1


def test_the_command_refuses_a_threshold_below_one_minute():
    with pytest.raises(CommandError):
        call_command("sweep_stuck_bookings", "--older-than-minutes", "0")
