"""Queue the reminders that are due, and re-enqueue deliveries whose task was lost.

Safe to run every minute from cron, also twice at once: each reminder is created once
(a database constraint), and each delivery is sent by whoever claims it first.

    * * * * * cd /srv/desk && .venv/bin/python manage.py send_due_reminders
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tasks import task_backends

from consultations import services


class Command(BaseCommand):
    help = "Queue due patient reminders and resume email deliveries whose task was lost."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=300.0,
            help=(
                "With the in-process task backend, seconds to wait for this run's emails "
                "to be sent before exiting (default: %(default)s)."
            ),
        )

    def handle(self, *args, wait: float, **options) -> None:
        resumed = services.deliveries_resume()
        queued = services.reminders_send_due()
        backend = task_backends["default"]
        # The in-process backend sends from a thread of this very process: wait for it,
        # or the emails would die with the command. A database backend's worker sends.
        if hasattr(backend, "wait_until_idle") and not backend.wait_until_idle(wait):
            self.stderr.write("Stopped waiting for emails; the next run picks them up.")
        self.stdout.write(f"Reminders queued: {queued}; deliveries resumed: {resumed}.")
