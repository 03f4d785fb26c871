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


def database_config(
    database: dict[str, Any],
    *,
    sqlite_busy_timeout: int,
    conn_max_age: int,
    prepared_statements: bool,
) -> dict[str, Any]:
    """`database` (django-environ's reading of DATABASE_URL) with the desk's options for
    its engine."""
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock at BEGIN, and the busy timeout makes
        # a second writer wait for it instead of failing with "database is locked".
        options.update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": sqlite_busy_timeout,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        return database
    database.setdefault("CONN_MAX_AGE", conn_max_age)
    database["CONN_HEALTH_CHECKS"] = True
    # Server-side binding: psycopg sends the parameters apart from the statement and
    # prepares a statement once a connection has run it twice (one-off statements, such
    # as an id list of a new length, stay unprepared), so PostgreSQL parses and plans
    # each page's statements once per connection instead of on every request. Off for a
    # pooler that cannot keep prepared statements (PgBouncer in transaction mode before
    # 1.21, or without max_prepared_statements).
    if prepared_statements:
        options.update({"server_side_binding": True, "prepare_threshold": 2})
    return database


def storages_config(*, debug: bool) -> dict[str, Any]:
    """Uploaded files on disk; static files as they are while debugging, else hashed and
    compressed by WhiteNoise (after `collectstatic`)."""
    static = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if debug
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": static},
    }


def proxy_ssl_header(values: list[str]) -> tuple[str, str]:
    """DJANGO_SECURE_PROXY_SSL_HEADER's 'HEADER,value' as Django's pair."""
    if len(values) != 2:
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER must be 'HEADER,value', "
            "e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    return values[0], values[1]


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
