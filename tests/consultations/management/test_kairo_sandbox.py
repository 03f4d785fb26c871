"""`kairo_sandbox`: its options against its settings, and the standalone sandbox as a
real process (with `kairo_check` against it)."""

from __future__ import annotations

import datetime as dt
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consultations.kairo import signing
from consultations.kairo.client import KairoClient
from consultations.kairo.sandbox import KairoSandbox
from tests.consultations.kairo.conftest import booking

BASE_DIR = Path(__file__).resolve().parents[3]


# --- kairo_sandbox's options against its settings ----------------------------------------


class _NoServer:
    """Stands in for SandboxHTTPServer: a refusal must come before anything listens."""

    def __init__(self, *args, **kwargs) -> None:
        raise AssertionError("kairo_sandbox should have refused before binding")


@pytest.mark.parametrize(
    ("argv", "settings_url", "settings_secret"),
    [
        (["--webhook-url", "http://127.0.0.1:9/hooks", "--webhook-secret", ""], "", "s"),
        ([], "http://127.0.0.1:9/hooks", ""),
        (["--webhook-url", "http://127.0.0.1:9/hooks"], "", ""),
    ],
)
def test_kairo_sandbox_refuses_webhooks_without_a_secret(
    settings, monkeypatch, argv, settings_url, settings_secret
):
    settings.KAIRO_SANDBOX_WEBHOOK_URL = settings_url
    settings.KAIRO_SANDBOX_WEBHOOK_SECRET = settings_secret
    monkeypatch.setattr(
        "consultations.management.commands.kairo_sandbox.SandboxHTTPServer", _NoServer
    )
    with pytest.raises(CommandError, match="Webhooks need a secret"):
        call_command("kairo_sandbox", "--port", "0", *argv)


def test_kairo_sandbox_options_override_settings_only_when_given(settings, monkeypatch):
    settings.KAIRO_SANDBOX_LATENCY_MS = 7
    settings.KAIRO_SANDBOX_RATE_LIMIT = 50
    settings.KAIRO_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/hooks"
    settings.KAIRO_SANDBOX_WEBHOOK_SECRET = "from-settings"
    built: list[KairoSandbox] = []

    class Built(Exception):
        pass

    def capture(sandbox, **kwargs):
        built.append(sandbox)
        raise Built

    monkeypatch.setattr(
        "consultations.management.commands.kairo_sandbox.SandboxHTTPServer", capture
    )
    with pytest.raises(Built):
        call_command("kairo_sandbox", "--port", "0", "--rate-limit", "5")
    [sandbox] = built
    assert (sandbox.latency_ms, sandbox.rate_limit) == (7, 5)
    assert (sandbox.webhooks.url, sandbox.webhooks.secret) == (
        "http://127.0.0.1:9/hooks",
        "from-settings",
    )


# --- The standalone sandbox as a process -----------------------------------------------------


def _environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KAIRO_", "ORGANIZATION_TIME_ZONE"))
    }
    env.update(PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="clinic.settings", **extra)
    return env


WEBHOOK_SECRET = "whsec-process-test"


@pytest.fixture
def receiver(webhook_receiver):
    return webhook_receiver()


@pytest.fixture
def sandbox_process(receiver):
    command = [
        sys.executable,
        "manage.py",
        "kairo_sandbox",
        "--port",
        "0",
        "--latency-ms",
        "1",
        "--webhook-url",
        receiver.url,
        "--webhook-secret",
        WEBHOOK_SECRET,
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        command,
        cwd=BASE_DIR,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    try:
        first = lines.get(timeout=30)  # the command prints its address once listening
        match = re.search(r"listening on (http://\S+)", first)
        assert match, first
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_kairo_sandbox_command_and_kairo_check_exit_codes(sandbox_process):
    def run_check(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "kairo_check"],
            cwd=BASE_DIR,
            env=_environment(KAIRO_BASE_URL=sandbox_process, **env),
            capture_output=True,
            text=True,
            timeout=60,
        )

    good = run_check()
    assert good.returncode == 0, good.stderr
    assert "Clínica Sandbox" in good.stdout
    bad = run_check(KAIRO_API_SECRET="wrong")
    assert bad.returncode != 0
    assert "API_KEY_INVALID" in bad.stderr
    mismatch = run_check(ORGANIZATION_TIME_ZONE="Europe/Madrid")
    assert mismatch.returncode != 0
    assert "TIMEZONE_MISMATCH" in mismatch.stderr


def test_kairo_sandbox_command_serves_the_api_and_delivers_webhooks(sandbox_process, receiver):
    with KairoClient(
        base_url=sandbox_process,
        api_key="sandbox-key",
        api_secret="sandbox-secret",
        timezone="America/Bogota",
        connect_timeout=2,
        read_timeout=5,
    ) as client:
        when = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(hours=2)
        created = client.create_consultation(booking(scheduled_at=when))
    assert receiver.got_request.wait(timeout=10)
    [delivery] = receiver.received
    assert signing.verify(delivery.body, delivery.headers["X-Telehealth-Signature"], WEBHOOK_SECRET)
    assert str(created.consultation_id) in delivery.body.decode()
