"""PostgreSQL: the database itself refuses overlapping active consultations.

Exclusion constraints (btree_gist) on provider and on patient over the window
[starts_at, ends_at), for the active statuses. SQLite has no equivalent: there the
booking service checks and inserts inside one IMMEDIATE transaction instead.
"""

from django.db import migrations

ACTIVE = "('sending', 'unconfirmed', 'booked', 'in_progress')"
PARTIES = ("provider", "patient")


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for party in PARTIES:
        schema_editor.execute(
            f"ALTER TABLE consultations_consultation ADD CONSTRAINT consultation_{party}_no_overlap "
            f"EXCLUDE USING gist ({party}_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status IN {ACTIVE})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for party in PARTIES:
        schema_editor.execute(
            f"ALTER TABLE consultations_consultation DROP CONSTRAINT IF EXISTS consultation_{party}_no_overlap"
        )


class Migration(migrations.Migration):
    dependencies = [("consultations", "0003_staff_groups")]
    operations = [migrations.RunPython(add_constraints, drop_constraints)]
