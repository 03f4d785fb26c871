"""One provider's day on the booking page: what is booked, what Kairo holds, what is free.

A free start is a start on the booking grid (every `GRID_MINUTES`, from the opening hour)
whose window [start, start + duration) fits within working hours, is far enough ahead
(docs/kairo-connect-api.md "Create a consultation": `MIN_NOTICE`), and overlaps nothing
that blocks the provider, or the patient when one is known
(`Consultation.objects.blocking()`: the rules `provider_free_check` / `patient_free_check`
apply, read once for the whole day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from consultations import clock
from consultations.kairo import contract
from consultations.models import Consultation, Patient, Provider

# Free starts are offered every quarter of an hour: the steps a receptionist offers on
# the phone; any other minute can still be typed into the time field.
GRID_MINUTES = 15
# How many free starts an overlap refusal offers.
NEXT_FREE_COUNT = 3


def working_hours() -> tuple[dt.time, dt.time]:
    """The day's opening and closing wall times, organization clock: the agenda's opening
    hours (settings AGENDA_DAY_STARTS, AGENDA_DAY_ENDS)."""
    return settings.AGENDA_DAY_STARTS, settings.AGENDA_DAY_ENDS


@dataclass(frozen=True)
class DayBlock:
    """A consultation that blocks part of the day, in the organization's zone."""

    consultation: Consultation
    starts_local: dt.datetime
    ends_local: dt.datetime
    held_by_kairo: bool


@dataclass(frozen=True)
class ProviderDay:
    provider: Provider
    day: dt.date
    duration_minutes: int
    opens: dt.time
    closes: dt.time
    blocks: list[DayBlock]
    free_starts: list[dt.datetime]


def provider_free_starts(
    *,
    provider: Provider,
    day: dt.date,
    duration_minutes: int,
    patient: Patient | None = None,
    now: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Every free start on `day` for a consultation of `duration_minutes` with
    `provider` (and `patient`, when saved), as aware datetimes in the organization's
    zone, earliest first. Empty for an inactive provider or a day gone by."""
    if not provider.is_active:
        return []
    now = now or timezone.now()
    windows = [
        (c.starts_at, c.ends_at) for c in _blocking(provider=provider, patient=patient, day=day)
    ]
    zone = clock.organization_zone()
    length = dt.timedelta(minutes=duration_minutes)
    opens, closes = working_hours()
    closing = _wall(day, closes)
    free: list[dt.datetime] = []
    for start in _grid(day, opens):
        if closing is None or start.astimezone(dt.UTC) + length > closing:
            break
        end = start.astimezone(dt.UTC) + length
        if start - now < contract.MIN_NOTICE:
            continue
        if any(starts < end and ends > start for starts, ends in windows):
            continue
        free.append(start.astimezone(zone))
    return free


def provider_day(
    *,
    provider: Provider,
    day: dt.date,
    duration_minutes: int,
    patient: Patient | None = None,
    now: dt.datetime | None = None,
) -> ProviderDay:
    """The provider's blocks on `day` (booked, and held by Kairo for cancelled
    consultations) and the free starts (`provider_free_starts`)."""
    zone = clock.organization_zone()
    opens, closes = working_hours()
    start, end = clock.organization_day_bounds(day)
    blocks = [
        DayBlock(
            consultation=consultation,
            starts_local=consultation.starts_at.astimezone(zone),
            ends_local=consultation.ends_at.astimezone(zone),
            held_by_kairo=consultation.is_held_by_kairo,
        )
        for consultation in Consultation.objects.filter(provider=provider)
        .blocking()
        .overlapping(start, end)
        .order_by("starts_at", "id")
    ]
    return ProviderDay(
        provider=provider,
        day=day,
        duration_minutes=duration_minutes,
        opens=opens,
        closes=closes,
        blocks=blocks,
        free_starts=provider_free_starts(
            provider=provider,
            day=day,
            duration_minutes=duration_minutes,
            patient=patient,
            now=now,
        ),
    )


def provider_next_free_starts(
    *,
    provider: Provider,
    after: dt.datetime,
    duration_minutes: int,
    patient: Patient | None = None,
    now: dt.datetime | None = None,
    count: int = NEXT_FREE_COUNT,
) -> list[dt.datetime]:
    """The first `count` free starts at or after `after`, on the same organization day."""
    day = after.astimezone(clock.organization_zone()).date()
    starts = provider_free_starts(
        provider=provider, day=day, duration_minutes=duration_minutes, patient=patient, now=now
    )
    return [start for start in starts if start >= after][:count]


def _blocking(*, provider: Provider, patient: Patient | None, day: dt.date):
    start, end = clock.organization_day_bounds(day)
    # A window starting late the day before may reach into this one, and a start near
    # closing may run into the next day: read a day either side.
    start, end = start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    blocking = Consultation.objects.blocking().overlapping(start, end)
    rows = list(blocking.filter(provider=provider).only("starts_at", "ends_at"))
    if patient is not None and patient.pk is not None:
        rows += list(blocking.filter(patient=patient).only("starts_at", "ends_at"))
    return rows


def _wall(day: dt.date, time: dt.time) -> dt.datetime | None:
    """`day` `time` as an aware instant, None when that wall time does not exist or
    happens twice (a DST change: `clock.organization_datetime`)."""
    try:
        return clock.organization_datetime(day, time)
    except ValidationError:
        return None


def _grid(day: dt.date, opens: dt.time):
    """Wall times every GRID_MINUTES from `opens` until the day ends, skipping those a
    DST change makes nonexistent or ambiguous (Kairo could not be told which)."""
    minute = opens.hour * 60 + opens.minute
    while minute < 24 * 60:
        wall = _wall(day, dt.time(minute // 60, minute % 60))
        if wall is not None:
            yield wall
        minute += GRID_MINUTES
