"""Which records use a catalog row (rows against rows).

The foreign keys to catalog rows are PROTECT: a row in use is deactivated, never deleted.
"""

from __future__ import annotations

from django.db.models import PROTECT, RESTRICT, Model


def catalog_row_usage(row: Model) -> dict[type[Model], int]:
    """How many records of each model point at `row` through a protecting foreign key,
    e.g. {Provider: 3}. Empty when nothing uses the row."""
    usage: dict[type[Model], int] = {}
    for relation in row._meta.related_objects:
        if relation.on_delete not in (PROTECT, RESTRICT):
            continue
        related = relation.field.model  # the model holding the foreign key
        count = related._base_manager.filter(**{relation.field.name: row}).count()
        if count:
            usage[related] = usage.get(related, 0) + count
    return usage
