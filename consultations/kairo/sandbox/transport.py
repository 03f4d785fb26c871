"""The in-process transport: the sandbox as the default backend, no socket involved.

`KairoClient.from_settings()` mounts `SandboxAdapter` on `SANDBOX_BASE_URL` when
`KAIRO_BASE_URL` is empty, so `make run` needs no second process. The adapter hands
each prepared request to the process-wide `default_sandbox()` and acts out faults the
way a network would look to the client: `timeout` raises `requests.ReadTimeout` after
the consultation was created (without waiting), `drop` raises the same
`ConnectionError` a closed socket gives.
"""

from __future__ import annotations

import io
import threading
import time
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError

from consultations.kairo.sandbox.core import KairoSandbox
from consultations.kairo.sandbox.wire import SandboxResponse, reason_phrase

# A reserved name (RFC 6761: .invalid never resolves): were the adapter ever bypassed,
# the request would fail to resolve instead of reaching someone else's server.
SANDBOX_BASE_URL = "http://kairo-sandbox.invalid"

_default: KairoSandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> KairoSandbox:
    """The process-wide sandbox, built from settings on first use. Its state lives in
    memory until the process ends (or `reset_default_sandbox()`)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KairoSandbox.from_settings()
        return _default


def reset_default_sandbox() -> None:
    """Drop the process-wide sandbox; the next `default_sandbox()` builds a new one from
    the current settings (tests that change KAIRO_SANDBOX_* settings use this)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.webhooks.close()
        _default = None


class SandboxAdapter(BaseAdapter):
    """A requests adapter that answers from a `KairoSandbox` (default: the process-wide
    one, looked up on every request so a reset takes effect at once)."""

    def __init__(self, sandbox: KairoSandbox | None = None) -> None:
        super().__init__()
        self._sandbox = sandbox

    @property
    def sandbox(self) -> KairoSandbox:
        return self._sandbox or default_sandbox()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        answer = self.sandbox.handle(request.method or "GET", path, request.headers, body or b"")
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if answer.delay:
            if read_timeout is not None and answer.delay >= read_timeout:
                time.sleep(read_timeout)
                raise requests.ReadTimeout(
                    "sandbox latency exceeded the read timeout", request=request
                )
            time.sleep(answer.delay)
        if answer.after == "timeout":
            raise requests.ReadTimeout("sandbox fault: timeout", request=request)
        if answer.after == "drop":
            raise requests.ConnectionError(
                ProtocolError(
                    "Connection aborted.",
                    RemoteDisconnected("Remote end closed connection without response"),
                ),
                request=request,
            )
        return self._response(request, answer)

    @staticmethod
    def _response(request: requests.PreparedRequest, answer: SandboxResponse) -> requests.Response:
        response = requests.Response()
        response.status_code = answer.status
        response.reason = reason_phrase(answer.status)
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = io.BytesIO(answer.body)  # read as an HTTP body would be
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to close: there is no connection."""
