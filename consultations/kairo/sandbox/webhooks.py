"""The sandbox's webhook deliveries (docs/kairo-connect-api.md "Webhooks").

Each event is signed once (`signing.sign` over the exact body bytes) and delivered by
one background thread. A delivery that fails (no 2xx, an exception, a timeout) is
retried after the next of `retry_delays`, with the SAME delivery id and the same bytes:
the id is the receiver's idempotency key. `wait_idle()` lets tests wait for the queue to
drain instead of sleeping.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from consultations.kairo import contract, signing

logger = logging.getLogger("consultations.kairo.sandbox")

# (url, headers, body, timeout in seconds) -> HTTP status of the receiver's answer.
WebhookTransport = Callable[[str, dict[str, str], bytes, float], int]


def post_with_requests(url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """The default transport: a plain HTTP POST, no redirects, no retries of its own."""
    response = requests.post(
        url, data=body, headers=headers, timeout=(min(timeout, 5.0), timeout), allow_redirects=False
    )
    return response.status_code


@dataclass
class _Delivery:
    delivery_id: str
    event: str
    url: str
    body: bytes
    headers: dict[str, str]
    generation: int
    attempts: list[str] = field(default_factory=list)  # "200", "500", "ConnectionError"
    state: str = "pending"  # pending | delivered | failed

    def summary(self) -> dict[str, Any]:
        return {
            "deliveryId": self.delivery_id,
            "event": self.event,
            "url": self.url,
            "attempts": list(self.attempts),
            "state": self.state,
            "body": json.loads(self.body),
            "signature": self.headers[contract.HEADER_WEBHOOK_SIGNATURE],
        }


class WebhookDispatcher:
    """A thread-safe delivery queue with bounded retries."""

    def __init__(
        self,
        *,
        url: str = "",
        secret: str = "",
        retry_delays: Sequence[float] = (1.0, 5.0, 30.0),
        timeout: float = 30.0,
        transport: WebhookTransport | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout  # contract "Webhooks": the receiver must answer within 30 s
        self.transport: WebhookTransport = transport or post_with_requests
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, _Delivery]] = []
        self._sequence = itertools.count()
        self._records: list[_Delivery] = []
        self._pending = 0
        self._generation = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def configure(
        self, *, url: str, secret: str, transport: WebhookTransport | None = None
    ) -> None:
        """Point future deliveries at `url`, signed with `secret`; empty url = off."""
        with self._cond:
            self.url = url
            self.secret = secret
            if transport is not None:
                self.transport = transport

    def enqueue(self, event: str, body: dict[str, Any]) -> str | None:
        """Sign and queue one event. Returns its delivery id, or None when disabled."""
        with self._cond:
            if not self.url or self._closed:
                return None
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            delivery = _Delivery(
                delivery_id=str(uuid.uuid4()),
                event=event,
                url=self.url,
                body=raw,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": contract.WEBHOOK_USER_AGENT,
                    contract.HEADER_WEBHOOK_SIGNATURE: signing.sign(raw, self.secret),
                    contract.HEADER_WEBHOOK_EVENT: event,
                    contract.HEADER_WEBHOOK_DELIVERY: "",
                },
                generation=self._generation,
            )
            delivery.headers[contract.HEADER_WEBHOOK_DELIVERY] = delivery.delivery_id
            self._records.append(delivery)
            self._pending += 1
            heapq.heappush(self._queue, (time.monotonic(), next(self._sequence), delivery))
            self._ensure_worker()
            self._cond.notify_all()
            return delivery.delivery_id

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery succeeded or gave up; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [record.summary() for record in self._records]

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    def reset(self) -> None:
        """Forget every delivery, queued or done (one in flight is finished, then dropped)."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._records.clear()
            self._pending = 0
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # --- The worker ----------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="kairo-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _next_due(self) -> _Delivery | None:
        """Wait for the next delivery that is due; None once closed."""
        with self._cond:
            while not self._closed:
                if not self._queue:
                    self._cond.wait()
                    continue
                due = self._queue[0][0]
                wait = due - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._queue)[2]
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        while (delivery := self._next_due()) is not None:
            try:
                status = self.transport(
                    delivery.url, dict(delivery.headers), delivery.body, self.timeout
                )
                outcome = str(status)
                ok = 200 <= status < 300
            except Exception as exc:  # noqa: BLE001 - any failure is a failed attempt
                outcome = type(exc).__name__
                ok = False
            self._record(delivery, outcome, ok)

    def _record(self, delivery: _Delivery, outcome: str, ok: bool) -> None:
        with self._cond:
            if delivery.generation != self._generation:
                return  # reset while in flight
            delivery.attempts.append(outcome)
            failures = len(delivery.attempts)
            logger.info(
                "sandbox webhook %s delivery=%s attempt=%s -> %s",
                delivery.event,
                delivery.delivery_id,
                failures,
                outcome,
            )
            if ok:
                delivery.state = "delivered"
                self._pending -= 1
            elif failures <= len(self.retry_delays):
                due = time.monotonic() + self.retry_delays[failures - 1]
                heapq.heappush(self._queue, (due, next(self._sequence), delivery))
            else:
                delivery.state = "failed"
                self._pending -= 1
            self._cond.notify_all()
