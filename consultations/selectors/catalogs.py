"""Read-only queries the views need, kept out of views and templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from consultations.models import (
    CatalogEntry,
    ConsultationType,
    Duration,
    MedicalSpecialty,
    ProfessionalType,
)


@dataclass(frozen=True)
class CatalogState:
    name: str
    admin_url_name: str
    total: int
    active: int
    unconfirmed: int | None


def catalog_summary() -> list[CatalogState]:
    """Each catalog's row counts: total, active, and unconfirmed starter rows (None for
    durations: all ten come from docs/kairo-connect-api.md "Catalogs", so they have no
    "confirmed" flag)."""
    states = []
    for model in (ProfessionalType, MedicalSpecialty, ConsultationType, Duration):
        confirmable = issubclass(model, CatalogEntry)
        counts = model.objects.aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(is_active=True)),
            **({"unconfirmed": Count("pk", filter=Q(is_confirmed=False))} if confirmable else {}),
        )
        states.append(
            CatalogState(
                name=str(model._meta.verbose_name_plural),
                admin_url_name=f"admin:consultations_{model._meta.model_name}_changelist",
                total=counts["total"],
                active=counts["active"],
                unconfirmed=counts.get("unconfirmed"),
            )
        )
    return states
