"""Accent- and case-insensitive name search: a `name_search` column on patients and providers.

The column holds `name_search_key(name)` (no accents, no case, whitespace collapsed);
the search selectors filter it with `name_search__contains=<key of the fragment>`, which
Django writes as `"name_search"::text LIKE %s` on PostgreSQL. On PostgreSQL the patients'
trigram index therefore moves from `UPPER("name"::text)` (migration 0006, which nothing
queries any more) to the column itself. SQLite has no trigram indexes; the search works
there unindexed.
"""

from django.db import migrations

import consultations.models.directory
from consultations.models.directory import name_search_key

BATCH = 1000
OLD_INDEX = "patient_name_upper_trgm"
INDEX = "patient_name_search_trgm"


def fill_name_search(apps, schema_editor):
    """Write every patient's and provider's search key, in batches of BATCH rows.

    bulk_update does not run the field's pre_save, so the key is computed here; rows
    whose key is already right are left alone (the migration can be re-run).
    """
    for model_name in ("Patient", "Provider"):
        model = apps.get_model("consultations", model_name)
        last_pk = 0
        while True:
            rows = list(
                model.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .only("pk", "name", "name_search")[:BATCH]
            )
            if not rows:
                break
            stale = []
            for row in rows:
                key = name_search_key(row.name or "")
                if row.name_search != key:
                    row.name_search = key
                    stale.append(row)
            model.objects.bulk_update(stale, ["name_search"])
            last_pk = rows[-1].pk


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON consultations_patient "
        f'USING gin ("name_search" gin_trgm_ops)'
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON consultations_patient "
        f'USING gin ((UPPER("name"::text)) gin_trgm_ops)'
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0012_delivery_kind_time_changed"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="name_search",
            field=consultations.models.directory.NameSearchField(
                blank=True, default="", editable=False
            ),
        ),
        migrations.AddField(
            model_name="provider",
            name="name_search",
            field=consultations.models.directory.NameSearchField(
                blank=True, default="", editable=False
            ),
        ),
        migrations.RunPython(fill_name_search, migrations.RunPython.noop),
        migrations.RunPython(add_index, drop_index),
    ]
