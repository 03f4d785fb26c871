"""Slot arithmetic of the data generator: one provider's day as non-overlapping windows.

A day is `units` units of `unit_minutes` (the generated working hours); a consultation
takes its duration in whole units. `day_windows` lays `count` consultations on it with
random gaps, never overlapping and never past the day's end.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def day_windows(
    count: int,
    durations: Sequence[int],
    units: int,
    rng: random.Random,
    unit_minutes: int = 5,
) -> list[tuple[int, int]]:
    """Up to `count` (start_minute, duration_minutes) windows within [0, units *
    unit_minutes), sorted and pairwise disjoint ([start, start + duration) intervals).

    Durations are drawn from `durations` (each a multiple of `unit_minutes`); when they
    do not all fit, the longest are shortened to the shortest duration, and if even that
    is too much, fewer windows are returned."""
    if count <= 0 or units <= 0:
        return []
    shortest = min(durations)
    if any(d % unit_minutes for d in durations):
        raise ValueError("every duration must be a whole number of units")
    chosen = [rng.choice(durations) // unit_minutes for _ in range(count)]
    smallest = shortest // unit_minutes
    while sum(chosen) > units:
        longest = max(range(len(chosen)), key=chosen.__getitem__)
        if chosen[longest] > smallest:
            chosen[longest] = smallest
        else:
            chosen.pop()
        if not chosen:
            return []
    free = units - sum(chosen)
    # A random composition of the free units into len(chosen) + 1 gaps.
    cuts = sorted(rng.randint(0, free) for _ in range(len(chosen)))
    gaps = [cuts[0]] + [b - a for a, b in zip(cuts, cuts[1:], strict=False)]
    windows = []
    position = 0
    for gap, length in zip(gaps, chosen, strict=True):
        position += gap
        windows.append((position * unit_minutes, length * unit_minutes))
        position += length
    return windows


def overlaps(windows: Sequence[tuple[int, int]]) -> bool:
    """Whether any two [start, start + length) windows intersect (adjacent ones do not)."""
    ordered = sorted(windows)
    return any(
        a_start + a_len > b_start
        for (a_start, a_len), (b_start, _) in zip(ordered, ordered[1:], strict=False)
    )


def split_count(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` spread over `parts` bins at random (multinomial, equal weights)."""
    bins = [0] * parts
    for _ in range(total):
        bins[rng.randrange(parts)] += 1
    return bins
