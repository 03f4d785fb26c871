"""`python manage.py kairo_check`: is the configured Kairo Connect usable?"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from consultations.kairo.client import CONNECTION_FAILED, KairoClient, KairoError, KairoOutcome
from consultations.kairo.sandbox import is_loopback_host


class Command(BaseCommand):
    help = (
        "Call Kairo Connect's organization profile with the configured credentials and "
        "report reachability, authentication, organization, time zone and rate limit. "
        "Exits non-zero on any problem."
    )

    def handle(self, *args, **options) -> None:
        problems: list[str] = []
        # One quick retry: a check should answer fast, not wait out a long backoff.
        client = KairoClient.from_settings(connect_retries=1, get_retries=0)
        if client.uses_in_process_sandbox:
            self.stdout.write(
                "Kairo Connect: the built-in sandbox, in process (KAIRO_BASE_URL empty)"
            )
        else:
            self.stdout.write(f"Kairo Connect: {client.base_url}")
            problems += base_url_problems(client.base_url)

        try:
            profile = client.organization_profile()
        except KairoError as error:
            reference = f" [requestId {error.request_id}]" if error.request_id else ""
            if error.code == CONNECTION_FAILED:
                self.stdout.write("  reachable:       NO")
            elif error.outcome == KairoOutcome.CONFIGURATION and error.status in (401, 403):
                self.stdout.write("  reachable:       yes")
                self.stdout.write("  authenticated:   NO (check KAIRO_API_KEY / KAIRO_API_SECRET)")
            else:
                self.stdout.write("  reachable:       answered, but not as expected")
            problems.append(f"{error.code}: {error.message}{reference}")
            raise CommandError(_summary(problems)) from None
        finally:
            client.close()

        self.stdout.write("  reachable:       yes")
        self.stdout.write(f"  authenticated:   yes [requestId {profile.request_id or '-'}]")
        self.stdout.write(f"  organization:    {profile.name}")
        expected = settings.ORGANIZATION_TIME_ZONE
        try:
            zoneinfo.ZoneInfo(profile.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"TIMEZONE_UNKNOWN: Kairo's time zone {profile.timezone!r} is not an IANA name."
            )
        if profile.timezone == expected:
            self.stdout.write(
                f"  time zone:       {profile.timezone} (matches ORGANIZATION_TIME_ZONE)"
            )
        else:
            self.stdout.write(
                f"  time zone:       {profile.timezone} but ORGANIZATION_TIME_ZONE is {expected}"
            )
            # Every scheduledAt crosses the wire as wall time in Kairo's zone: with another
            # zone here, every appointment would be booked at the wrong hour.
            problems.append(
                f"TIMEZONE_MISMATCH: Kairo uses {profile.timezone}, this desk uses {expected}; "
                "set ORGANIZATION_TIME_ZONE to Kairo's zone."
            )
        remaining = profile.rate_limit_remaining
        if remaining is None:
            self.stdout.write("  rate limit:      unknown (no X-RateLimit-Remaining header)")
        else:
            self.stdout.write(f"  rate limit:      {remaining} requests left this hour")
            if remaining == 0:
                problems.append("RATE_LIMITED: no requests left this hour.")
        if problems:
            raise CommandError(_summary(problems))
        self.stdout.write(self.style.SUCCESS("OK: Kairo Connect is ready."))


def base_url_problems(base_url: str) -> list[str]:
    """docs/kairo-connect-api.md "Access": HTTPS only (plain http is tolerated on
    loopback, for a standalone sandbox)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return []
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return []
    return [
        f"INSECURE_BASE_URL: KAIRO_BASE_URL must use https:// (got {parts.scheme or 'no'} scheme)."
    ]


def _summary(problems: list[str]) -> str:
    return "Kairo Connect check failed:\n  " + "\n  ".join(problems)
