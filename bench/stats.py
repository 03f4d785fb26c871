"""Pure arithmetic of the harness: percentiles, summaries, interleaved comparisons.

Every figure is a ratio measured within one run: the things compared take turns
(`interleave`), so a noisy machine slows both sides alike and the ratio holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` (0..1) percentile, linear between the two nearest ranks."""
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within 0..1")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    weight = position - low
    return float(ordered[low] * (1 - weight) + ordered[high] * weight)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 0.5)


@dataclass(frozen=True)
class Summary:
    median: float
    p95: float
    runs: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median": round(self.median, 3), "p95": round(self.p95, 3), "runs": self.runs}


def summarize(samples: Sequence[float]) -> Summary:
    return Summary(median=median(samples), p95=percentile(samples, 0.95), runs=len(samples))


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator; infinity when the denominator is zero."""
    if denominator <= 0:
        return math.inf
    return numerator / denominator


def interleave(
    actions: dict[str, Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Run each action once per round, the order rotating from round to round (A B,
    B A, ...), and return each one's durations in milliseconds. An action that raises
    stops the whole comparison: a failed request has no meaningful time."""
    names = list(actions)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started = clock()
            actions[name]()
            samples[name].append((clock() - started) * 1000.0)
    return samples


def interleaved_ratio(
    numerator: Callable[[], object],
    denominator: Callable[[], object],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, Summary, Summary]:
    """median(numerator) / median(denominator), measured taking turns."""
    samples = interleave({"num": numerator, "den": denominator}, rounds, clock)
    num, den = summarize(samples["num"]), summarize(samples["den"])
    return ratio(num.median, den.median), num, den
