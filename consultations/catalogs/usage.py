"""Rules about catalog rows that other records use (rows against rows).

The foreign keys to catalog rows are PROTECT: a row in use is deactivated, never deleted.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import PROTECT, RESTRICT, Model
from django.utils.translation import gettext_lazy as _

from consultations.models import ProfessionalType


def catalog_row_usage(row: Model) -> dict[type[Model], int]:
    """How many records of each model point at `row` through a protecting foreign key,
    e.g. {Provider: 3}. Empty when nothing uses the row."""
    usage: dict[type[Model], int] = {}
    for relation in row._meta.related_objects:
        if relation.on_delete not in (PROTECT, RESTRICT):
            continue
        related = relation.related_model
        count = related._base_manager.filter(**{relation.field.name: row}).count()
        if count:
            usage[related] = usage.get(related, 0) + count
    return usage


def professional_type_specialty_locked(professional_type: ProfessionalType) -> bool:
    """Whether `requires_specialty` can no longer change: providers use the type, and each
    has (or lacks) a specialty to match the current value (a database constraint too)."""
    return professional_type.pk is not None and professional_type.providers.exists()


def professional_type_specialty_check(*, professional_type: ProfessionalType) -> None:
    """Refuse a change of `requires_specialty` on a type that providers use.

    Raises ValidationError(code="requires_specialty_in_use") on the `requires_specialty`
    field: the change would contradict those providers' specialty (or lack of one).
    """
    if professional_type.pk is None:
        return
    stored = (
        ProfessionalType.objects.filter(pk=professional_type.pk)
        .values_list("requires_specialty", flat=True)
        .first()
    )
    if stored == professional_type.requires_specialty:
        return
    if professional_type_specialty_locked(professional_type):
        raise ValidationError(
            {
                "requires_specialty": ValidationError(
                    _(
                        "Providers use this professional type, so whether it requires a "
                        "specialty cannot change."
                    ),
                    code="requires_specialty_in_use",
                )
            }
        )
