"""Startup configuration: debug off refuses silent defaults; deploy checks pass.

The variables, their defaults and meanings are documented in docs/configuration.md
(tests/clinic/test_documentation.py checks that each is there once).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import models

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "x7Qp9" * 12


def _run(args: list[str], **env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KAIRO_", "ORGANIZATION_", "AGENDA_", "DB_PREPARED_"))
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_secret_key_fails_at_startup():
    result = _run(["check"], DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="desk.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_off_without_allowed_hosts_fails_at_startup():
    result = _run(["check"], DJANGO_DEBUG="0", DJANGO_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_unknown_organization_time_zone_fails_at_startup():
    result = _run(["check"], ORGANIZATION_TIME_ZONE="America/Atlantis")
    assert result.returncode != 0
    assert "ORGANIZATION_TIME_ZONE" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AGENDA_DAY_STARTS": "6am"}, "AGENDA_DAY_STARTS='6am' is not a time of day as HH:MM"),
        ({"AGENDA_DAY_ENDS": "24:00"}, "AGENDA_DAY_ENDS='24:00' is not a time of day as HH:MM"),
        ({"AGENDA_DAY_ENDS": "20:60"}, "AGENDA_DAY_ENDS='20:60' is not a time of day as HH:MM"),
        (
            {"AGENDA_DAY_STARTS": "21:00"},
            "AGENDA_DAY_STARTS (21:00) must be before AGENDA_DAY_ENDS (20:00)",
        ),
        (
            {"AGENDA_DAY_STARTS": "08:00", "AGENDA_DAY_ENDS": "08:00"},
            "AGENDA_DAY_STARTS (08:00) must be before AGENDA_DAY_ENDS (08:00)",
        ),
    ],
)
def test_bad_opening_hours_fail_at_startup(overrides, message):
    result = _run(["check"], **overrides)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("days", ["0", "3651"])
def test_a_booking_horizon_out_of_range_fails_at_startup(days):
    result = _run(["check"], BOOKING_HORIZON_DAYS=days)
    assert result.returncode != 0
    assert f"BOOKING_HORIZON_DAYS ({days}) must be between 1 and 3650 days" in result.stderr


def test_opening_hours_are_read_from_the_environment():
    result = _run(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.AGENDA_DAY_STARTS, s.AGENDA_DAY_ENDS)",
        ],
        AGENDA_DAY_STARTS="7:30",
        AGENDA_DAY_ENDS="18:00",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "07:30:00 18:00:00"


def test_deploy_check_with_only_the_three_variables_names_what_else_production_needs():
    # Django's own deploy checks pass; the desk's guardrails (consultations/checks.py,
    # each tested in tests/consultations/test_checks.py) ask for Kairo, email and https.
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="desk.example",
        EMAIL_URL="consolemail://",
        SITE_URL="http://127.0.0.1:8000",
    )
    assert result.returncode == 1
    found = sorted(set(re.findall(r"\(([a-z.]+\.[EW]\d+)\)", result.stderr)))
    assert found == ["consultations.E001", "consultations.E002", "consultations.E004"]


@pytest.mark.parametrize(
    ("variable", "setting", "expected"),
    [
        ("DJANGO_SECURE_SSL_REDIRECT", "SECURE_SSL_REDIRECT", False),
        ("DJANGO_SECURE_PROXY_SSL_HEADER", "SECURE_PROXY_SSL_HEADER", None),
    ],
)
def test_debug_off_is_secure_by_default_and_each_setting_relaxes(variable, setting, expected):
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        f"print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        f" s.SECURE_HSTS_SECONDS, getattr(s, {setting!r}, None))"
    )
    base = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "d.example"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    secure = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, **base}, capture_output=True, text=True
    )
    assert secure.stdout.split()[:4] == ["True", "True", "True", "31536000"], secure.stderr
    relaxed_value = "0" if expected is False else "HTTP_X_FORWARDED_PROTO,https"
    relaxed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **base, variable: relaxed_value},
        capture_output=True,
        text=True,
    )
    last = relaxed.stdout.strip().split(" ", 4)[-1]
    if expected is False:
        assert last == "False"
    else:
        assert last == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_sqlite_default_queues_concurrent_writers(settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only setting")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


_PRINT_UNTIL = "from django.conf import settings as s; print(s.KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL)"


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("2030-01-31T18:00-05:00", "2030-01-31 18:00:00-05:00"),
        ("2030-01-31T18:00", "2030-01-31 18:00:00-05:00"),  # the organization's wall time
        ("2030-01-31", "2030-02-01 00:00:00-05:00"),  # until the end of that day
    ],
)
def test_the_previous_webhook_secret_lasts_until_the_moment_given(until, expected):
    result = _run(
        ["shell", "-c", _PRINT_UNTIL],
        KAIRO_WEBHOOK_PREVIOUS_SECRET="old",
        KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL=until,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"KAIRO_WEBHOOK_PREVIOUS_SECRET": "old"},
            "KAIRO_WEBHOOK_PREVIOUS_SECRET needs KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL",
        ),
        (
            {"KAIRO_WEBHOOK_PREVIOUS_SECRET": "old", "KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL": "soon"},
            "KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL must be an ISO 8601 date",
        ),
    ],
)
def test_a_rotation_without_a_valid_end_fails_at_startup(overrides, message):
    result = _run(["check"], **overrides)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(("value", "expected"), [("", "0"), ("0", "0"), ("730", "730")])
def test_patient_retention_is_read_from_the_environment(value, expected):
    result = _run(
        ["shell", "-c", "from django.conf import settings as s; print(s.PATIENT_RETENTION_DAYS)"],
        PATIENT_RETENTION_DAYS=value,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.parametrize("value", ["two years", "-30"])
def test_a_patient_retention_that_is_no_number_of_days_fails_at_startup(value):
    result = _run(["check"], PATIENT_RETENTION_DAYS=value)
    assert result.returncode != 0
    assert "PATIENT_RETENTION_DAYS must be a number of days" in result.stderr


def _prepared(marker: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_prepares_a_statement_its_connection_runs_again():
    from django.db import connection

    from consultations.models import Provider

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only setting")
    # A statement of its own (its alias names it), so no earlier test prepared it.
    marker = "prepared_probe_alias"
    query = Provider.objects.annotate(**{marker: models.Value(1)}).filter(pk=-1)
    list(query)
    list(query.all())
    assert _prepared(marker) == 0  # run twice: not yet
    list(query.all())
    assert _prepared(marker) == 1  # the third time it is prepared, then planned no more
    list(query.all())
    assert _prepared(marker) == 1


def _options(**env: str) -> str:
    result = _run(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; print(sorted(s.DATABASES['default']"
            ".get('OPTIONS', {}).items()))",
        ],
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_prepared_statements_are_on_for_postgres_and_can_be_turned_off():
    assert _options() == "[('prepare_threshold', 2), ('server_side_binding', True)]"
    assert _options(DB_PREPARED_STATEMENTS="0") == "[]"
