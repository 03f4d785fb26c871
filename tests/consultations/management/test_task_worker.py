"""`manage.py task_worker` waits out a database outage (PostgreSQL): a real worker process
reaches a scratch database through a TCP relay the test controls; the relay drops every
connection and refuses new ones for a while, then lets them through again. `db_worker`
itself would have exited; this one comes back and runs the next task."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django_tasks_db.models import DBTaskResult

from tests.clinic.production_stack import (
    Services,
    manage,
    production_env,
    scratch_database,
    wait_until,
)

pytestmark = pytest.mark.postgres


class Relay:
    """127.0.0.1:<port> relayed to PostgreSQL; `down()` cuts every relayed connection and
    refuses new ones until `up()`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.accepted_while_open = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.open.is_set():
                client.close()  # as a server that is not up yet
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self.accepted_while_open += 1
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        self.open.clear()
        with self._lock:
            for end in self._sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()
            self._sockets.clear()

    def up(self) -> None:
        with self._lock:
            self.accepted_while_open = 0
        self.open.set()

    def close(self) -> None:
        self.down()
        self.listener.close()


ENQUEUE = """
import json
from consultations.tasks import delivery_send_task
print(json.dumps(str(delivery_send_task.enqueue(delivery_id=987654).id)))
"""


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    credentials = netloc[0] + "@" if len(netloc) == 2 else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


@pytest.fixture
def worker_setup(tmp_path) -> Iterator[tuple[dict, dict, Relay, Services]]:
    with ExitStack() as cleanup:
        database_url = cleanup.enter_context(scratch_database())
        host = urlsplit(database_url)
        relay = Relay((host.hostname or "127.0.0.1", host.port or 5432))
        cleanup.callback(relay.close)
        direct = production_env(
            DJANGO_DEBUG="1", DATABASE_URL=database_url, TASKS_BACKEND="database"
        )
        manage(direct, "migrate", "--noinput", "-v0")
        relayed = {**direct, "DATABASE_URL": _through(database_url, relay.port)}
        services = cleanup.enter_context(Services(tmp_path / "logs"))
        yield direct, relayed, relay, services


def _task_status(env: dict, task_id: str) -> str:
    table = DBTaskResult._meta.db_table
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        (status,) = connection.execute(
            f"SELECT status FROM {table} WHERE id = %s",  # noqa: S608 - a model's table
            [task_id],
        ).fetchone()
    return status


def _run_one_task(env: dict, services: Services) -> None:
    task_id = json.loads(manage(env, "shell", "-c", ENQUEUE).strip().splitlines()[-1])
    wait_until(
        lambda: _task_status(env, task_id) == "SUCCESSFUL",
        seconds=60,
        what="the worker to run the task",
        services=services,
    )


def test_the_worker_waits_out_a_database_outage_and_runs_the_next_task(worker_setup):
    direct, relayed, relay, services = worker_setup
    worker = services.start(
        "worker",
        [sys.executable, "manage.py", "task_worker", "--no-reload", "--interval", "0.2"],
        relayed,
    )
    _run_one_task(direct, services)

    relay.down()
    wait_until(
        lambda: "the database connection is lost" in worker.log.read_text(),
        seconds=60,
        what="the worker to find the database gone",
        services=services,
    )
    assert worker.process.poll() is None  # still running, waiting

    relay.up()
    wait_until(
        lambda: "the database is back" in worker.log.read_text(),
        seconds=90,
        what="the worker to reconnect",
        services=services,
    )
    _run_one_task(direct, services)
    assert worker.process.poll() is None
    # Nothing personal or secret in what it said.
    assert "postgres://" not in worker.log.read_text()
