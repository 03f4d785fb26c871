"""Fixtures for the Kairo client and sandbox tests.

`sandbox` is a fresh `KairoSandbox` on a manual clock (Bogotá wall time 2030-03-14
10:00:00, frozen until a test moves it), `sandbox_server` serves it over real loopback
HTTP from a thread, and `kairo_client` is a `KairoClient` pointed at that server with a
recording sleep (so backoff never really waits; named so that it does not hide
pytest-django's `client`). Its read timeout is generous; tests
that need the client to time out pass `read_timeout=FAULT_READ_TIMEOUT`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from consultations.kairo.client import (
    CreateConsultationRequest,
    KairoClient,
    PatientData,
    ProviderData,
)
from consultations.kairo.sandbox import (
    SANDBOX_BASE_URL,
    KairoSandbox,
    ManualClock,
    SandboxAdapter,
    SandboxHTTPServer,
)

BOGOTA = ZoneInfo("America/Bogota")
START = dt.datetime(2030, 3, 14, 10, 0, tzinfo=BOGOTA)
# Ordinary tests: generous, so a busy machine never turns a plain answer into a timeout.
READ_TIMEOUT = 5.0
# Tests of the `timeout` fault (or of latency beyond the read timeout) pass this one: the
# sandbox withholds a timeout fault's answer for `timeout_fault_seconds` (30 s below),
# far longer, so the client gives up after FAULT_READ_TIMEOUT and the test stays fast.
FAULT_READ_TIMEOUT = 0.3


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[KairoSandbox]:
    box = KairoSandbox(
        timezone=BOGOTA,
        clock=clock,
        webhook_retry_delays=(0.0, 0.0),
        webhook_timeout=2.0,
    )
    yield box
    box.webhooks.close()


@pytest.fixture
def sandbox_server(sandbox: KairoSandbox) -> Iterator[SandboxHTTPServer]:
    # The timeout fault withholds its answer far longer than any client read timeout here
    # (READ_TIMEOUT included); stop() wakes it.
    server = SandboxHTTPServer(sandbox, host="127.0.0.1", port=0, timeout_fault_seconds=30)
    server.start_in_thread()
    yield server
    server.stop()


@dataclass
class SleepRecorder:
    """Stands in for time.sleep: records each delay, and can move a clock instead."""

    calls: list[float] = field(default_factory=list)
    clock: ManualClock | None = None

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(sandbox_server: SandboxHTTPServer, sleeps: SleepRecorder):
    clients: list[KairoClient] = []

    def make(**overrides) -> KairoClient:
        kwargs = {
            "base_url": sandbox_server.base_url,
            "api_key": "sandbox-key",
            "api_secret": "sandbox-secret",
            "timezone": BOGOTA,
            "connect_timeout": 2.0,
            "read_timeout": READ_TIMEOUT,
            "sleep": sleeps,
        }
        kwargs.update(overrides)
        made = KairoClient(**kwargs)
        clients.append(made)
        return made

    yield make
    for made in clients:
        made.close()


@pytest.fixture
def kairo_client(make_client) -> KairoClient:
    return make_client()


def in_process_client(box: KairoSandbox) -> KairoClient:
    """A client that talks to `box` in process (no socket), retrying without waiting."""
    return KairoClient(
        base_url=SANDBOX_BASE_URL,
        api_key="sandbox-key",
        api_secret="sandbox-secret",
        timezone=BOGOTA,
        connect_timeout=1,
        read_timeout=1,
        transport=SandboxAdapter(box),
        sleep=lambda seconds: None,
    )


def provider_data(**overrides) -> ProviderData:
    values = {
        "name": "Dra. Ana María Pérez",
        "document_type": "CC",
        "document_number": "52123456",
        "professional_type": "MedicoGeneral",
        "phone": "+573001234567",
        "email": "ana.perez@clinica.example",
    }
    values.update(overrides)
    return ProviderData(**values)


def patient_data(**overrides) -> PatientData:
    values = {
        "document_type": "CC",
        "document_number": "1020304050",
        "name": "Juan Camilo Gómez",
        "phone": "+573109876543",
        "email": "juan.gomez@correo.example",
    }
    values.update(overrides)
    return PatientData(**values)


def booking(
    *,
    provider: ProviderData | None = None,
    patient: PatientData | None = None,
    scheduled_at: dt.datetime | None = START + dt.timedelta(hours=1),
    duration_minutes: int = 30,
    consultation_type: str = "ConsultaGeneral",
) -> CreateConsultationRequest:
    return CreateConsultationRequest(
        provider=provider or provider_data(),
        patient=patient or patient_data(),
        consultation_type=consultation_type,
        duration_minutes=duration_minutes,
        scheduled_at=scheduled_at,
    )


# --- A tiny webhook receiver -------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver(ThreadingHTTPServer):
    """Records every POST; answers `statuses` in turn (then 200)."""

    daemon_threads = True

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.got_request = threading.Event()
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/kairo/webhooks"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.received.append(Received(dict(self.headers), body))
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.got_request.set()

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


@pytest.fixture
def webhook_receiver():
    receivers: list[WebhookReceiver] = []

    def start(statuses: list[int] | None = None) -> WebhookReceiver:
        receiver = WebhookReceiver(statuses or [])
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.stop()


# --- A server that answers whatever the test says -------------------------------------------


class CannedServer(ThreadingHTTPServer):
    """Answers every request with `responses` in turn (the last one repeats), recording
    the requests; for shapes the sandbox never sends (HTML pages, redirects, odd data)."""

    daemon_threads = True

    def __init__(self, responses: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.responses = list(responses)
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _CannedHandler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class _CannedHandler(BaseHTTPRequestHandler):
    server: CannedServer

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests.append((self.command, self.path, body))
            responses = self.server.responses
            status, headers, payload = responses.pop(0) if len(responses) > 1 else responses[0]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


@pytest.fixture
def canned(sleeps: SleepRecorder):
    """canned(responses) -> (server, client pointed at it)."""
    servers: list[CannedServer] = []
    clients: list[KairoClient] = []

    def start(*responses: tuple[int, dict[str, str], bytes]) -> tuple[CannedServer, KairoClient]:
        server = CannedServer(list(responses))
        servers.append(server)
        made = KairoClient(
            base_url=server.base_url,
            api_key="sandbox-key",
            api_secret="sandbox-secret",
            timezone=BOGOTA,
            connect_timeout=2.0,
            read_timeout=2.0,
            sleep=sleeps,
        )
        clients.append(made)
        return server, made

    yield start
    for made in clients:
        made.close()
    for server in servers:
        server.stop()
