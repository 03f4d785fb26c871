"""The live status of consultations on screen (the agenda and the list poll it)."""

from __future__ import annotations

from collections.abc import Collection

from consultations.models import Consultation


def consultation_statuses(*, ids: Collection[int]) -> list[Consultation]:
    """Those of `ids` that exist, by id, with only the fields their status needs. One
    query."""
    return list(
        Consultation.objects.filter(pk__in=ids)
        .only("pk", "status", "kairo_status", "ends_at")
        .order_by("pk")
    )
