"""Background entry points (django-tasks, the backport of Django 6's `django.tasks`) and
their enqueue helpers.

Each task is a thin door to one service; the service owns the rules, the state and the
retries. The backend is chosen by settings.TASKS (see TASKS_BACKEND in settings.py).
A task imports its service inside its body, so that the services can import the
enqueue helpers here without an import circle.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.db import transaction
from django_tasks import task

logger = logging.getLogger("consultations.email")


@task()
def delivery_send_task(delivery_id: int) -> str:
    """Make one attempt at sending delivery `delivery_id`; return its state afterwards.

    Never raises for a mail-server failure: the service records it and schedules the
    retry itself.
    """
    from consultations.services.deliveries import delivery_send

    delivery = delivery_send(delivery_id=delivery_id)
    return delivery.state if delivery is not None else "missing"


def delivery_send_enqueue(delivery_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Hand delivery `delivery_id` to the task backend (at `run_after`, if given).

    Never raises: a delivery whose task could not be enqueued stays queued, and
    `deliveries_resume` (run by `send_due_reminders`) enqueues it again.
    """
    send = delivery_send_task
    if run_after is not None:
        if not send.get_backend().supports_defer:
            # Retried by `deliveries_resume` once due (the ImmediateBackend of tests).
            return
        send = send.using(run_after=run_after)
    try:
        send.enqueue(delivery_id=delivery_id)
    except Exception:
        logger.exception(
            "Could not enqueue delivery %s; send_due_reminders will pick it up", delivery_id
        )


def delivery_send_enqueue_on_commit(delivery_id: int) -> None:
    """Enqueue delivery `delivery_id`'s send once the current transaction commits (none
    if it rolls back)."""
    # robust: a failure to enqueue must not turn a committed booking into an error page;
    # the delivery stays queued and `deliveries_resume` finds it.
    transaction.on_commit(partial(delivery_send_enqueue, delivery_id), robust=True)
