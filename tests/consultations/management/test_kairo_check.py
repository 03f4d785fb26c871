"""`kairo_check` against the in-process sandbox and a standalone one, and its failures."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consultations.kairo.sandbox import KairoSandbox, SandboxHTTPServer, reset_default_sandbox
from consultations.management.commands.kairo_check import base_url_problems


@pytest.fixture(autouse=True)
def fresh_default_sandbox():
    reset_default_sandbox()
    yield
    reset_default_sandbox()


@pytest.fixture
def kairo_settings(settings):
    settings.KAIRO_BASE_URL = ""
    settings.KAIRO_API_KEY = "sandbox-key"
    settings.KAIRO_API_SECRET = "sandbox-secret"
    settings.KAIRO_SANDBOX_API_KEY = "sandbox-key"
    settings.KAIRO_SANDBOX_API_SECRET = "sandbox-secret"
    settings.KAIRO_SANDBOX_TIME_ZONE = ""
    settings.KAIRO_SANDBOX_ORGANIZATION_NAME = "Clínica Sandbox"
    settings.KAIRO_SANDBOX_LATENCY_MS = 0
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    return settings


def _check() -> str:
    out = io.StringIO()
    call_command("kairo_check", stdout=out)
    return out.getvalue()


def _check_fails() -> str:
    with pytest.raises(CommandError) as caught:
        _check()
    assert caught.value.returncode == 1
    return str(caught.value)


def test_in_process(kairo_settings):
    output = _check()
    assert "in process" in output
    assert "Clínica Sandbox" in output
    assert "America/Bogota" in output
    assert "requests left this hour" in output


def test_against_a_standalone_sandbox(kairo_settings, sandbox_server):
    kairo_settings.KAIRO_BASE_URL = sandbox_server.base_url
    output = _check()
    assert sandbox_server.base_url in output
    assert "OK" in output
    assert sandbox_server.sandbox.stats()["requestsReceived"] == 1


def test_bad_credentials(kairo_settings):
    kairo_settings.KAIRO_API_SECRET = "not-the-secret"
    assert "API_KEY_INVALID" in _check_fails()


def test_bad_credentials_against_a_standalone_sandbox(kairo_settings, sandbox_server):
    kairo_settings.KAIRO_BASE_URL = sandbox_server.base_url
    kairo_settings.KAIRO_API_KEY = "someone-else"
    assert "API_KEY_INVALID" in _check_fails()


def test_unreachable(kairo_settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kairo_settings.KAIRO_BASE_URL = f"http://127.0.0.1:{port}"
    kairo_settings.KAIRO_CONNECT_TIMEOUT = 1
    assert "CONNECTION_FAILED" in _check_fails()


def test_wrong_base_url_path(kairo_settings, sandbox_server):
    kairo_settings.KAIRO_BASE_URL = sandbox_server.base_url + "/api/v9"
    assert "ENDPOINT_NOT_FOUND" in _check_fails()


def test_time_zone_mismatch_in_process(kairo_settings):
    kairo_settings.KAIRO_SANDBOX_TIME_ZONE = "Europe/Madrid"
    assert "TIMEZONE_MISMATCH" in _check_fails()


def test_time_zone_mismatch_against_a_standalone_sandbox(kairo_settings):
    sandbox = KairoSandbox(timezone="America/New_York")
    with SandboxHTTPServer(sandbox, port=0).start_in_thread() as server:
        kairo_settings.KAIRO_BASE_URL = server.base_url
        assert "TIMEZONE_MISMATCH" in _check_fails()


def test_no_requests_left_is_a_problem(kairo_settings):
    kairo_settings.KAIRO_SANDBOX_RATE_LIMIT = 1
    assert "RATE_LIMITED" in _check_fails()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.kairo.example/v1", True),
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765", True),
        ("http://[::1]:8765", True),
        ("http://127.0.0.2:8765", True),
        ("http://10.0.0.5:8765", False),
        ("http://api.kairo.example/v1", False),
        ("api.kairo.example", False),
    ],
)
def test_only_https_beyond_loopback(url, ok):
    assert (base_url_problems(url) == []) is ok
