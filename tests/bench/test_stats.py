"""The harness's arithmetic: percentiles, summaries and interleaved comparisons."""

import math

import pytest

from bench.stats import interleave, interleaved_ratio, median, percentile, ratio, summarize


def test_percentile_interpolates_between_ranks():
    samples = [10.0, 20.0, 30.0, 40.0]
    assert percentile(samples, 0.0) == 10.0
    assert percentile(samples, 1.0) == 40.0
    assert percentile(samples, 0.5) == 25.0
    assert percentile(samples, 0.95) == pytest.approx(38.5)


def test_percentile_ignores_order_and_refuses_nonsense():
    assert median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_summary_counts_runs():
    summary = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert summary.median == 3.0
    assert summary.runs == 5
    assert summary.p95 > 4.0


def test_ratio_of_zero_denominator_is_infinite():
    assert ratio(5.0, 2.0) == 2.5
    assert math.isinf(ratio(1.0, 0.0))


class FakeClock:
    """Each action advances this clock by its own fixed cost."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_interleave_rotates_the_order_every_round():
    order = []
    clock = FakeClock()
    actions = {name: (lambda n=name: order.append(n)) for name in ("a", "b", "c")}
    samples = interleave(actions, rounds=3, clock=clock)
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(values) == 3 for values in samples.values())


def test_interleaved_ratio_compares_medians_in_ms():
    clock = FakeClock()

    def slow():
        clock.now += 0.3

    def fast():
        clock.now += 0.1

    value, slow_summary, fast_summary = interleaved_ratio(slow, fast, rounds=5, clock=clock)
    assert value == pytest.approx(3.0)
    assert slow_summary.median == pytest.approx(300.0)
    assert fast_summary.runs == 5


def test_interleave_stops_on_a_failing_action():
    def broken():
        raise RuntimeError("500")

    with pytest.raises(RuntimeError):
        interleave({"ok": lambda: None, "broken": broken}, rounds=2)
