"""Pieces of clinic/settings.py that read no environment: the parsers its values go
through and the fixed structures it names (the logging setup, the Content-Security-
Policy). Every variable is still read in clinic/settings.py, where
docs/configuration.md's table is checked against it."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def clock_time(name: str, text: str) -> dt.time:
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", text.strip())
    if match is None:
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a time of day as HH:MM (for example 06:00 or 20:00)."
        )
    return dt.time(int(match[1]), int(match[2]))


def moment_or_day_end(name: str, text: str, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """An ISO 8601 date and time (in `zone` when it names none), or a date meaning the
    end of that day; None for an empty value."""
    text = text.strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = dt.datetime.combine(
                dt.date.fromisoformat(text) + dt.timedelta(days=1), dt.time()
            )
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an ISO 8601 date or date and time, "
            "e.g. 2030-01-31 or 2030-01-31T18:00-05:00."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


# Content-Security-Policy (django-csp 4): only the app's own files, no inline script or
# style (style attributes included), no plugins, no framing. No form-action: the join
# page's Join button posts here and is redirected to Kairo's room, which browsers would
# check against it.
CONTENT_SECURITY_POLICY_SELF_ONLY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


def logging_config(*, app_level: str) -> dict[str, Any]:
    """Every handler drops the join page's tokens and every query string (searches carry
    document numbers) from what it writes (consultations/log_redaction.py). Django's own
    "django" and "django.server" loggers are routed through them too, instead of
    Django's default handlers."""
    filters = ["redact", "no_query"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "consultations.log_redaction.RedactJoinTokens"},
            "no_query": {"()": "consultations.log_redaction.DropQueryStrings"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "django.server": {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": filters},
            "django.server": {
                "class": "logging.StreamHandler",
                "formatter": "django.server",
                "filters": filters,
            },
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "consultations": {"level": app_level},
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        },
    }


MIDDLEWARE_ORDER = [
    # First: a NUL byte in a cookie is refused before the session lookup meets it
    # (PostgreSQL cannot hold one in text).
    "consultations.middleware.RefuseNulCookiesMiddleware",
    # A form POST in another charset than UTF-8 is refused before anything reads it.
    "consultations.middleware.RefuseNonUtf8FormsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (django-csp), on every response.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Patient data and PINs never stay in a browser's or proxy's cache.
    "consultations.middleware.NoStoreMiddleware",
    # After LocaleMiddleware and AuthenticationMiddleware: the account's saved language.
    "consultations.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the language and messages: ends a session idle or older than allowed, saying
    # why in the account's language.
    "consultations.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]


def templates_config(directory: Path) -> list[dict[str, Any]]:
    """Django templates from `directory` and the apps, with the desk's context processors."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [directory],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "django.template.context_processors.i18n",
                    "consultations.context_processors.organization",
                    "consultations.context_processors.training",
                    "consultations.context_processors.attention",
                ],
            },
        },
    ]
