"""The in-process task backend at work: tasks run off the calling thread, a deferred one
waits for its time, a booking's emails go out from the task thread."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from consultations.models import Delivery
from consultations.services import deliveries
from consultations.task_backends import runner

pytestmark = pytest.mark.django_db

State = Delivery.State

IN_PROCESS = {"default": {"BACKEND": "consultations.task_backends.InProcessBackend"}}


# --- The in-process task backend ------------------------------------------------------------

_ran: dict[str, int] = {}
_done: dict[str, threading.Event] = {}


@task()
def remember_thread(key: str) -> int:
    """A task that says which thread ran it."""
    _ran[key] = threading.get_ident()
    _done[key].set()
    return _ran[key]


def test_the_in_process_backend_runs_tasks_off_the_calling_thread(settings):
    settings.TASKS = IN_PROCESS
    _done["now"] = threading.Event()
    result = remember_thread.enqueue("now")
    assert _done["now"].wait(timeout=10)
    assert _ran["now"] != threading.get_ident()
    assert runner().wait_until_idle(timeout=10)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == _ran["now"]


def test_the_in_process_backend_holds_a_deferred_task_until_its_time(settings):
    settings.TASKS = IN_PROCESS
    key = f"later-{uuid.uuid4()}"
    _done[key] = threading.Event()
    _done["after"] = threading.Event()
    later = remember_thread.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue(key)
    remember_thread.enqueue("after")
    assert _done["after"].wait(timeout=10)
    assert runner().wait_until_idle(timeout=10)
    assert not _done[key].is_set()
    assert later.status == TaskResultStatus.READY
    assert runner().pending() >= 1


def test_the_in_process_backend_runs_an_overdue_deferred_task(settings):
    settings.TASKS = IN_PROCESS
    _done["overdue"] = threading.Event()
    remember_thread.using(run_after=timezone.now() - dt.timedelta(seconds=5)).enqueue("overdue")
    assert _done["overdue"].wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_booking_on_the_in_process_backend_is_emailed_from_the_task_thread(
    seeded_catalogs, settings, book_consultation, monkeypatch
):
    """The booking returns before the email goes out, and the email is sent once."""
    settings.TASKS = IN_PROCESS
    senders: list[int] = []
    sent = threading.Event()
    real_send = deliveries.delivery_send

    def observed_send(*, delivery_id):
        senders.append(threading.get_ident())
        delivery = real_send(delivery_id=delivery_id)
        if len(senders) == 2:
            sent.set()
        return delivery

    monkeypatch.setattr(deliveries, "delivery_send", observed_send)
    consultation = book_consultation()
    assert sent.wait(timeout=20)
    assert runner().wait_until_idle(timeout=20)
    assert threading.get_ident() not in senders
    assert set(consultation.deliveries.values_list("state", flat=True)) == {State.SENT}
    assert len(mail.outbox) == 2
