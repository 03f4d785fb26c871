"""Move bookings stuck in *sending* to *unconfirmed*; never re-sends anything.

Safe to run every minute (from cron or a systemd timer), and concurrently:

    * * * * *  cd /srv/desk && .venv/bin/python manage.py sweep_stuck_bookings
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations import services


class Command(BaseCommand):
    help = (
        "Mark bookings left 'sending' (a process died before Kairo Connect's answer was "
        "recorded) as 'unconfirmed'. Nothing is re-sent to Kairo Connect."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=2,
            help="Only bookings untouched for at least this many minutes (default 2; "
            "keep it above KAIRO_CONNECT_TIMEOUT + KAIRO_TIMEOUT).",
        )

    def handle(self, *args, **options) -> None:
        minutes = options["older_than_minutes"]
        if minutes < 1:
            raise CommandError("--older-than-minutes must be at least 1.")
        moved = services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=minutes))
        if moved or options["verbosity"] > 1:
            self.stdout.write(f"{moved} booking(s) moved from sending to unconfirmed.")
