"""System checks that refuse a wrong production (docs/operations.md "Guardrails").

"Production" here is debug off (DJANGO_DEBUG=0). Each check is an Error naming the
variable to set, so a misconfigured server does not start:

- with debug off they are registered as ordinary checks (`ConsultationsConfig.ready`), so
  `manage.py check --deploy` and every management command that runs checks refuses:
  runserver, migrate, task_worker, the cron commands;
- the WSGI and ASGI entry points call `production_refusals()` themselves, since a WSGI
  server such as gunicorn runs no system checks.

With debug on (`make run`, the test suite's own processes) none of this runs: the
checks are registered for `check --deploy` only, and return nothing while DEBUG is on.

The messages are for the operator reading a terminal or a service log, in English like
the rest of the startup errors in clinic/settings.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# The email backends that print, file or keep messages instead of sending them: in
# production they would put PINs and join links into a log or a folder.
NON_SENDING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)
# clinic/settings.py's defaults for the Kairo credentials: the sandbox's, public in the
# repository, so never a real organization's (docs/kairo-connect-api.md "Access").
SANDBOX_CREDENTIALS = {
    "KAIRO_API_KEY": "sandbox-key",
    "KAIRO_API_SECRET": "sandbox-secret",
    "KAIRO_WEBHOOK_SECRET": "sandbox-webhook-secret",
}

TAG = "production"

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def local_trial() -> bool:
    """Training mode on this machine only (`make serve`): SITE_URL names a loopback
    address, so no email link can lead a patient anywhere and nobody else reaches it.
    Printed emails and plain http are then a trial's, not a production's."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    return bool(settings.KAIRO_TRAINING_MODE) and host in LOOPBACK_HOSTS


def kairo_sandbox_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E001: debug off, the in-process sandbox, and no training mode."""
    if settings.DEBUG or settings.KAIRO_BASE_URL or settings.KAIRO_TRAINING_MODE:
        return []
    return [
        checks.Error(
            "KAIRO_BASE_URL is empty, so bookings go to the built-in sandbox: no real "
            "consultation is created and patients are emailed links that lead nowhere.",
            hint="Set KAIRO_BASE_URL (with KAIRO_API_KEY, KAIRO_API_SECRET and "
            "KAIRO_WEBHOOK_SECRET) to your Kairo Connect organization, or set "
            "KAIRO_TRAINING_MODE=1 for a training install (every page and email then says "
            "it is training).",
            id="consultations.E001",
        )
    ]


def email_backend_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E002: debug off and an email backend that sends nothing."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in NON_SENDING_EMAIL_BACKENDS:
        return []
    if local_trial():
        return []
    return [
        checks.Error(
            f"The email backend ({settings.EMAIL_BACKEND}) prints, files or keeps the "
            "messages instead of sending them: patients get nothing, and their PINs and "
            "join links end up in a log or a folder.",
            hint="Set EMAIL_URL to your mail server, e.g. "
            "smtp+tls://USER:PASSWORD@smtp.example:587.",
            id="consultations.E002",
        )
    ]


def kairo_credentials_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E003: debug off, a real Kairo base URL, and a credential left at the sandbox's
    default (or empty)."""
    if settings.DEBUG or not settings.KAIRO_BASE_URL:
        return []
    unset = [
        name
        for name, sandbox_value in SANDBOX_CREDENTIALS.items()
        if getattr(settings, name) in {"", sandbox_value}
    ]
    if not unset:
        return []
    return [
        checks.Error(
            f"KAIRO_BASE_URL is set but {', '.join(unset)} "
            f"{'is' if len(unset) == 1 else 'are'} empty or the public sandbox default.",
            hint=f"Set {', '.join(unset)} to your organization's values from Kairo Connect.",
            id="consultations.E003",
        )
    ]


def training_webhook_secret_check(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E005: debug off, a training install on the built-in sandbox that others can reach
    (not a loopback trial), and the webhook secret left at the public default (or empty):
    the receiver would take a webhook anyone signed with it (docs/kairo-connect-api.md
    "Webhooks")."""
    if settings.DEBUG or settings.KAIRO_BASE_URL or not settings.KAIRO_TRAINING_MODE:
        return []
    if local_trial():
        return []
    if settings.KAIRO_WEBHOOK_SECRET not in {"", SANDBOX_CREDENTIALS["KAIRO_WEBHOOK_SECRET"]}:
        return []
    return [
        checks.Error(
            "This training install can be reached from other machines, and "
            "KAIRO_WEBHOOK_SECRET is empty or the public sandbox default: anyone could sign "
            "webhooks that change its consultations.",
            hint="Set KAIRO_WEBHOOK_SECRET to a long random value (the built-in sandbox "
            "signs its webhooks with it).",
            id="consultations.E005",
        )
    ]


def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E004: debug off and a SITE_URL (the links in every email) that is not https."""
    if settings.DEBUG or settings.SITE_URL.lower().startswith("https://"):
        return []
    if local_trial():
        return []
    return [
        checks.Error(
            "SITE_URL is not an https:// address: the join links emailed to patients "
            "would travel unencrypted or point at a development address.",
            hint="Set SITE_URL to the desk's public address, e.g. https://desk.clinic.example.",
            id="consultations.E004",
        )
    ]


PRODUCTION_CHECKS = (
    kairo_sandbox_check,
    email_backend_check,
    kairo_credentials_check,
    training_webhook_secret_check,
    site_url_check,
)


def production_checks_register(*, debug: bool) -> None:
    """Register the checks: with debug off as ordinary checks, which every check run
    includes (`check --deploy` too); with debug on for `check --deploy` only. Never both:
    Django would run a check registered twice twice."""
    for check in PRODUCTION_CHECKS:
        checks.register(check, TAG, deploy=debug)


def production_refusals() -> None:
    """Raise ImproperlyConfigured listing every production check's error; for the WSGI
    and ASGI entry points, which no system check precedes."""
    errors = [
        message
        for check in PRODUCTION_CHECKS
        for message in check()
        if message.level >= checks.ERROR
    ]
    if errors:
        raise ImproperlyConfigured(
            "Refusing to start a misconfigured production (docs/operations.md "
            '"Guardrails"):\n' + "\n".join(f"{m.id}: {m.msg} HINT: {m.hint}" for m in errors)
        )
