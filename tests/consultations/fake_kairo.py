"""Stand-ins for the Kairo client, which the services take as `client=`."""

from __future__ import annotations

import datetime as dt
import threading
import time

from tests.factories import remote_consultation


class MovingKairo:
    """GET detail answers Pending, at `scheduled_at`, for any consultation."""

    def __init__(self, scheduled_at: dt.datetime) -> None:
        self.scheduled_at = scheduled_at

    def get_consultation(self, consultation_id):
        return remote_consultation(consultation_id=consultation_id, scheduled_at=self.scheduled_at)


class CountingKairo:
    """GET detail answers `status` for any consultation and counts who was asked (from
    any thread). With `remaining`, each answer's X-RateLimit-Remaining is `remaining`
    minus the calls so far; with `error`, every call raises it instead."""

    def __init__(
        self,
        *,
        status: str = "Pending",
        remaining: int | None = None,
        error: Exception | None = None,
        delay: float = 0.0,
    ) -> None:
        self.status = status
        self.remaining = remaining
        self.error = error
        self.delay = delay
        self.asked: list = []
        self.lock = threading.Lock()
        self.last_rate_limit_remaining: int | None = None

    def get_consultation(self, consultation_id):
        with self.lock:
            self.asked.append(consultation_id)
            if self.remaining is not None:
                self.last_rate_limit_remaining = self.remaining - len(self.asked)
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return remote_consultation(consultation_id=consultation_id, status=self.status)
