"""When `KairoClient` tries a request again, and after how long: only where that cannot
create anything twice."""

from __future__ import annotations

import random
from dataclasses import dataclass

from consultations.kairo import contract
from consultations.kairo.client.errors import (
    CONNECTION_FAILED,
    CONNECTION_LOST,
    TIMEOUT,
    KairoError,
)


@dataclass
class RetryBudget:
    """What one call may retry, by kind, and what it has retried so far.

    `connect_retries` failures before anything was sent, with exponential backoff from
    `backoff_base` seconds and jitter; `get_retries` repeats of a GET that may have
    reached Kairo, waiting out a 429's `Retry-After` only up to `max_retry_after`."""

    connect_retries: int
    get_retries: int
    backoff_base: float
    max_retry_after: float
    connect_failures: int = 0  # nothing was sent
    repeats: int = 0  # a GET sent again after it may have reached Kairo

    def delay(self, method: str, error: KairoError) -> float | None:
        """Seconds to wait before trying again, or None to give up; counts the retry.

        - Nothing sent (refused, DNS, connect timeout): any method, `connect_retries`
          times, with backoff and jitter; then rejected.
        - Maybe sent (read timeout, connection lost, 5xx, 429): a POST is never re-sent,
          since Kairo may have created the consultation; a GET is retried `get_retries`
          times (a 429 after its `Retry-After`, only within `max_retry_after`).
        """
        if error.code == CONNECTION_FAILED:
            if self.connect_failures >= self.connect_retries:
                return None
            self.connect_failures += 1
            return backoff_delay(self.backoff_base, self.connect_failures)
        if method != "GET" or self.repeats >= self.get_retries:
            return None
        if error.code == contract.ERROR_RATE_LIMITED:
            worth_waiting = error.retry_after is None or error.retry_after <= self.max_retry_after
        else:
            worth_waiting = error.code in (TIMEOUT, CONNECTION_LOST) or (
                error.status is not None and error.status >= 500
            )
        if not worth_waiting:
            return None
        self.repeats += 1
        if error.retry_after is not None:
            return float(error.retry_after)
        return backoff_delay(self.backoff_base, self.repeats)


def backoff_delay(base: float, attempt: int) -> float:
    """The wait before retry number `attempt`: exponential from `base` seconds, with
    "equal jitter" (half fixed, half random), so clients that failed together do not
    come back together."""
    ceiling = base * 2 ** (attempt - 1)
    return ceiling / 2 + random.uniform(0, ceiling / 2)
