"""The organization's clock: dates read naturally in each language, and wall times a DST
change skips or repeats."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from consultations import clock
from consultations.clock import long_date, long_moment
from tests.errors import code_of

DAY = dt.date(2026, 12, 2)
BOGOTA = ZoneInfo("America/Bogota")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "miércoles, 2 de diciembre de 2026"), ("en", "Wednesday, December 2, 2026")],
)
def test_a_long_date_in_each_language(language, expected):
    with translation.override(language):
        assert long_date(DAY) == expected


def test_an_aware_moment_is_read_on_the_organizations_clock(settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    # 03:30 UTC on 3 December is still 2 December, 22:30, in Bogotá.
    moment = dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)
    with translation.override("es"):
        assert long_moment(moment) == "miércoles, 2 de diciembre de 2026, 22:30"
    with translation.override("en"):
        assert long_moment(moment) == "Wednesday, December 2, 2026, 22:30"


def test_another_organization_zone_moves_the_day(settings):
    settings.ORGANIZATION_TIME_ZONE = "Asia/Tokyo"
    moment = dt.datetime(2026, 12, 2, 20, 0, tzinfo=ZoneInfo("America/Bogota"))
    with translation.override("es"):
        assert long_date(moment) == "jueves, 3 de diciembre de 2026"


def test_a_short_moment_is_sortable_and_on_the_organizations_clock(settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    # The same instant as above: its day and wall time are Bogotá's, not UTC's.
    assert clock.short_moment(dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)) == (
        "2026-12-02 22:30"
    )


# --- Wall times ----------------------------------------------------------------------------


def test_organization_datetime_is_aware_in_the_zone_and_drops_seconds(settings):
    value = clock.organization_datetime(dt.date(2030, 6, 12), dt.time(9, 30, 59, 10))
    assert value == dt.datetime(2030, 6, 12, 9, 30, tzinfo=BOGOTA)
    assert value.utcoffset() == dt.timedelta(hours=-5)


def test_a_wall_time_skipped_by_dst_is_refused(settings):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    call = lambda: clock.organization_datetime(dt.date(2030, 3, 10), dt.time(2, 30))  # noqa: E731
    assert code_of(call) == "nonexistent_time"


def test_a_wall_time_repeated_by_dst_is_refused(settings):
    """`scheduledAt` has no offset: 01:30 on 2030-11-03 could be EDT or EST."""
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    call = lambda: clock.organization_datetime(dt.date(2030, 11, 3), dt.time(1, 30))  # noqa: E731
    assert code_of(call) == "ambiguous_time"


def test_the_wall_times_around_a_dst_change_are_fine(settings):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    before = clock.organization_datetime(dt.date(2030, 3, 10), dt.time(1, 59))
    after = clock.organization_datetime(dt.date(2030, 3, 10), dt.time(3, 0))
    # Aware datetimes in one zone subtract as wall times; compare real instants.
    assert after.astimezone(dt.UTC) - before.astimezone(dt.UTC) == dt.timedelta(minutes=1)


def test_bogota_has_no_dst_gaps():
    # The wall times New York skips (10 March 2030) and repeats (3 November) exist once here.
    spring = clock.organization_datetime(dt.date(2030, 3, 10), dt.time(2, 30))
    autumn = clock.organization_datetime(dt.date(2030, 11, 3), dt.time(1, 30))
    assert spring == dt.datetime(2030, 3, 10, 2, 30, tzinfo=BOGOTA)
    assert autumn == dt.datetime(2030, 11, 3, 1, 30, tzinfo=BOGOTA)
