"""When `KairoClient` tries a request again, and after how long: only where that cannot
create anything twice, and only within the call's overall time budget (`Deadline`)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


# A retry is worth starting only with at least this much of the budget left for it: an
# attempt given a few milliseconds could only time out.
MIN_ATTEMPT_SECONDS = 0.5


@dataclass
class Deadline:
    """The overall time one call may take, attempts and waits between them together, so
    that a request that talks to Kairo always answers before the web server gives up on
    it (docs/operations.md "Timeouts").

    `seconds` None means no overall limit (only the per-attempt timeouts). `monotonic`
    is injectable so tests move time by hand."""

    seconds: float | None
    monotonic: Callable[[], float] = time.monotonic
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.monotonic()

    def remaining(self) -> float | None:
        if self.seconds is None:
            return None
        return self.seconds - (self.monotonic() - self.started)

    def timeout(self, connect: float, read: float) -> tuple[float, float]:
        """This attempt's (connect, read) timeouts: the configured ones, each shortened to
        what is left of the budget. A connect that takes its whole timeout is followed by
        at most the remaining budget of read, so one call lasts at most the budget plus one
        connect timeout."""
        remaining = self.remaining()
        if remaining is None:
            return connect, read
        remaining = max(remaining, 0.001)  # requests refuses a zero timeout
        return min(connect, remaining), min(read, remaining)

    def allows(self, delay: float) -> bool:
        """Whether waiting `delay` seconds still leaves a worthwhile attempt in the budget."""
        remaining = self.remaining()
        return remaining is None or remaining - delay >= MIN_ATTEMPT_SECONDS


def backoff_delay(base: float, attempt: int) -> float:
    """The wait before retry number `attempt`: exponential from `base` seconds, with
    "equal jitter" (half fixed, half random), so clients that failed together do not
    come back together."""
    ceiling = base * 2 ** (attempt - 1)
    return ceiling / 2 + random.uniform(0, ceiling / 2)
