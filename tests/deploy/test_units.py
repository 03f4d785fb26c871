"""The systemd units in deploy/systemd/ agree with the app and with docs/operations.md.

- Every command a unit runs exists: a `manage.py` command is a real management command
  whose options parse, gunicorn reads the project's gunicorn.conf.py, a script is in
  deploy/ and executable.
- Every cron job of docs/operations.md's crontab has a service and a timer on the same
  schedule, and every timer is in the crontab; the documented install commands enable
  every timer.
- Every service is hardened (NoNewPrivileges, ProtectSystem=strict, PrivateTmp) and
  writes only where its ReadWritePaths say.
- `systemd-analyze verify` accepts them, where systemd-analyze is installed.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
OPERATIONS = ROOT / "docs" / "operations.md"
# Where the units expect the project: WorkingDirectory and every path they run.
INSTALLED = "/srv/desk"
PYTHON = f"{INSTALLED}/.venv/bin/python"
GUNICORN = f"{INSTALLED}/.venv/bin/gunicorn"
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text(), source=str(path))
    return parser


def _services() -> dict[str, configparser.ConfigParser]:
    return {path.name: _unit(path) for path in sorted(UNITS.glob("*.service"))}


def _timers() -> dict[str, configparser.ConfigParser]:
    return {path.name: _unit(path) for path in sorted(UNITS.glob("*.timer"))}


def _commands(service: configparser.ConfigParser) -> list[list[str]]:
    return [
        shlex.split(service["Service"][key])
        for key in ("ExecStartPre", "ExecStart")
        if key in service["Service"]
    ]


def test_the_units_are_there():
    assert {"desk-web.service", "desk-worker.service"} <= set(_services())
    assert len(_timers()) >= 6


@pytest.mark.parametrize("name", sorted(_services()))
def test_a_service_runs_what_the_project_has(name, settings):
    # Production's queue (TASKS_BACKEND=database): task_worker's options name its backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    service = _services()[name]["Service"]
    assert service["WorkingDirectory"] == INSTALLED
    assert service["User"] == "desk"
    for program, *arguments in _commands(_services()[name]):
        if program == PYTHON:
            manage, command, *options = arguments
            assert manage == "manage.py"
            assert command in get_commands(), f"{name}: no management command {command!r}"
            app = get_commands()[command]
            # Raises CommandError on an unknown option or a wrong value.
            load_command_class(app, command).create_parser("manage.py", command).parse_args(options)
        elif program == GUNICORN:
            assert arguments == ["--config", "gunicorn.conf.py", "clinic.wsgi:application"]
            assert (ROOT / "gunicorn.conf.py").is_file()
        else:
            assert program.startswith(f"{INSTALLED}/deploy/"), program
            script = ROOT / program.removeprefix(f"{INSTALLED}/")
            assert script.is_file() and os.access(script, os.X_OK), program


def test_the_web_server_refuses_a_misconfigured_production():
    """The guardrails (system checks at Error level) run before gunicorn starts."""
    pre = shlex.split(_services()["desk-web.service"]["Service"]["ExecStartPre"])
    assert pre == [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "ERROR"]


# A production that passes every guardrail (docs/operations.md "Environment").
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "desk.clinica.example",
    "SITE_URL": "https://desk.clinica.example",
    "EMAIL_URL": "smtp+tls://desk:password@smtp.clinica.example:587",
    "KAIRO_BASE_URL": "https://kairo.example",
    "KAIRO_API_KEY": "clinic-key",
    "KAIRO_API_SECRET": "clinic-secret",
    "KAIRO_WEBHOOK_SECRET": "clinic-webhook-secret",
    "TASKS_BACKEND": "database",
}


def _start_check(**overrides: str) -> subprocess.CompletedProcess[str]:
    """The web unit's ExecStartPre, run from the project as systemd runs it there."""
    _, *arguments = shlex.split(_services()["desk-web.service"]["Service"]["ExecStartPre"])
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "KAIRO_", "EMAIL_", "SITE_URL", "TASKS_"))
    }
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=inherited | PRODUCTION | overrides,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_start_check_passes_a_production_that_meets_the_guardrails():
    result = _start_check()
    assert result.returncode == 0, result.stderr


def test_the_start_check_refuses_a_misconfigured_production():
    result = _start_check(EMAIL_URL="consolemail://", SITE_URL="http://desk.clinica.example")
    assert result.returncode == 1
    assert "consultations.E002" in result.stderr
    assert "consultations.E004" in result.stderr


def test_the_worker_runs_the_database_queue():
    (command,) = _commands(_services()["desk-worker.service"])
    assert command[:3] == [PYTHON, "manage.py", "task_worker"]
    assert "--no-reload" in command


@pytest.mark.parametrize("name", sorted(_services()))
def test_a_service_is_hardened(name):
    service = _services()[name]["Service"]
    assert {key: service.get(key) for key in HARDENING} == HARDENING


def test_the_backup_writes_only_into_its_directory():
    service = _services()["desk-backup.service"]["Service"]
    (command,) = _commands(_services()["desk-backup.service"])
    assert command[0] == f"{INSTALLED}/deploy/backup.sh"
    assert service["ReadWritePaths"].split() == [command[-1]]
    assert service["UMask"] == "0077"


def test_only_the_backup_writes_anywhere():
    writers = sorted(
        name for name, unit in _services().items() if "ReadWritePaths" in unit["Service"]
    )
    assert writers == ["desk-backup.service"]


# --- Timers and the documented crontab ----------------------------------------------------

CRON_LINE = re.compile(r"^(?P<schedule>(?:\S+ ){4}\S+)\s+cd /srv/desk && (?P<command>.+)$")


def _crontab() -> dict[str, str]:
    """docs/operations.md's crontab: each job's command, as a unit runs it, and its
    schedule."""
    jobs = {}
    for line in OPERATIONS.read_text().splitlines():
        match = CRON_LINE.match(line.strip())
        if match:
            jobs[f"{INSTALLED}/{match['command']}"] = match["schedule"]
    return jobs


def _calendar(schedule: str) -> str:
    """The OnCalendar= of a crontab schedule of the forms the crontab uses: every day,
    every hour or minute, or every N minutes."""
    minute, hour, *days = schedule.split()
    assert days == ["*", "*", "*"], schedule

    def field(value: str) -> str:
        if value == "*":
            return "*"
        if value.startswith("*/"):
            return f"00/{int(value[2:])}"
        return f"{int(value):02d}"

    return f"*-*-* {field(hour)}:{field(minute)}:00"


def test_calendar_conversion():
    assert _calendar("* * * * *") == "*-*-* *:*:00"
    assert _calendar("*/5 * * * *") == "*-*-* *:00/5:00"
    assert _calendar("30 2 * * *") == "*-*-* 02:30:00"


def test_every_cron_job_has_a_service_and_a_timer_on_its_schedule():
    crontab = _crontab()
    assert len(crontab) >= 6
    scheduled = {}
    for name, timer in _timers().items():
        service = _services().get(name.removesuffix(".timer") + ".service")
        assert service is not None, f"{name} has no service"
        assert service["Service"]["Type"] == "oneshot"
        assert timer["Install"]["WantedBy"] == "timers.target"
        scheduled[service["Service"]["ExecStart"]] = timer["Timer"]["OnCalendar"]
    assert scheduled == {command: _calendar(schedule) for command, schedule in crontab.items()}


def test_every_one_shot_service_has_a_timer():
    one_shots = {
        name for name, unit in _services().items() if unit["Service"].get("Type") == "oneshot"
    }
    assert {name.removesuffix(".timer") + ".service" for name in _timers()} == one_shots


def test_the_documented_cron_jobs_include_the_housekeeping():
    commands = " ".join(_crontab())
    for job in (
        "send_due_reminders",
        "sweep_stuck_bookings",
        "reconcile_consultations",
        "clearsessions",
        "prune_db_task_results --min-age-days 14",
        "deploy/backup.sh",
    ):
        assert job in commands


def test_the_install_commands_enable_every_unit():
    text = OPERATIONS.read_text().replace("\\\n", " ")
    enabled = {
        unit
        for line in text.splitlines()
        if "systemctl enable --now" in line
        for unit in re.findall(r"desk-[\w-]+\.(?:service|timer)", line)
    }
    assert enabled == {"desk-web.service", "desk-worker.service", *_timers()}


# --- systemd's own check ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` on copies whose /srv/desk is a folder holding the
    programs the units run (it refuses a unit whose program does not exist), with
    nothing printed: an unknown or misspelt key is only a warning there."""
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED, str(tmp_path)))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    for program in (PYTHON, GUNICORN):
        stub = tmp_path / program.removeprefix(f"{INSTALLED}/")
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    units = sorted(str(path) for path in tmp_path.glob("desk-*"))
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
