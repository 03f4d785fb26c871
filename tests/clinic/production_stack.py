"""The production stack as real processes, for a test that runs it whole
(tests/clinic/test_scale_out.py): a scratch PostgreSQL database, an SMTP server that
keeps what it receives, the services in their own process groups, and bounded waits.

Nothing here prints what it handles: the messages stay in memory, the services' output
goes to files that a failure quotes the end of (the app's logs hold no personal data).
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import psycopg
from aiosmtpd.controller import Controller
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Polling interval of `wait_until`: the conditions it waits on live in other processes.
POLL_SECONDS = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- A scratch database --------------------------------------------------------------------


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database on the test run's PostgreSQL server, dropped afterwards
    (connections and all); yields its DATABASE_URL."""
    default = settings.DATABASES["default"]
    name = f"clinic_scaleout_{secrets.token_hex(6)}"
    server = {
        "host": default.get("HOST") or "127.0.0.1",
        "port": str(default.get("PORT") or 5432),
        "user": default.get("USER") or "postgres",
        "password": default.get("PASSWORD") or "",
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(server["user"], safe="")
    if server["password"]:
        credentials += ":" + quote(server["password"], safe="")
    try:
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- An SMTP server that keeps every message ---------------------------------------------


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]  # the envelope's RCPT TO
    message: EmailMessage

    def calendar_uid(self) -> str:
        """The UID of the message's calendar file ("" without one): one per consultation."""
        for part in self.message.walk():
            if part.get_content_type() == "text/calendar":
                for line in part.get_content().splitlines():
                    if line.startswith("UID:"):
                        return line.removeprefix("UID:").strip()
        return ""


class _KeepingHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.keep(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SmtpSink:
    """A real SMTP server on a loopback port (aiosmtpd), counting each message once as
    it arrives. Use as a context manager; `url` is the app's EMAIL_URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._received: list[Received] = []
        self._arrived = threading.Condition()
        self._controller = Controller(_KeepingHandler(self), hostname="127.0.0.1", port=self.port)

    def keep(self, received: Received) -> None:
        with self._arrived:
            self._received.append(received)
            self._arrived.notify_all()

    def received(self) -> list[Received]:
        with self._arrived:
            return list(self._received)

    def wait_for(self, count: int, *, seconds: float) -> bool:
        """Wait until at least `count` messages arrived; False when the time ran out."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self._received) >= count, seconds)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


# --- Services in their own process groups ----------------------------------------------------


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, seconds: float = 20) -> None:
        """SIGTERM to the whole group (gunicorn's workers, the sandbox's threads), then
        SIGKILL if it has not ended in `seconds`."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)


@dataclass
class Services:
    """Starts long-running processes from the project folder, each in its own session
    (so its children are stopped with it), output to `logs/<name>.log`; stops them all,
    last started first, on leaving the `with`."""

    logs: Path
    started: list[Service] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: Mapping[str, str]) -> Service:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and commands
                argv,
                cwd=ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(name, process, log)
        self.started.append(service)
        return service

    def ended(self) -> list[Service]:
        return [service for service in self.started if service.process.poll() is not None]

    def report(self) -> str:
        """What each service that has ended said last (for a failure's message)."""
        return "\n".join(
            f"--- {s.name} ended with {s.process.returncode}:\n{s.tail()}" for s in self.ended()
        )

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for service in reversed(self.started):
            service.stop()


def production_env(**values: str) -> dict[str, str]:
    """Only what the stack is given here (and the basics a process needs): nothing of
    the test run's own DJANGO_*/KAIRO_*/EMAIL_* settings leaks in."""
    kept = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {**kept, "PYTHONUNBUFFERED": "1", **values}


def manage(env: Mapping[str, str], *args: str, seconds: float = 120) -> str:
    """Run one `manage.py` command to the end; its standard output, or AssertionError
    with its output's end."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def wait_until(
    condition: Callable[[], T | None],
    *,
    seconds: float,
    what: str,
    services: Services | None = None,
    progress: Callable[[], object] | None = None,
) -> T:
    """Poll `condition` until it returns something truthy, and return that. Fails when
    `seconds` have passed (saying what `progress` says then), or at once when one of
    `services` has ended."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while True:
        if services is not None and services.ended():
            raise AssertionError(f"a service ended while waiting for {what}:\n{services.report()}")
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            seen = f": {progress()}" if progress is not None else ""
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}{seen}")
        pause.wait(POLL_SECONDS)
