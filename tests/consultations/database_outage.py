"""The database dropping mid-booking, as the tests stage it (PostgreSQL): this thread's
server session ended with `pg_terminate_backend` (what a restart or a failover does to
it), right after Kairo answered; while `down`, every new connection of this thread is
refused, as by a server that has not come back yet. Other threads' connections (the
webhook receiver's) are left alone.

Also Kairo's webhooks held at a gate, posted to our receiver once the database is back."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse

from consultations.kairo.client import KairoClient


def session_end(wrapper=connection) -> None:
    """End `wrapper`'s server session from another connection, and wait until it is gone
    (pg_terminate_backend with a timeout returns once the backend has exited)."""
    pid = wrapper.connection.info.backend_pid
    other = psycopg.connect(**_raw_params(wrapper), autocommit=True)
    try:
        (ended,) = other.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()
    finally:
        other.close()
    assert ended, "the booking's database session did not end"


def _raw_params(wrapper) -> dict:
    params = wrapper.get_connection_params()
    return {key: value for key, value in params.items() if key not in {"context", "cursor_factory"}}


class DatabaseOutage:
    """`after_kairo_answers()`: each create_consultation, once the sandbox has answered
    (or failed), ends the calling thread's database session and, with `stays_down`, refuses that
    thread's new connections until `back()`. `creates` counts Kairo create calls and
    `refused` the connections refused."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.down = False
        self.refused = 0
        self.creates = 0
        self.thread: threading.Thread | None = None

    def after_kairo_answers(self, *, stays_down: bool = False) -> None:
        real_create = KairoClient.create_consultation
        outage = self

        def create(client, request):
            try:
                return real_create(client, request)
            finally:  # answered or failed: Kairo was called, and then the database drops
                outage.creates += 1
                outage.thread = threading.current_thread()
                session_end(connection)
                outage.down = stays_down

        self.monkeypatch.setattr(KairoClient, "create_consultation", create)
        real_connect = DatabaseWrapper.get_new_connection

        def get_new_connection(wrapper, params):
            if outage.down and threading.current_thread() is outage.thread:
                outage.refused += 1
                raise psycopg.OperationalError("connection failed: Connection refused")
            return real_connect(wrapper, params)

        self.monkeypatch.setattr(DatabaseWrapper, "get_new_connection", get_new_connection)

    def back(self) -> None:
        """The database is back: new connections open again."""
        self.down = False


class HeldWebhooks:
    """The sandbox's webhooks posted to our receiver (through the test client, in the
    sandbox's delivery thread), each held until `release()`, which then waits for them
    all and returns the receiver's answers."""

    def __init__(self, sandbox, secret: str) -> None:
        self.gate = threading.Event()
        self.statuses: list[int] = []
        self.sandbox = sandbox
        sandbox.configure_webhooks("http://app.invalid/kairo/webhooks/", secret, self._post)

    def _post(self, url, headers, body, timeout) -> int:
        assert self.gate.wait(timeout=30)
        try:
            response = Client().post(
                reverse("kairo_webhook"),
                data=body,
                content_type="application/json",
                headers=headers,
            )
        finally:
            connections.close_all()  # this thread's connection: never left open
        self.statuses.append(response.status_code)
        return response.status_code

    def release(self) -> list[int]:
        self.gate.set()
        assert self.sandbox.wait_for_webhooks(timeout=30)
        return self.statuses
