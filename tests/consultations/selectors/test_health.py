"""What `/health/` reports (consultations/selectors/health.py): Kairo's mode, pending
migrations and the database task queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from consultations.selectors.health import kairo_mode, pending_migrations_count, task_backlog

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)


def test_kairo_mode_names_the_sandbox_a_real_organization_or_training(settings):
    settings.KAIRO_TRAINING_MODE = False
    settings.KAIRO_BASE_URL = ""
    assert kairo_mode() == "sandbox"
    settings.KAIRO_BASE_URL = "https://api.kairo.example/v1"
    assert kairo_mode() == "real"
    settings.KAIRO_TRAINING_MODE = True
    assert kairo_mode() == "training"


def test_pending_migrations_counts_what_migrate_has_not_applied():
    assert pending_migrations_count() == 0
    # As if the newest migration had been deployed but not yet applied (rolled back with
    # the test's transaction).
    latest = (
        MigrationRecorder.Migration.objects.filter(app="consultations").order_by("-name").first()
    )
    assert latest is not None
    latest.delete()
    assert pending_migrations_count() == 1
    assert connection.vendor in {"postgresql", "sqlite"}


def _task(*, status: str = "READY", enqueued_ago: float, run_after: dt.datetime | None = None):
    task = DBTaskResult.objects.create(
        task_path="consultations.tasks.delivery_send",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        status=status,
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=NOW - dt.timedelta(seconds=enqueued_ago)
    )


def test_the_database_backlog_counts_due_tasks_and_the_oldest_wait(settings):
    settings.TASKS_BACKEND = "database"
    assert task_backlog(now=NOW) == {
        "backend": "database",
        "queued": 0,
        "oldest_queued_seconds": None,
    }
    _task(enqueued_ago=120)  # waiting two minutes
    # Deferred two hours ago to a minute ago: it has waited one minute, not two hours.
    _task(enqueued_ago=7200, run_after=NOW - dt.timedelta(seconds=60))
    _task(enqueued_ago=7200, run_after=NOW + dt.timedelta(hours=1))  # not due yet
    _task(status="SUCCESSFUL", enqueued_ago=9000)  # done
    _task(status="RUNNING", enqueued_ago=9000)  # a worker has it
    assert task_backlog(now=NOW) == {
        "backend": "database",
        "queued": 2,
        "oldest_queued_seconds": 120,
    }


def test_the_in_process_backend_has_no_visible_queue(settings):
    settings.TASKS_BACKEND = "inprocess"
    _task(enqueued_ago=120)
    assert task_backlog(now=timezone.now()) == {
        "backend": "inprocess",
        "queued": 0,
        "oldest_queued_seconds": None,
    }
