"""`send_due_reminders`: queues what is due and, on the in-process backend, waits for its
emails before it exits."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from consultations.models import Delivery
from consultations.task_backends import runner
from tests.consultations.deliveries import reminders

pytestmark = pytest.mark.django_db

State = Delivery.State
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def test_the_command_queues_and_sends_due_reminders(pending):
    consultation = pending()
    out = io.StringIO()
    with time_machine.travel(consultation.starts_at - HOUR, tick=False):
        call_command("send_due_reminders", stdout=out)
    assert "Reminders queued: 1" in out.getvalue()
    # No on-commit capture here: the test transaction never commits, so the task waits.
    assert reminders(consultation) == [(60, State.QUEUED)]


@pytest.mark.django_db(transaction=True)
def test_the_command_waits_for_its_emails_on_the_in_process_backend(
    seeded_catalogs, pending, settings
):
    """The command's process is short-lived: its in-process task thread must finish
    sending before it exits, or the reminders would die with it."""
    settings.TASKS = {"default": {"BACKEND": "consultations.task_backends.InProcessBackend"}}
    consultation = pending()
    with time_machine.travel(consultation.starts_at - HOUR, tick=False):
        call_command("send_due_reminders", stdout=io.StringIO())
        assert reminders(consultation) == [(60, State.SENT)]
    assert [m.to for m in mail.outbox] == [["ana.perez@correo.example"]]
    assert runner().wait_until_idle(timeout=10)
