"""The in-process backend's one private use of django-tasks, pinned.

`InProcessBackend` runs each task through `ImmediateBackend._execute_task(task_result)`
(see its docstring). These tests fail, saying what to re-check, when an upgrade of
django-tasks changes that method or moves past the version it was checked against.
The backend's behaviour (off the calling thread, deferred tasks) is tested with the
deliveries, in test_deliveries.py.
"""

from __future__ import annotations

import inspect

import django_tasks
from django_tasks import TaskResultStatus, task
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.signals import task_finished, task_started

from consultations.task_backends import InProcessBackend, runner

CHECKED_VERSION = "0.12"  # the minor version whose `_execute_task` was read
IN_PROCESS = {"default": {"BACKEND": "consultations.task_backends.InProcessBackend"}}
RECHECK = (
    "InProcessBackend calls django-tasks' private ImmediateBackend._execute_task"
    "(task_result); re-read it in django-tasks {installed} and adapt "
    "consultations/task_backends.py (then CHECKED_VERSION here)."
)


@task()
def fails() -> None:
    raise RuntimeError("this task always fails")


def test_django_tasks_is_the_version_the_private_use_was_checked_against():
    installed = django_tasks.__version__
    assert installed.split(".")[:2] == CHECKED_VERSION.split("."), RECHECK.format(
        installed=installed
    )


def test_the_private_method_keeps_its_signature():
    message = RECHECK.format(installed=django_tasks.__version__)
    method = getattr(ImmediateBackend, "_execute_task", None)
    assert callable(method), message
    assert list(inspect.signature(method).parameters) == ["self", "task_result"], message


def test_a_failed_task_is_recorded_on_the_result_enqueue_returned(settings):
    """What the backend relies on `_execute_task` for: the caller's own TaskResult is
    updated, and the signals name the in-process backend."""
    settings.TASKS = IN_PROCESS
    senders = []

    def record(sender, **kwargs):
        senders.append(sender)

    task_started.connect(record)
    task_finished.connect(record)
    try:
        result = fails.enqueue()
        assert runner().wait_until_idle(timeout=10)
    finally:
        task_started.disconnect(record)
        task_finished.disconnect(record)

    assert result.status == TaskResultStatus.FAILED
    assert [error.exception_class_path for error in result.errors] == ["builtins.RuntimeError"]
    assert result.started_at is not None and result.finished_at is not None
    assert senders == [InProcessBackend, InProcessBackend]
