"""Dates as people read them, in the active language, on the organization's clock.

One place for the long form staff pages and emails show: "miércoles, 2 de diciembre
de 2026" in Spanish, "Wednesday, December 2, 2026" in English. The order is a
translatable date format (django.utils.dateformat codes), so each language keeps its
own; the day and month names are Django's own translations.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import pgettext


def organization_zone() -> ZoneInfo:
    """The organization's time zone: the one Kairo Connect reads `scheduledAt` in."""
    return ZoneInfo(settings.ORGANIZATION_TIME_ZONE)


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
