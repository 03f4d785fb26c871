"""What the day's agenda reads: the consultations of a day and the providers it shows.

Laid out on the page by `consultations.agenda_grid`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Q

from consultations.models import Consultation, Provider


def agenda_consultations(*, starts: dt.datetime, ends: dt.datetime) -> list[Consultation]:
    """Every consultation whose window overlaps [starts, ends), whatever its status (a
    receptionist sees what happened to a slot), by start, with its patient and type."""
    return list(
        Consultation.objects.filter(starts_at__lt=ends, ends_at__gt=starts)
        .select_related("patient", "consultation_type")
        .order_by("starts_at", "id")
    )


def agenda_providers(*, including: Collection[int]) -> list[Provider]:
    """The agenda's columns, by name: every active provider, and the providers in
    `including` (an inactive one still has its consultations shown)."""
    return list(
        Provider.objects.filter(Q(is_active=True) | Q(pk__in=including))
        .select_related("professional_type", "specialty")
        .order_by("name", "pk")
    )
