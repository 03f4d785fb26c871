"""What `/health/` reports: the database, pending migrations, the task queue and how
Kairo Connect is configured. Counts, ages and names of modes only: never a secret, an
address, or anything about a patient (docs/operations.md "Health and logs")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max


def kairo_mode() -> str:
    """The mode: "training" (KAIRO_TRAINING_MODE), "sandbox" (no KAIRO_BASE_URL: the
    in-process sandbox) or "real"."""
    if settings.KAIRO_TRAINING_MODE:
        return "training"
    return "real" if settings.KAIRO_BASE_URL else "sandbox"


def pending_migrations_count(alias: str = "default") -> int:
    """Migrations on disk not yet applied to the database (0 after `migrate`)."""
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def task_backlog(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The tasks due and waiting for a `task_worker`, and how long the oldest has waited
    (seconds since it became due: enqueued, or its `run_after` passed; None when none
    waits).

    Only TASKS_BACKEND=database has a queue anyone can see: with "inprocess" each web
    process runs its tasks in its own thread from memory, so this reports 0 (the
    deliveries they work on stay queued in the database, consultations/task_backends.py).
    """
    if settings.TASKS_BACKEND != "database":
        return {"backend": settings.TASKS_BACKEND, "queued": 0, "oldest_queued_seconds": None}
    now = now or timezone.now()
    no_run_after = get_date_max()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    immediate = ready.filter(run_after=no_run_after).aggregate(oldest=Min("enqueued_at"))
    deferred = ready.filter(run_after__lte=now).aggregate(oldest=Min("run_after"))
    queued = ready.filter(Q(run_after=no_run_after) | Q(run_after__lte=now)).count()
    oldest = min((t for t in (immediate["oldest"], deferred["oldest"]) if t), default=None)
    return {
        "backend": "database",
        "queued": queued,
        "oldest_queued_seconds": (
            None if oldest is None else max(0, int((now - oldest).total_seconds()))
        ),
    }


def health_report() -> dict[str, Any]:
    """The health answer; `status` is "ok" exactly when the database answers. A part
    that cannot be read (the task table before the first `migrate`, the database lost
    halfway) is `None` rather than an error page."""
    kairo = kairo_mode()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return {
            "status": "error",
            "database": "down",
            "pending_migrations": None,
            "tasks": None,
            "kairo": kairo,
        }
    return {
        "status": "ok",
        "database": "ok",
        "pending_migrations": _read(pending_migrations_count),
        "tasks": _read(task_backlog),
        "kairo": kairo,
    }


def _read(part: Callable[[], Any]) -> Any:
    # A savepoint, so a failed read leaves a surrounding transaction usable.
    try:
        with transaction.atomic():
            return part()
    except DatabaseError:
        return None
