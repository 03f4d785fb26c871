"""Dates cross the wire as `yyyy-MM-dd HH:mm` in the organization's zone and come back
as the same instant, in Bogotá and in zones with daylight saving."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from consultations.kairo.client import KairoClient
from consultations.kairo.sandbox import KairoSandbox, ManualClock, SandboxHTTPServer
from tests.consultations.kairo.conftest import booking

UTC = dt.UTC


def _client(zone: str, base_url: str = "http://kairo.example") -> KairoClient:
    return KairoClient(
        base_url=base_url,
        api_key="sandbox-key",
        api_secret="sandbox-secret",
        timezone=zone,
        connect_timeout=2,
        read_timeout=2,
    )


@pytest.mark.parametrize(
    ("zone", "instant", "wire"),
    [
        ("America/Bogota", dt.datetime(2030, 3, 14, 15, 0, tzinfo=UTC), "2030-03-14 10:00"),
        # New York: EST (UTC-5) in winter, EDT (UTC-4) in summer.
        ("America/New_York", dt.datetime(2030, 1, 15, 15, 0, tzinfo=UTC), "2030-01-15 10:00"),
        ("America/New_York", dt.datetime(2030, 7, 15, 14, 0, tzinfo=UTC), "2030-07-15 10:00"),
        # The night the clocks go forward (2030-03-10 02:00 -> 03:00 local).
        ("America/New_York", dt.datetime(2030, 3, 10, 6, 59, tzinfo=UTC), "2030-03-10 01:59"),
        ("America/New_York", dt.datetime(2030, 3, 10, 7, 0, tzinfo=UTC), "2030-03-10 03:00"),
        # Madrid: CET (UTC+1) in winter, CEST (UTC+2) in summer.
        ("Europe/Madrid", dt.datetime(2030, 1, 15, 9, 0, tzinfo=UTC), "2030-01-15 10:00"),
        ("Europe/Madrid", dt.datetime(2030, 7, 15, 8, 0, tzinfo=UTC), "2030-07-15 10:00"),
    ],
)
def test_round_trip_in_the_organization_zone(zone, instant, wire):
    client = _client(zone)
    assert client.format_datetime(instant) == wire
    assert client.parse_datetime(wire) == instant
    # Any aware input works, whatever its own zone.
    assert client.format_datetime(instant.astimezone(ZoneInfo("Asia/Tokyo"))) == wire


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        _client("America/Bogota").format_datetime(dt.datetime(2030, 3, 14, 10, 0))  # noqa: DTZ001


def test_seconds_are_refused_rather_than_dropped():
    with pytest.raises(ValueError):
        _client("America/Bogota").format_datetime(dt.datetime(2030, 3, 14, 10, 0, 30, tzinfo=UTC))


def test_the_second_pass_through_a_repeated_hour_is_refused():
    """02:05 CET on Madrid's fall-back night reads back as 02:05 CEST, an hour earlier:
    the wire format cannot say which one, so the client refuses to send it."""
    client = _client("Europe/Madrid")
    first_pass = dt.datetime(2030, 10, 27, 0, 5, tzinfo=UTC)  # 02:05 CEST
    second_pass = dt.datetime(2030, 10, 27, 1, 5, tzinfo=UTC)  # 02:05 CET
    assert client.format_datetime(first_pass) == "2030-10-27 02:05"
    with pytest.raises(ValueError):
        client.format_datetime(second_pass)


def test_payload_carries_the_wall_time():
    client = _client("Europe/Madrid")
    request = booking(scheduled_at=dt.datetime(2030, 7, 15, 8, 0, tzinfo=UTC))
    assert client.payload_for(request)["scheduledAt"] == "2030-07-15 10:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-07-15T10:00:00Z", dt.datetime(2030, 7, 15, 10, 0, tzinfo=UTC)),
        ("2030-07-15T12:00:00+02:00", dt.datetime(2030, 7, 15, 10, 0, tzinfo=UTC)),
        ("2030-07-15 12:00:00", dt.datetime(2030, 7, 15, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_tolerates_iso_8601(value, expected):
    assert _client("Europe/Madrid").parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("zone", "now", "scheduled"),
    [
        # Summer in New York.
        (
            "America/New_York",
            dt.datetime(2030, 7, 15, 13, 0, tzinfo=UTC),
            dt.datetime(2030, 7, 15, 13, 15, tzinfo=UTC),
        ),
        # Across the spring-forward gap: 01:50 EST now, 03:05 EDT is 15 minutes later.
        (
            "America/New_York",
            dt.datetime(2030, 3, 10, 6, 50, tzinfo=UTC),
            dt.datetime(2030, 3, 10, 7, 5, tzinfo=UTC),
        ),
        # The fall-back night in Madrid: 02:25 CEST now, 02:40 CEST (first pass); its
        # expiry, 02:55 CEST, is still before the clocks go back.
        (
            "Europe/Madrid",
            dt.datetime(2030, 10, 27, 0, 25, tzinfo=UTC),
            dt.datetime(2030, 10, 27, 0, 40, tzinfo=UTC),
        ),
        # ... and 03:05 CET, after the repeated hour.
        (
            "Europe/Madrid",
            dt.datetime(2030, 10, 27, 0, 50, tzinfo=UTC),
            dt.datetime(2030, 10, 27, 2, 5, tzinfo=UTC),
        ),
    ],
)
def test_end_to_end_through_a_sandbox_in_that_zone(zone, now, scheduled):
    """The 15-minute notice is judged in the organization's zone, across DST changes, and
    the instant comes back unchanged."""
    sandbox = KairoSandbox(timezone=zone, clock=ManualClock(now))
    with SandboxHTTPServer(sandbox, port=0).start_in_thread() as server:
        with _client(zone, server.base_url) as client:
            result = client.create_consultation(
                booking(scheduled_at=scheduled, duration_minutes=15)
            )
            detail = client.get_consultation(result.consultation_id)
    assert result.scheduled_at == scheduled
    assert detail.scheduled_at == scheduled
    assert detail.expires_at == scheduled + dt.timedelta(minutes=15)
    assert result.created_at == now
