"""The production guardrails (consultations/checks.py), each in a real `manage.py check
--deploy` process with a crafted environment: debug off and one thing wrong fails with
the check's id and the variable to set; a fully correct production passes; the WSGI
entry point refuses too, since a WSGI server runs no system checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A production that passes every check; each case below spoils one thing.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9" * 12,
    "DJANGO_ALLOWED_HOSTS": "desk.clinic.example",
    "KAIRO_BASE_URL": "https://api.kairo.example/v1",
    "KAIRO_API_KEY": "live-key-4f1c",
    "KAIRO_API_SECRET": "live-secret-9a7e",
    "KAIRO_WEBHOOK_SECRET": "live-webhook-2b8d",
    "EMAIL_URL": "smtp+tls://desk:pw@smtp.clinic.example:587",
    "SITE_URL": "https://desk.clinic.example",
}
# What the host's environment may set that would change the outcome.
OURS = ("DJANGO_", "KAIRO_", "EMAIL_", "SITE_URL", "TASKS_BACKEND", "ORGANIZATION_")


def _environment(**changes: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(OURS)}
    env.update(PRODUCTION)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return env


def _run(args: list[str], **changes: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=_environment(**changes),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _deploy_check(**changes: str | None) -> subprocess.CompletedProcess:
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **changes)


def test_a_fully_configured_production_passes():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consultations.E" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("changes", "check_id", "variable"),
    [
        pytest.param(
            {"KAIRO_BASE_URL": None}, "consultations.E001", "KAIRO_BASE_URL", id="sandbox"
        ),
        pytest.param({"EMAIL_URL": None}, "consultations.E002", "EMAIL_URL", id="console-email"),
        pytest.param(
            {"EMAIL_URL": "filemail:///tmp/desk-mail"},
            "consultations.E002",
            "EMAIL_URL",
            id="file-email",
        ),
        pytest.param(
            {"EMAIL_URL": "memorymail://"}, "consultations.E002", "EMAIL_URL", id="memory-email"
        ),
        pytest.param(
            {"EMAIL_URL": "dummymail://"}, "consultations.E002", "EMAIL_URL", id="dummy-email"
        ),
        pytest.param(
            {"KAIRO_WEBHOOK_SECRET": None},
            "consultations.E003",
            "KAIRO_WEBHOOK_SECRET",
            id="sandbox-webhook-secret",
        ),
        pytest.param(
            {"KAIRO_API_KEY": None, "KAIRO_API_SECRET": "sandbox-secret"},
            "consultations.E003",
            "KAIRO_API_KEY, KAIRO_API_SECRET",
            id="sandbox-api-credentials",
        ),
        pytest.param(
            {"SITE_URL": "http://desk.clinic.example"},
            "consultations.E004",
            "SITE_URL",
            id="site-url-http",
        ),
        pytest.param({"SITE_URL": None}, "consultations.E004", "SITE_URL", id="site-url-default"),
    ],
)
def test_each_guardrail_refuses_and_names_the_variable(changes, check_id, variable):
    result = _deploy_check(**changes)
    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stderr
    assert f"({check_id})" in report
    assert f"HINT: Set {variable}" in report
    # Only the one thing spoiled is reported, once.
    assert report.count("consultations.E") == 1, report


def test_training_mode_allows_the_sandbox_with_debug_off():
    result = _deploy_check(KAIRO_BASE_URL=None, KAIRO_TRAINING_MODE="1")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, "sandbox-webhook-secret", ""])
def test_a_public_training_install_refuses_the_default_webhook_secret(secret):
    result = _deploy_check(
        KAIRO_BASE_URL=None, KAIRO_TRAINING_MODE="1", KAIRO_WEBHOOK_SECRET=secret
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "(consultations.E005)" in result.stderr
    assert "HINT: Set KAIRO_WEBHOOK_SECRET" in result.stderr
    assert result.stderr.count("consultations.E") == 1, result.stderr


def test_a_local_training_trial_keeps_the_default_webhook_secret():
    result = _deploy_check(
        KAIRO_BASE_URL=None,
        KAIRO_TRAINING_MODE="1",
        KAIRO_WEBHOOK_SECRET=None,
        SITE_URL="http://127.0.0.1:8100",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_local_training_trial_may_print_emails_over_http():
    """`make serve`: training mode on a loopback SITE_URL, console email, plain http."""
    result = _deploy_check(
        KAIRO_BASE_URL=None,
        KAIRO_TRAINING_MODE="1",
        EMAIL_URL=None,
        SITE_URL="http://127.0.0.1:8100",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("changes", "check_id"),
    [
        pytest.param({"SITE_URL": "http://desk.clinic.example"}, "consultations.E004", id="http"),
        pytest.param({"KAIRO_TRAINING_MODE": "0"}, "consultations.E002", id="not-training"),
    ],
)
def test_a_trial_that_others_can_reach_is_refused(changes, check_id):
    values = {
        "KAIRO_TRAINING_MODE": "1",
        "EMAIL_URL": None,
        "SITE_URL": "http://127.0.0.1:8100",
        **changes,
    }
    result = _deploy_check(**values)
    assert result.returncode == 1
    assert f"({check_id})" in result.stderr


def test_debug_off_every_command_that_runs_checks_refuses():
    # Not only `check --deploy`: runserver, migrate and task_worker run the ordinary checks.
    result = _run(["manage.py", "check"], KAIRO_BASE_URL=None)
    assert result.returncode == 1
    assert "(consultations.E001)" in result.stderr


def test_debug_on_is_untouched():
    # `make run`: debug on, the sandbox, console email, http SITE_URL.
    result = _run(
        ["manage.py", "check"],
        DJANGO_DEBUG="1",
        KAIRO_BASE_URL=None,
        EMAIL_URL=None,
        SITE_URL="http://127.0.0.1:8000",
    )
    assert result.returncode == 0, result.stderr


def test_the_wsgi_entry_point_refuses_a_wrong_production():
    load = ["-c", "import clinic.wsgi"]
    refused = _run(load, SITE_URL="http://desk.clinic.example")
    assert refused.returncode == 1
    assert "Refusing to start a misconfigured production" in refused.stderr
    assert "consultations.E004" in refused.stderr
    started = _run(load)
    assert started.returncode == 0, started.stderr
