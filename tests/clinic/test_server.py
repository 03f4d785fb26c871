"""The production web server: gunicorn's settings derived from the app's, its access log
(no query string, no join token), and one real gunicorn answering /health/."""

from __future__ import annotations

import datetime as dt
import os
import runpy
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config

from clinic import server
from clinic.server import ACCESS_LOG_FORMAT, RedactingLogger

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"
SECRET_DOCUMENT = "52123456"
SECRET_TOKEN = "Zq8-secret-join-token"


def _env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "KAIRO_", "GUNICORN_", "ORGANIZATION_", "AGENDA_", "BOOKING_")
        )
    }
    env.update(overrides)
    return env


# --- Values derived from the settings ------------------------------------------------------


def test_the_server_timeout_is_above_the_slowest_kairo_bound_request(settings):
    settings.KAIRO_CONNECT_TIMEOUT = 5.0
    settings.KAIRO_TIMEOUT = 15.0
    settings.KAIRO_REQUEST_BUDGET_SECONDS = 20.0
    settings.BOOKING_DB_RETRY_SECONDS = 0
    assert server.kairo_worst_case_seconds(settings) == 25.0
    assert server.server_timeout_seconds(settings) == 35

    settings.KAIRO_REQUEST_BUDGET_SECONDS = 50.5
    assert server.server_timeout_seconds(settings) == 66  # ceil(55.5) + 10
    assert server.server_timeout_seconds(settings) > server.kairo_worst_case_seconds(settings)

    # A booking may spend the reconnection waits after Kairo's answer, too.
    settings.BOOKING_DB_RETRY_SECONDS = 8.0
    assert server.server_timeout_seconds(settings) == 74  # ceil(55.5 + 8) + 10


def test_the_configuration_file_takes_every_value_from_the_settings(settings):
    settings.KAIRO_CONNECT_TIMEOUT = 3.0
    settings.KAIRO_REQUEST_BUDGET_SECONDS = 40.0
    settings.GUNICORN_BIND = "127.0.0.1:9123"
    settings.GUNICORN_WORKERS = 3
    settings.GUNICORN_THREADS = 4
    settings.BOOKING_DB_RETRY_SECONDS = 0
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread"
    assert (conf["bind"], conf["workers"], conf["threads"]) == (["127.0.0.1:9123"], 3, 4)
    assert conf["timeout"] == conf["graceful_timeout"] == 53  # 40 + 3 + 10
    assert conf["logger_class"] == "clinic.server.RedactingLogger"
    assert conf["access_log_format"] == ACCESS_LOG_FORMAT
    # The file assigns every option, each a gunicorn setting (a misspelt name would be
    # silently ignored by gunicorn).
    options = server.gunicorn_options(settings)
    assert set(options) <= set(Config().settings)
    assert {name: conf[name] for name in options} == options


def test_the_default_budget_follows_the_kairo_timeouts_into_the_server_timeout():
    """In a fresh process, from the environment: budget 4 + 30 = 34 s by default, so the
    server's timeout is ceil(34 + 4 + 8) + 10 (8: BOOKING_DB_RETRY_SECONDS)."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy; print(runpy.run_path('gunicorn.conf.py')['timeout'])",
        ],
        cwd=ROOT,
        env=_env(KAIRO_TIMEOUT="30", KAIRO_CONNECT_TIMEOUT="4"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "56"


@pytest.mark.parametrize("name", ["%(r)s", "%(q)s", "%(f)s"])
def test_the_access_log_format_leaves_the_query_string_out(name):
    assert name not in ACCESS_LOG_FORMAT
    assert "%(U)s" in ACCESS_LOG_FORMAT


# --- The access log ----------------------------------------------------------------------------


def _access_line(tmp_path: Path, path: str, query: str, access_format: str) -> str:
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", access_format)
    logger = RedactingLogger(cfg)
    uri = f"{path}?{query}" if query else path
    referer = f"https://desk.clinica.example/consultations/?q={SECRET_DOCUMENT}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "test")])
    logger.access(response, request, environ, dt.timedelta(milliseconds=42))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def test_an_access_line_has_the_path_but_no_query_string(tmp_path):
    line = _access_line(tmp_path, "/consultations/", f"q={SECRET_DOCUMENT}", ACCESS_LOG_FORMAT)
    assert '"GET /consultations/ HTTP/1.1" 200 512 42ms' in line
    assert SECRET_DOCUMENT not in line


def test_an_access_line_has_no_join_token(tmp_path):
    line = _access_line(tmp_path, f"/j/{SECRET_TOKEN}/join", "", ACCESS_LOG_FORMAT)
    assert "/j/[token]/join" in line
    assert SECRET_TOKEN not in line


def test_even_a_format_that_asks_for_them_gets_no_query_token_or_referer_query(tmp_path):
    leaky = "%(r)s %(q)s %(f)s %({referer}i)s %({raw_uri}e)s %({query_string}e)s %(U)s"
    line = _access_line(tmp_path, f"/j/{SECRET_TOKEN}", f"q={SECRET_DOCUMENT}", leaky)
    assert SECRET_DOCUMENT not in line
    assert SECRET_TOKEN not in line
    assert "GET /j/[token] HTTP/1.1" in line


# --- A real gunicorn ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_line(stream, needle: str, seconds: float) -> str:
    """Reads `stream` until a line holds `needle` (or the time is up); returns what was read."""
    seen = ""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while needle not in seen and time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                line = stream.readline()
                if not line:
                    break  # the process ended
                seen += line
    return seen


def test_gunicorn_serves_health_with_the_committed_configuration(tmp_path):
    port = _free_port()
    env = _env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k3y-" + "x7Qp9" * 12,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SITE_URL="https://desk.clinica.example",
        EMAIL_URL="smtp://127.0.0.1:1025",
        KAIRO_TRAINING_MODE="1",
        KAIRO_API_KEY="test-key",
        KAIRO_API_SECRET="test-secret",
        KAIRO_WEBHOOK_SECRET="test-webhook-secret",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _wait_for_line(process.stderr, "Using worker: gthread", 60)
        assert "Using worker: gthread" in started, started
        response = requests.get(f"http://127.0.0.1:{port}/health/?q={SECRET_DOCUMENT}", timeout=60)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        process.terminate()
        try:
            stdout, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, _ = process.communicate()
    assert '"GET /health/ HTTP/1.1" 200' in stdout
    assert SECRET_DOCUMENT not in stdout
