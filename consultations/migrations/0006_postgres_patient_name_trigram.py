"""PostgreSQL: a trigram index for patient search by name fragment.

Django's `name__icontains` compiles to `UPPER("name"::text) LIKE UPPER(%s)` on
PostgreSQL, so the index is on exactly that expression (pg_trgm, GIN). SQLite has no
trigram indexes; the search works there unindexed.
"""

from django.db import migrations

INDEX = "patient_name_upper_trgm"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON consultations_patient "
        f'USING gin ((UPPER("name"::text)) gin_trgm_ops)'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("consultations", "0005_booking_desk_fields")]
    operations = [migrations.RunPython(add_index, drop_index)]
