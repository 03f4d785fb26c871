"""The Kairo Connect sandbox: a contract-faithful simulator of docs/kairo-connect-api.md.

It is the default backend of a new install (in process, when `KAIRO_BASE_URL` is
empty), the training ground for staff, and the partner every test talks to. It runs in
two ways:

- in process: `KairoClient.from_settings()` mounts `SandboxAdapter` on
  `SANDBOX_BASE_URL`; requests never touch a socket;
- as a real HTTP server: `python manage.py kairo_sandbox --port 8765`
  (`SandboxHTTPServer`), or started in a thread by the tests.

**All state (consultations, providers, counters, the rate-limit window, armed faults,
webhook deliveries) is held in memory for the life of the process**, and with a state
file (`KAIRO_SANDBOX_STATE_FILE`, `--state-file`; `state.py`) the consultations,
providers and counters survive a restart too. `POST /_sandbox/reset` forgets everything,
the file included. The state is thread-safe.

Faults: a request header `X-Sandbox-Fault: timeout|drop|500|502|429|malformed`, or
`arm_fault()` / `POST /_sandbox/faults` for the next N create requests. Controls under
`/_sandbox/` (same auth headers): `POST reset`, `GET stats`, `POST faults`,
`GET|POST webhooks`, `POST consultations/{id}/events`.
"""

from consultations.kairo.sandbox.clock import ManualClock, utc_now
from consultations.kairo.sandbox.controls import FAULT_HEADER, FAULTS
from consultations.kairo.sandbox.core import KairoSandbox
from consultations.kairo.sandbox.server import SandboxHTTPServer, is_loopback_host
from consultations.kairo.sandbox.transport import (
    SANDBOX_BASE_URL,
    SandboxAdapter,
    default_sandbox,
    reset_default_sandbox,
)
from consultations.kairo.sandbox.validation import Catalogs
from consultations.kairo.sandbox.wire import SandboxError, SandboxResponse

__all__ = [
    "FAULT_HEADER",
    "FAULTS",
    "SANDBOX_BASE_URL",
    "Catalogs",
    "KairoSandbox",
    "ManualClock",
    "SandboxAdapter",
    "SandboxError",
    "SandboxHTTPServer",
    "SandboxResponse",
    "default_sandbox",
    "is_loopback_host",
    "reset_default_sandbox",
    "utc_now",
]
