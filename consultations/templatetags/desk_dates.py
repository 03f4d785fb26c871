"""`long_date` and `long_moment` for templates (see `consultations.clock`)."""

from __future__ import annotations

import datetime as dt

from django import template

from consultations import clock

register = template.Library()


@register.filter
def long_date(value: dt.date | dt.datetime | None) -> str:
    """{{ consultation.starts_at|long_date }} -> "miércoles, 2 de diciembre de 2026"."""
    return "" if value is None or value == "" else clock.long_date(value)


@register.filter
def long_moment(value: dt.datetime | None) -> str:
    """{{ consultation.created_at|long_moment }} -> "... de 2026, 10:00"."""
    return "" if value is None or value == "" else clock.long_moment(value)
