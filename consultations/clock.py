"""The organization's clock: its zone, today, a day's bounds, the moment a receptionist
means by a day and a wall time, and how moments read in the active language.

Days and wall times are those of settings.ORGANIZATION_TIME_ZONE, the zone Kairo Connect
and the clinic both use (not the server's, not UTC's).

The long forms staff pages and emails show: "miércoles, 2 de diciembre de 2026" in
Spanish, "Wednesday, December 2, 2026" in English. The order is a translatable date
format (django.utils.dateformat codes), so each language keeps its own; the day and
month names are Django's own translations.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from consultations.kairo import contract


def organization_zone() -> ZoneInfo:
    """The organization's time zone: the one Kairo Connect reads `scheduledAt` in."""
    return ZoneInfo(settings.ORGANIZATION_TIME_ZONE)


def organization_today() -> dt.date:
    """Today's date where the clinic is (not where the server or UTC is)."""
    return timezone.localdate(timezone=organization_zone())


def organization_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) of a calendar day in the organization's zone, in UTC.

    A day is not always 24 hours long: on a daylight-saving change it is 23 or 25.
    """
    zone = organization_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def organization_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment a receptionist means by `day` `time` on the organization's clock.

    Seconds are dropped: Kairo schedules on whole minutes. Raises ValidationError
    `nonexistent_time` for a wall time skipped by a DST change, and `ambiguous_time` for
    one that happens twice: `scheduledAt` carries no offset, so we could not tell Kairo
    which of the two we mean.
    """
    zone = organization_zone()
    naive = dt.datetime.combine(day, time.replace(second=0, microsecond=0, tzinfo=None))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    params = {"time": naive.strftime(contract.WIRE_DATETIME_FORMAT), "zone": zone.key}
    if first.utcoffset() != second.utcoffset():
        # fold only matters in a gap or an overlap. In a gap the wall time does not
        # survive the round trip through UTC.
        if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise ValidationError(
                _("%(time)s does not exist in %(zone)s: the clocks skip it. Choose another time."),
                code="nonexistent_time",
                params=params,
            )
        raise ValidationError(
            _(
                "%(time)s happens twice in %(zone)s because the clocks go back. "
                "Choose another time."
            ),
            code="ambiguous_time",
            params=params,
        )
    return first


# --- How moments read -----------------------------------------------------------------


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(organization_zone())
    return value


def long_date(value: dt.date | dt.datetime) -> str:
    """The day of `value` in full: "miércoles, 2 de diciembre de 2026". An aware
    datetime is first put on the organization's clock."""
    # Translators: a date format (Django's date filter codes): l = weekday, j = day,
    # F = month name, Y = year; a backslash escapes a literal letter.
    return dateformat.format(_local(value), pgettext("long date format", "l, F j, Y"))


def long_moment(value: dt.datetime) -> str:
    """The day in full and the wall time: "miércoles, 2 de diciembre de 2026, 10:00"."""
    local = _local(value)
    return pgettext("long date, time", "%(date)s, %(time)s") % {
        "date": long_date(local),
        "time": dateformat.format(local, "H:i"),
    }


def format_moment(value: dt.datetime) -> str:
    """`miércoles, 2 de diciembre de 2026, 10:00 (America/Bogota)`: the day in full and
    the wall time on the organization's clock, in the active language."""
    return f"{long_moment(value)} ({organization_zone().key})"


# `short_moment`'s layout (strftime codes), for code that formats many moments at once.
SHORT_MOMENT_FORMAT = "%Y-%m-%d %H:%M"


def short_moment(value: dt.datetime) -> str:
    """`2026-12-02 10:00`: a moment on the organization's clock, short and sortable, for
    exports and lists (no zone named: the export says it once, in its own column)."""
    return value.astimezone(organization_zone()).strftime(SHORT_MOMENT_FORMAT)


def window_ends(*, starts_at: dt.datetime, ends_at: dt.datetime) -> dict[str, str]:
    """The two ends of a window as text, for a sentence's `%(start)s` and `%(end)s`:
    the start in full, the end as a wall time on the same day (in full on another),
    followed by the zone."""
    zone = organization_zone()
    start = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    same_day = start.date() == end.date()
    return {
        "start": long_moment(start),
        "end": f"{dateformat.format(end, 'H:i') if same_day else long_moment(end)} ({zone.key})",
    }


def window_text(*, starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """`miércoles, 2 de diciembre de 2026, 10:00–10:30 (America/Bogota)`: a window on the
    organization's clock, in the active language."""
    ends = window_ends(starts_at=starts_at, ends_at=ends_at)
    return f"{ends['start']}–{ends['end']}"
