"""The two staff groups, Recepción and Administración clínica, with their permissions."""

from django.db import migrations

from consultations.access import GROUPS, staff_groups_ensure


def create_groups(apps, schema_editor):
    staff_groups_ensure(apps=apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0002_seed_catalogs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
