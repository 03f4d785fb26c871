"""Clinic admins may lift a django-axes lock-out: view and delete access attempts."""

from django.db import migrations

from consultations.access import staff_groups_ensure


def update_groups(apps, schema_editor):
    staff_groups_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0013_name_search"),
        # The access attempt's permissions must exist before the group is given them.
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(update_groups, migrations.RunPython.noop)]
