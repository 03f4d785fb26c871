"""Ask Kairo Connect about consultations whose webhook may have been lost.

Safe to run every few minutes (from cron or a systemd timer), and concurrently: each
consultation is claimed before it is asked about, so two runs never ask twice.

    */5 * * * *  cd /srv/desk && .venv/bin/python manage.py reconcile_consultations

Exits 0 when the run went as planned (a spent budget or a 429 included), 1 when Kairo
Connect could not be reached or refused the configuration.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations.kairo.client import KairoClient
from consultations.services.reconciliation import (
    STOP_CAP,
    STOP_CONFIGURATION,
    STOP_RATE_LIMITED,
    STOP_RESERVE,
    STOP_UNREACHABLE,
    consultations_reconcile,
)

STOP_TEXTS = {
    STOP_CAP: "stopped: the run's request budget is spent (KAIRO_RECONCILE_MAX_REQUESTS)",
    STOP_RESERVE: "stopped: X-RateLimit-Remaining is below KAIRO_RECONCILE_RESERVE",
    STOP_RATE_LIMITED: "stopped: Kairo Connect answered 429 RATE_LIMITED",
    STOP_UNREACHABLE: "stopped: Kairo Connect could not be reached",
    STOP_CONFIGURATION: "stopped: Kairo Connect refused the credentials or the address",
}


class Command(BaseCommand):
    help = (
        "Ask Kairo Connect (GET detail) about unconfirmed bookings with a Kairo id, booked "
        "consultations past their start or expiry, and in-progress ones gone quiet, within "
        "a request budget; list the unconfirmed bookings without a Kairo id for staff."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-requests",
            type=int,
            default=None,
            help="GET detail calls this run may make (default KAIRO_RECONCILE_MAX_REQUESTS).",
        )

    def handle(self, *args, **options) -> None:
        max_requests = options["max_requests"]
        if max_requests is None:
            max_requests = settings.KAIRO_RECONCILE_MAX_REQUESTS
        if max_requests < 0:
            raise CommandError("--max-requests must be 0 or more.")
        if settings.KAIRO_RECONCILE_INTERVAL_MINUTES < 1:
            # Runs a minute apart could both find the same consultation due.
            raise CommandError("KAIRO_RECONCILE_INTERVAL_MINUTES must be at least 1.")
        # No long waits inside a cron run: one quick retry of what may be transient.
        client = KairoClient.from_settings(connect_retries=1, get_retries=1)
        try:
            report = consultations_reconcile(
                max_requests=max_requests,
                reserve=settings.KAIRO_RECONCILE_RESERVE,
                interval=dt.timedelta(minutes=settings.KAIRO_RECONCILE_INTERVAL_MINUTES),
                attention_after=dt.timedelta(minutes=settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES),
                client=client,
            )
        finally:
            client.close()

        asked = ", ".join(f"{reason} {count}" for reason, count in sorted(report.asked.items()))
        remaining = report.rate_limit_remaining
        self.stdout.write(
            f"Asked Kairo Connect about {report.requests} consultation(s)"
            + (f" ({asked})" if asked else "")
            + f"; {report.changed} changed status, {report.failed} failed"
            + (f", {report.clashes} time clash(es)" if report.clashes else "")
            + f"; requests left this hour: {'unknown' if remaining is None else remaining}."
        )
        if report.stopped:
            self.stdout.write(STOP_TEXTS[report.stopped] + ".")
        for item in report.attention:
            self.stdout.write(
                f"Needs attention: consultation {item.consultation_id}, unconfirmed since "
                f"{item.created_at:%Y-%m-%d %H:%M} UTC and Kairo's id is unknown; "
                f"requestId {item.request_id or '(none recorded)'}. Ask Kairo Connect "
                "support with this requestId whether it was created, or cancel it here if "
                "the patient no longer needs it."
            )
        if report.kairo_failed:
            raise CommandError(STOP_TEXTS[report.stopped] + "; see the log for the requestId.")
