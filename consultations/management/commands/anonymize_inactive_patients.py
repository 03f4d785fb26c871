"""Anonymize patients with no activity for PATIENT_RETENTION_DAYS days (off while it is
0, the default); prints counts, never names. Safe to run daily, and twice at once:

    30 3 * * *  cd /srv/desk && .venv/bin/python manage.py anonymize_inactive_patients
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from consultations import services


class Command(BaseCommand):
    help = (
        "Anonymize the patients with no activity (no record change, no consultation booked "
        "or starting, none still ahead) for PATIENT_RETENTION_DAYS days. Off while that "
        "setting is 0 or empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the patients that would be anonymized; change nothing.",
        )

    def handle(self, *args, **options) -> None:
        days = settings.PATIENT_RETENTION_DAYS
        if days <= 0:
            self.stdout.write("PATIENT_RETENTION_DAYS is not set: retention is off, nothing done.")
            return
        if options["dry_run"]:
            count = services.patients_inactive_anonymize(days=days, dry_run=True)
            self.stdout.write(
                f"{count} patient(s) with no activity for {days} days would be anonymized "
                "(dry run: nothing changed)."
            )
            return
        count = services.patients_inactive_anonymize(days=days)
        self.stdout.write(f"{count} patient(s) with no activity for {days} days anonymized.")
