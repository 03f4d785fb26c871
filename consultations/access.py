"""Who may do what: staff groups and their permissions, stated once for the migration
and for tests, and the signed-in request the desk's views receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps as global_apps
from django.db.models import Q
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

RECEPTION = "Recepción"
CLINIC_ADMIN = "Administración clínica"

CATALOG_MODELS = ("professionaltype", "medicalspecialty", "consultationtype", "duration")

# Permissions are codenames of this app's models, or "app_label.codename" for another
# app's.

# Reception: book, view, resend; keep patients' details right; see the directory.
RECEPTION_PERMISSIONS: tuple[str, ...] = (
    "book_consultation",
    "resend_consultation",
    "view_consultation",
    "change_consultation",
    "view_patient",
    "add_patient",
    "change_patient",
    "view_provider",
    "view_delivery",
    *(f"view_{model}" for model in CATALOG_MODELS),
)

# django-axes: a lock-out is an access attempt row; a clinic admin lifts it by deleting
# that row in the admin ("Axes" > "Access attempts").
AXES_PERMISSIONS: tuple[str, ...] = ("axes.view_accessattempt", "axes.delete_accessattempt")

# Clinic admins: all of reception, plus the catalogs and the directory (and the admin
# site, through is_staff on their account), lifting lock-outs, Kairo's webhook
# deliveries and the audit trail (read-only).
CLINIC_ADMIN_PERMISSIONS: tuple[str, ...] = (
    *RECEPTION_PERMISSIONS,
    "view_webhookdelivery",
    "view_auditentry",
    # Ley 1581: export a patient's data, record a withdrawal, anonymize.
    "manage_patient_data",
    *(
        f"{action}_{model}"
        for model in (*CATALOG_MODELS, "provider", "patient")
        for action in ("view", "add", "change", "delete")
    ),
    *AXES_PERMISSIONS,
)

GROUPS = {RECEPTION: RECEPTION_PERMISSIONS, CLINIC_ADMIN: CLINIC_ADMIN_PERMISSIONS}


def staff_groups_ensure(*, apps=global_apps) -> None:
    """Create or update both groups with exactly their permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    # On a fresh database permissions only appear after migrate; create them now.
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in GROUPS.items():
        wanted = Q(pk__in=[])
        for permission in set(permissions):
            app_label, _dot, codename = permission.rpartition(".")
            wanted |= Q(content_type__app_label=app_label or "consultations", codename=codename)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(wanted))


class AuthenticatedHttpRequest(HttpRequest):
    """A request that reached a desk view: `LoginRequiredMiddleware` has let only a
    signed-in account through (views marked `login_not_required` take a plain
    `HttpRequest`). For the type checker only; Django builds the request as usual."""

    user: User
