"""Background entry points (django-tasks, the backport of Django 6's `django.tasks`).

Each task is a thin door to one service; the service owns the rules, the state and the
retries. The backend is chosen by settings.TASKS (see TASKS_BACKEND in settings.py).
"""

from __future__ import annotations

from django_tasks import task

from consultations.services import deliveries


@task()
def delivery_send_task(delivery_id: int) -> str:
    """Make one attempt at sending delivery `delivery_id`; return its state afterwards.

    Never raises for a mail-server failure: the service records it and schedules the
    retry itself.
    """
    delivery = deliveries.delivery_send(delivery_id=delivery_id)
    return delivery.state if delivery is not None else "missing"
