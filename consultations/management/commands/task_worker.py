"""`manage.py task_worker`: django-tasks-db's `db_worker` (the queue of emails, see
docs/operations.md "The task worker"), made to wait out a database outage instead of
exiting.

`db_worker` ends at the first query that finds the database gone. Under systemd
(`Restart=always`) that is only a restart, but under a Procfile runner or `make serve`
nothing would start it again, and every email would wait until someone noticed. Here a
lost connection is closed, the worker waits until the database answers again (1 s,
doubling up to 30 s between tries) and starts anew. SIGTERM or Ctrl-C during a wait stop
it at once; any other error still ends it. It takes `db_worker`'s options.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from typing import Any

from django.db import Error, connection
from django_tasks_db.management.commands import db_worker

from consultations.database import connection_lost, connection_reset

logger = logging.getLogger("consultations.tasks")

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 30.0


class Command(db_worker.Command):
    help = (
        "Run the queued tasks (emails), like db_worker, waiting out a database outage "
        "instead of exiting."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                super().handle(*args, **options)
                return
            except Error as exc:
                if not connection_lost(exc):
                    raise
            logger.warning(
                "Task worker: the database connection is lost; waiting for it to come back."
            )
            self.database_wait()

    def database_wait(self) -> None:
        """Return once a new connection opens; exit on SIGTERM or SIGINT meanwhile."""
        stop_now = lambda signum, frame: sys.exit(0)  # noqa: E731
        signal.signal(signal.SIGTERM, stop_now)
        signal.signal(signal.SIGINT, stop_now)
        wait = FIRST_WAIT_SECONDS
        while True:
            connection_reset()
            time.sleep(wait)
            try:
                connection.ensure_connection()
            except Error as exc:
                if not connection_lost(exc):
                    raise
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)
                continue
            logger.warning("Task worker: the database is back; starting again.")
            return
