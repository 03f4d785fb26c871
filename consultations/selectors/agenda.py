"""What the day's agenda reads: the consultations of a day and the providers it shows.

Laid out on the page by `consultations.agenda_grid`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q

from consultations.models import Consultation, Provider
from consultations.models.consultations import LONGEST_WINDOW, held_by_kairo

# What a block shows: the consultation's window and status, its patient's and type's
# names (`agenda_grid.blocks_html`), read as plain rows (`AgendaConsultation`).
_BLOCK_FIELDS = (
    "id",
    "provider_id",
    "starts_at",
    "ends_at",
    "scheduled_for",
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
    scheduled_for: dt.datetime | None
    status: str
    kairo_status: str
    patient_name: str
    type_name: str

    @property
    def is_immediate(self) -> bool:
        return self.scheduled_for is None

    @property
    def is_held_by_kairo(self) -> bool:
        """As `Consultation.is_held_by_kairo`."""
        return held_by_kairo(self.status, self.kairo_status)


def _day_window(starts: dt.datetime, ends: dt.datetime) -> Q:
    # As ConsultationQuerySet.overlapping, bounded below by LONGEST_WINDOW so the day's
    # rows are read from the `consultation_start` index.
    return Q(starts_at__gte=starts - LONGEST_WINDOW, starts_at__lt=ends, ends_at__gt=starts)


def agenda_day_provider_ids(*, starts: dt.datetime, ends: dt.datetime) -> list[int]:
    """The provider of each consultation whose window overlaps [starts, ends), one entry
    per consultation (so its length is the day's count): one narrow query."""
    return list(
        Consultation.objects.filter(_day_window(starts, ends))
        .order_by()
        .values_list("provider_id", flat=True)
    )


def agenda_consultations(
    *, starts: dt.datetime, ends: dt.datetime, provider_ids: Collection[int] | None = None
) -> list[AgendaConsultation]:
    """Every consultation whose window overlaps [starts, ends), whatever its status (a
    receptionist sees what happened to a slot), by start, with only the fields a block
    shows; of the providers in `provider_ids` when given."""
    queryset = Consultation.objects.filter(_day_window(starts, ends))
    if provider_ids is not None:
        queryset = queryset.filter(provider_id__in=list(provider_ids))
    rows = queryset.order_by("starts_at", "id").values_list(*_BLOCK_FIELDS)
    return [AgendaConsultation(*row) for row in rows]


def agenda_providers(*, including: Collection[int]) -> list[Provider]:
    """The agenda's columns, by name: every active provider, and the providers in
    `including` (an inactive one still has its consultations shown)."""
    return list(
        Provider.objects.filter(Q(is_active=True) | Q(pk__in=list(including)))
        .select_related("professional_type", "specialty")
        .only("id", "name", "is_active", "professional_type__name", "specialty__name")
        .order_by("name", "pk")
    )
