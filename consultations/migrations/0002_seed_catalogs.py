"""Seed the catalogs with every value the contract names, plus a marked starter set."""

from django.db import migrations

from consultations.catalogs import catalogs_seed


def seed(apps, schema_editor):
    catalogs_seed(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
