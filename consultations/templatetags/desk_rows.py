"""What each row of the desk's long lists (a page of 25 consultations) prints, as
`{% url %}`, `get_status_display` and `|date:"Y-m-d H:i"` print it, at a fraction of
their cost: the three took some 250 µs a row, more than reading the page's rows, so a
page of rows cost many times an empty one.

- `{% pk_url "patient_detail" consultation.patient_id %}`: a URL whose one argument is
  an integer id, reversed once per process (and script prefix, URLconf, language) with
  a marker id that is then replaced, instead of matching the URL patterns on every row.
- `{{ consultation.status|status_label }}`: the status's label in the active language,
  from one table per language instead of rebuilding the choices on every call.
- `{{ consultation.starts_at|list_moment }}`: "2026-12-02 10:00" in the active time
  zone, as `|date:"Y-m-d H:i"` (without going through DateFormat).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from consultations.models import ConsultationStatus

register = template.Library()

# An id no URL prefix holds: where it lands in the reversed URL is where the id goes.
_MARKER = 918_273_645_546_372_819
_url_parts: dict[tuple, tuple[str, str] | None] = {}
_status_labels: dict[str | None, dict[str, str]] = {}


def url_parts(name: str) -> tuple[str, str] | None:
    """What the URL `name` prints before and after its one integer argument, reversed
    once per process (and script prefix, URLconf, language); None when the route does
    not print its argument as is."""
    key = (name, get_script_prefix(), get_urlconf(), get_language())
    if key not in _url_parts:
        prefix, found, suffix = reverse(name, args=[_MARKER]).rpartition(str(_MARKER))
        _url_parts[key] = (prefix, suffix) if found else None
    return _url_parts[key]


@register.simple_tag
def pk_url(name: str, pk: int) -> str:
    """`{% url name pk %}` for an integer `pk`."""
    parts = url_parts(name)
    if parts is None:  # no shortcut
        return reverse(name, args=[pk])
    return f"{parts[0]}{int(pk)}{parts[1]}"


def status_labels() -> dict[str, str]:
    """Each consultation status's label in the active language, built once per language."""
    language = get_language()
    labels = _status_labels.get(language)
    if labels is None:
        labels = _status_labels[language] = {
            status: str(label) for status, label in ConsultationStatus.choices
        }
    return labels


@register.filter
def status_label(value: str) -> str:
    """`get_status_display()`: the label of a consultation status, or the value itself."""
    return status_labels().get(value, value)


@register.filter(expects_localtime=True)
def list_moment(value: dt.datetime | None) -> str:
    """`|date:"Y-m-d H:i"` (the value already in the active zone, as for `date`)."""
    if not isinstance(value, dt.datetime):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
