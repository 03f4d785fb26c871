"""Record the booking answers kept on this server's disk while the database was down
(`answer_spool`), then move bookings stuck in *sending* to *unconfirmed*; never re-sends
anything. Run it on every web server (each keeps its own answers) unless
BOOKING_ANSWER_SPOOL_DIR is shared.

Safe to run every minute (from cron or a systemd timer), and concurrently:

    * * * * *  cd /srv/desk && .venv/bin/python manage.py sweep_stuck_bookings
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations import services
from consultations.services.booking.answer_spool import answer_spool_replay


class Command(BaseCommand):
    help = (
        "Record the Kairo Connect answers this server kept while the database was down, "
        "then mark bookings left 'sending' (a process died before Kairo Connect's answer "
        "was recorded) as 'unconfirmed'. Nothing is re-sent to Kairo Connect."
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
        recorded = answer_spool_replay()
        if recorded or options["verbosity"] > 1:
            self.stdout.write(f"{recorded} booking(s) recorded from kept Kairo answers.")
        moved = services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=minutes))
        if moved or options["verbosity"] > 1:
            self.stdout.write(f"{moved} booking(s) moved from sending to unconfirmed.")
