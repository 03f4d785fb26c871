"""A django-tasks backend that runs tasks in a background thread of the web process.

For `make run` and small single-server installs (TASKS_BACKEND=inprocess): no worker
process, no broker, yet a task never runs inside the request that enqueued it, so a
slow or dead mail server never slows the receptionist's page.

One daemon thread per process runs the tasks one at a time, in the order they become
due; a task deferred with `run_after` waits in the same thread's schedule. Nothing is
persisted: tasks still waiting when the process stops are lost. The services that
enqueue here keep their own state in the database (a queued `Delivery` with its
`next_attempt_at`) and `send_due_reminders` picks up whatever is overdue, so a restart
delays an email, it does not lose it. Production runs TASKS_BACKEND=database instead.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id

logger = logging.getLogger("consultations.tasks")


@dataclass(order=True)
class _Scheduled:
    due: float  # time.monotonic() deadline
    sequence: int
    run: Any = field(compare=False)


class _Runner:
    """One worker thread and its schedule (a heap of due times, earliest first)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[_Scheduled] = []
        self._running = False
        self._sequence = itertools.count()
        self._thread = threading.Thread(target=self._loop, name="inprocess-tasks", daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def submit(self, run: Any, *, delay_seconds: float) -> None:
        with self._condition:
            due = time.monotonic() + max(delay_seconds, 0.0)
            heapq.heappush(self._heap, _Scheduled(due, next(self._sequence), run))
            self._condition.notify_all()

    def pending(self) -> int:
        """How many tasks wait (due or deferred), not counting one running now."""
        with self._condition:
            return len(self._heap)

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait until no task is running or due (deferred ones may still wait); False
        if `timeout` seconds passed first."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._running and not self._due(time.monotonic()), timeout
            )

    def _due(self, now: float) -> bool:
        return bool(self._heap) and self._heap[0].due <= now

    def _next(self) -> Any:
        with self._condition:
            while True:
                now = time.monotonic()
                if self._due(now):
                    self._running = True
                    return heapq.heappop(self._heap).run
                timeout = self._heap[0].due - now if self._heap else None
                self._condition.wait(timeout)

    def _loop(self) -> None:
        while True:
            run = self._next()
            try:
                run()
            except Exception:  # the task's own failures are recorded by the backend
                logger.exception("In-process task runner error")
            finally:
                # Like the end of a request: this thread's connections are not kept
                # open between tasks (a test database, or a restarted server, may
                # need them closed).
                connections.close_all()
                with self._condition:
                    self._running = False
                    self._condition.notify_all()


_runner: _Runner | None = None
_runner_pid: int | None = None
_runner_lock = threading.Lock()


def runner() -> _Runner:
    """This process's runner, started on first use (and again in a forked child)."""
    global _runner, _runner_pid
    with _runner_lock:
        if _runner is None or _runner_pid != os.getpid() or not _runner.thread.is_alive():
            _runner = _Runner()
            _runner_pid = os.getpid()
        return _runner


class InProcessBackend(ImmediateBackend):
    """ImmediateBackend's execution (status, errors, signals), moved off the caller's
    thread onto this process's task thread, with `run_after` honoured.

    Private API, pinned: django-tasks has no public way to run a `TaskResult` built
    beforehand (`ImmediateBackend.enqueue` builds its own and runs it on the caller's
    thread), so the task thread calls ImmediateBackend's private
    `_execute_task(task_result)`. It sets the status, times, return value and errors on
    the very `TaskResult` that `enqueue` returned, and sends the task_enqueued, started
    and finished signals. The django-tasks range in pyproject.toml keeps the minor
    version this was checked against, and tests/consultations/test_task_backends.py
    fails loudly on an upgrade that changes that method or moves past that version.
    """

    supports_defer = True

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        task_result: TaskResult = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        delay = 0.0
        if task.run_after is not None:
            delay = (task.run_after - timezone.now()) / dt.timedelta(seconds=1)
        # The private method pinned above (see the class docstring).
        runner().submit(lambda: self._execute_task(task_result), delay_seconds=delay)
        return task_result

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until this process has no task running or due; False on timeout.

        For short-lived processes (the reminder command): their tasks would otherwise
        die with them. Deferred tasks are not waited for; their deliveries stay queued
        in the database for the next run.
        """
        return runner().wait_until_idle(timeout)
