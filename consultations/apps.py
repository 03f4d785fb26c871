from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Telemedicine consultations")


class ClinicAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the clinic's admin site as `admin.site` (named in
    INSTALLED_APPS in its place)."""

    default = False  # consultations' own config stays the app's default
    default_site = "consultations.admin_site.ClinicAdminSite"
