"""The generator's slot arithmetic: a provider's day never holds overlapping windows."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.shape import DAY_UNITS, DURATIONS, day_counts
from bench.slots import day_windows, overlaps, split_count


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 120), seed=st.integers(0, 2**32))
def test_windows_never_overlap_and_stay_within_the_day(count, seed):
    windows = day_windows(count, DURATIONS, DAY_UNITS, random.Random(seed))
    assert not overlaps(windows)
    assert len(windows) <= count
    for start, length in windows:
        assert start >= 0
        assert start + length <= DAY_UNITS * 5
        assert length in DURATIONS


def test_every_window_fits_when_the_day_has_room():
    assert len(day_windows(9, DURATIONS, DAY_UNITS, random.Random(1))) == 9


def test_too_many_windows_are_shortened_then_dropped():
    windows = day_windows(200, DURATIONS, DAY_UNITS, random.Random(2))
    # 144 units of 5 minutes hold at most 72 windows of 10 minutes.
    assert len(windows) == 72
    assert not overlaps(windows)


def test_overlaps_sees_an_intersection_but_not_adjacency():
    assert overlaps([(0, 30), (20, 10)])
    assert not overlaps([(0, 30), (30, 10)])


def test_split_count_keeps_the_total():
    bins = split_count(1000, 200, random.Random(3))
    assert len(bins) == 200
    assert sum(bins) == 1000


def test_day_counts_add_up_and_the_busiest_day_leads():
    import datetime as dt

    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(730)]
    busiest = days[600]
    counts = day_counts(1_000_000, days, busiest, random.Random(4))
    assert sum(counts) == 1_000_000
    assert counts[600] == 1800
    assert max(c for i, c in enumerate(counts) if i != 600) < 1800


def test_copy_text_format_escapes_and_spells_nulls():
    import datetime as dt

    from bench.columns import _text

    assert _text(None) == "\\N"
    assert _text(True) == "t"
    assert _text({"a": 1}) == '{"a": 1}'
    assert _text("a\tb\\c\nd") == "a\\tb\\\\c\\nd"
    assert _text(dt.datetime(2027, 1, 2, 3, 4, tzinfo=dt.UTC)) == "2027-01-02T03:04:00+00:00"
