"""Both staff groups may see email deliveries (the consultation page and the admin)."""

from django.db import migrations

from consultations.access import staff_groups_ensure


def update_groups(apps, schema_editor):
    staff_groups_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0010_deliveries")]
    operations = [migrations.RunPython(update_groups, migrations.RunPython.noop)]
