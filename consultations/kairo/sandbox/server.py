"""The sandbox as a real HTTP server (`manage.py kairo_sandbox`, and the test fixture).

A `ThreadingHTTPServer` that hands every request to `KairoSandbox.handle()` and then
acts out the answer over the socket: latency, `timeout` (created, then answer only after
`timeout_fault_seconds`, longer than any sane client read timeout) and `drop` (created,
then the socket is closed without a byte of answer). Waits use an Event, so `stop()`
wakes them at once.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from consultations.kairo.sandbox.core import KairoSandbox

logger = logging.getLogger("consultations.kairo.sandbox")


class _Handler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    # HTTP/1.0: one request per connection, so a client never reuses a socket that the
    # sandbox is about to drop (that would blur the "drop" fault).
    protocol_version = "HTTP/1.0"
    server_version = "KairoSandbox/1.0"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        answer = self.server.sandbox.handle(self.command, self.path, dict(self.headers), body)
        stopping = self.server.stopping
        if answer.delay and stopping.wait(answer.delay):
            return
        if answer.after == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if answer.after == "timeout" and stopping.wait(self.server.timeout_fault_seconds):
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (after a timeout fault, it has)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        logger.debug("sandbox %s %s", self.address_string(), format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves one `KairoSandbox`. `port=0` picks a free port (see `base_url`)."""

    daemon_threads = True

    def __init__(
        self,
        sandbox: KairoSandbox,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        timeout_fault_seconds: float = 60.0,
    ) -> None:
        self.sandbox = sandbox
        self.timeout_fault_seconds = timeout_fault_seconds
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        address, port = self.server_address[:2]
        host = str(address)  # a TCP server's address is a str already
        host = host if ":" not in host else f"[{host}]"
        return f"http://{host}:{port}"

    def start_in_thread(self) -> SandboxHTTPServer:
        """Serve from a daemon thread; returns self (call `stop()` when done)."""
        # A short poll interval: stop() returns within 50 ms instead of 500.
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="kairo-sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every waiting handler, stop serving, close the socket."""
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()
        self.sandbox.webhooks.close()

    def __enter__(self) -> SandboxHTTPServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def is_loopback_host(host: str | None) -> bool:
    """Whether `host` (a name, an IPv4/IPv6 address, bracketed or not) is this machine:
    `localhost` or any loopback address. The sandbox speaks plain HTTP and accepts the
    well-known sandbox credentials, so it belongs there; `kairo_sandbox` warns when
    bound elsewhere and `kairo_check` tolerates `http://` only for these hosts."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
