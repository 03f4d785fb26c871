"""Who may do what: the staff groups and the permissions the migrations give them."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib.auth.models import Group

# --- Lock-outs (django-axes) ----------------------------------------------------------------


def test_the_migration_gives_clinic_admins_the_lock_out_permissions(db):
    migration = importlib.import_module("consultations.migrations.0014_staff_groups_axes")
    Group.objects.all().delete()

    migration.update_groups(apps, None)

    granted = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in Group.objects.get(name="Administración clínica").permissions.all()
    }
    assert {"axes.view_accessattempt", "axes.delete_accessattempt"} <= granted
    reception = Group.objects.get(name="Recepción").permissions
    assert not reception.filter(content_type__app_label="axes").exists()
