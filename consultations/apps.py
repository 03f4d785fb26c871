from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Telemedicine consultations")

    def ready(self) -> None:
        from consultations.checks import production_checks_register

        # Always for `check --deploy`; with debug off also for every command that runs
        # checks (runserver, migrate, task_worker...), so a wrong production refuses to
        # start. The test suite and `make run` run with debug on: untouched.
        production_checks_register(debug=settings.DEBUG)

        from consultations import signals  # noqa: F401  (connects the receivers)


class ClinicAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the clinic's admin site as `admin.site` (named in
    INSTALLED_APPS in its place)."""

    default = False  # consultations' own config stays the app's default
    default_site = "consultations.admin_site.ClinicAdminSite"
