"""`sweep_stuck_bookings`: two minutes by default, quiet when idle, a threshold of at
least one minute."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from consultations import services
from consultations.models import ConsultationEvent, ConsultationStatus

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


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
