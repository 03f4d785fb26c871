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
from collections.abc import Callable, Iterable
from html import escape

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
    return linker(name)(pk)


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


def linker(name: str) -> Callable[[int], str]:
    """`pk -> URL` for the route `name`, its parts looked up once (`url_parts`)."""
    parts = url_parts(name)
    if parts is None:
        return lambda pk: reverse(name, args=[pk])
    before, after = parts
    return lambda pk: f"{before}{int(pk)}{after}"


@register.simple_tag
def directory_rows(consultations: Iterable, party: str) -> SafeString:
    """The rows of a patient's or provider's consultations
    (partials/directory_consultations.html): written here, every value escaped, as the
    template would print them; through the template language each row cost about as
    much as reading it. `party`: "patient" (a provider's page) or "provider"."""
    detail = linker("consultation_detail")
    other = linker("patient_detail" if party == "patient" else "provider_detail")
    labels = status_labels()
    immediate = f' <span class="badge agenda-now-badge">{escape(_("Immediate"))}</span>'
    rows = []
    for consultation in consultations:
        if party == "patient":
            other_id, other_name = consultation.patient_id, consultation.patient.name
        else:
            other_id, other_name = consultation.provider_id, consultation.provider.name
        status = consultation.status
        rows.append(
            f'\n  <tr data-consultation="{consultation.pk}">'
            f'\n    <td class="desk-nowrap"><a href="{detail(consultation.pk)}">'
            f"{list_moment(timezone.localtime(consultation.starts_at))}</a>"
            f"{immediate if consultation.is_immediate else ''}</td>"
            f'\n    <td><a href="{other(other_id)}">{escape(other_name)}</a></td>'
            f"\n    <td>{escape(consultation.consultation_type.name)}</td>"
            f'\n    <td class="text-end">{int(consultation.duration_id)}</td>'
            f'\n    <td><span class="badge desk-status agenda-status-{escape(status)}">'
            f"{escape(labels.get(status, status))}</span></td>"
            "\n  </tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped
