"""What the day's agenda reads: the consultations of a day and the providers it shows.

Laid out on the page by `consultations.agenda_grid`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, Q
from django.db.models.functions import Cast

from consultations.models import Consultation, Provider
from consultations.models.consultations import LONGEST_WINDOW, held_by_kairo

# What a block shows: the consultation's window and status, its patient's and type's
# names (`agenda_grid.blocks_html`), read as plain rows (`AgendaConsultation`). The
# window comes as text (`_moment`).
_BLOCK_FIELDS = (
    "id",
    "provider_id",
    "starts_text",
    "ends_text",
    "immediate",
    "status",
    "kairo_status",
    "patient__name",
    "consultation_type__name",
)


@dataclass(frozen=True, slots=True)
class AgendaConsultation:
    """One consultation as a block of the agenda shows it: a plain row, not a model
    instance (a busy day's page has hundreds, and building model instances with their
    related rows was most of the page's reading time)."""

    pk: int
    provider_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    # Booked to start now, with no scheduled time (`Consultation.scheduled_for` is null):
    # read as a boolean, not as a timestamp the page never shows.
    is_immediate: bool
    status: str
    kairo_status: str
    patient_name: str
    type_name: str

    @property
    def is_held_by_kairo(self) -> bool:
        """As `Consultation.is_held_by_kairo`."""
        return held_by_kairo(self.status, self.kairo_status)


def _day_window(starts: dt.datetime, ends: dt.datetime) -> Q:
    # As ConsultationQuerySet.overlapping, bounded below by LONGEST_WINDOW so the day's
    # rows are read from the `consultation_start` index.
    return Q(starts_at__gte=starts - LONGEST_WINDOW, starts_at__lt=ends, ends_at__gt=starts)


@dataclass(frozen=True)
class DayCounts:
    """How many consultations each provider has on a day (providers with none left
    out), and which of those providers are no longer active."""

    per_provider: dict[int, int]
    inactive: frozenset[int]

    @property
    def total(self) -> int:
        return sum(self.per_provider.values())


def agenda_day_counts(*, starts: dt.datetime, ends: dt.datetime) -> DayCounts:
    """The consultations whose window overlaps [starts, ends), counted per provider: one
    narrow query, a row per provider."""
    rows = (
        Consultation.objects.filter(_day_window(starts, ends))
        .order_by()
        .values("provider_id", "provider__is_active")
        .annotate(count=Count("id"))
        .values_list("provider_id", "provider__is_active", "count")
    )
    per_provider, inactive = {}, set()
    for provider_id, is_active, count in rows:
        per_provider[provider_id] = count
        if not is_active:
            inactive.add(provider_id)
    return DayCounts(per_provider=per_provider, inactive=frozenset(inactive))


def agenda_consultations(
    *, starts: dt.datetime, ends: dt.datetime, provider_ids: Collection[int] | None = None
) -> list[AgendaConsultation]:
    """Every consultation whose window overlaps [starts, ends), whatever its status (a
    receptionist sees what happened to a slot), by start, with only the fields a block
    shows; of the providers in `provider_ids` when given."""
    queryset = Consultation.objects.filter(_day_window(starts, ends))
    if provider_ids is not None:
        queryset = queryset.filter(provider_id__in=list(provider_ids))
    rows = (
        queryset.annotate(
            starts_text=Cast("starts_at", CharField()),
            ends_text=Cast("ends_at", CharField()),
            immediate=ExpressionWrapper(Q(scheduled_for__isnull=True), output_field=BooleanField()),
        )
        .order_by("starts_at", "id")
        .values_list(*_BLOCK_FIELDS)
    )
    return [
        AgendaConsultation(pk, provider, _moment(start), _moment(end), *rest)
        for pk, provider, start, end, *rest in rows
    ]


def _moment(text: str) -> dt.datetime:
    """A window's start or end read as text, aware in UTC as the ORM would give it.

    Django reads a PostgreSQL timestamp through a loader written in Python (it attaches
    the connection's zone), about 4 µs a value, most of the busiest day's reading time
    (two per block, hundreds of blocks); `datetime.fromisoformat`, in C, reads the text
    form PostgreSQL gives in the connection's zone (Django's is UTC) in a fraction of
    that. SQLite stores UTC without an offset."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def agenda_providers(*, including: Collection[int]) -> list[Provider]:
    """The agenda's columns, by name: every active provider, and the providers in
    `including` (inactive ones that still have consultations to show that day)."""
    shown = Q(is_active=True)
    if including:
        shown |= Q(pk__in=list(including))
    return list(
        Provider.objects.filter(shown)
        .select_related("professional_type", "specialty")
        .only("id", "name", "is_active", "professional_type__name", "specialty__name")
        .order_by("name", "pk")
    )
