"""`Deadline`: the overall budget of one call, on a clock the test moves by hand."""

from __future__ import annotations

import pytest

from consultations.kairo.client.retries import MIN_ATTEMPT_SECONDS, Deadline


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_a_budget_the_configured_timeouts_stand_and_every_wait_is_allowed():
    clock = Clock()
    deadline = Deadline(None, clock)
    clock.now += 1000
    assert deadline.remaining() is None
    assert deadline.timeout(5.0, 15.0) == (5.0, 15.0)
    assert deadline.allows(3600)


def test_timeouts_shrink_to_what_is_left():
    clock = Clock()
    deadline = Deadline(20.0, clock)
    assert deadline.timeout(5.0, 15.0) == (5.0, 15.0)
    clock.now += 12
    assert deadline.timeout(5.0, 15.0) == (5.0, 8.0)
    clock.now += 5
    assert deadline.timeout(5.0, 15.0) == (3.0, 3.0)


def test_an_exhausted_budget_still_gives_a_valid_timeout():
    clock = Clock()
    deadline = Deadline(1.0, clock)
    clock.now += 5
    connect, read = deadline.timeout(5.0, 15.0)
    assert 0 < connect <= 0.001 and 0 < read <= 0.001


@pytest.mark.parametrize(
    ("spent", "delay", "allowed"),
    [
        (0.0, 1.0, True),
        (10.0 - 1.0 - MIN_ATTEMPT_SECONDS, 1.0, True),  # exactly one short attempt left
        (10.0 - 1.0 - MIN_ATTEMPT_SECONDS + 0.01, 1.0, False),
        (9.9, 0.0, False),
    ],
)
def test_a_wait_is_allowed_only_when_an_attempt_still_fits_after_it(spent, delay, allowed):
    clock = Clock()
    deadline = Deadline(10.0, clock)
    clock.now += spent
    assert deadline.allows(delay) is allowed
