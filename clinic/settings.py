"""Settings for the clinic booking desk, read from the environment (django-environ).

Every variable is listed with its default and meaning in docs/configuration.md.
The defaults are the zero-setup ones: debug on, SQLite file in the project, console
email, the built-in Kairo Connect sandbox. With `DJANGO_DEBUG=0` nothing secret is
defaulted: a missing secret key or allowed hosts stops the process at startup.
"""

from __future__ import annotations

import warnings
import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from clinic.settings_parts import (
    CONTENT_SECURITY_POLICY_SELF_ONLY,
    MIDDLEWARE_ORDER,
    clock_time,
    database_config,
    logging_config,
    moment_or_day_end,
    proxy_ssl_header,
    storages_config,
    templates_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's own `.env` file, if any, overrides nothing already in the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="django-insecure-local-development-only-never-in-production"
    )
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
    )
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
            "(comma-separated host names, e.g. desk.clinica.example)."
        )

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "consultations.apps.ClinicAdminConfig",  # django.contrib.admin, our admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    # Only for its translations (its Spanish validator messages); it has no models.
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "pgtrigger",
    "consultations",
]

MIDDLEWARE = MIDDLEWARE_ORDER

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = templates_config(BASE_DIR / "templates")

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": database_config(
        env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        sqlite_busy_timeout=env.int("SQLITE_BUSY_TIMEOUT", default=20),
        conn_max_age=env.int("DB_CONN_MAX_AGE", default=60),
        prepared_statements=env.bool("DB_PREPARED_STATEMENTS", default=True),
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses logins for a locked-out username + address.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the account's language and permissions in one query
    # each per page (consultations/auth_backend.py).
    "consultations.auth_backend.DeskBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "agenda"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures for one username from one address lock
# that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client's address, for the lock-out and the join page's guess limit alike
# (consultations/client_address.py): REMOTE_ADDR when the app is reached directly (0);
# behind N proxies that each append to X-Forwarded-For, the address the outermost of
# them saw. Never more than the proxies really in front: the rest of the header is the
# client's to forge.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or more.")
AXES_CLIENT_IP_CALLABLE = "consultations.client_address.client_address"
# The username cut to the 255 characters axes' tables hold (a longer one is a failed login).
AXES_USERNAME_CALLABLE = "consultations.login_attempts.login_attempt_username"

# --- Internationalisation and time ----------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

ORGANIZATION_TIME_ZONE = env.str("ORGANIZATION_TIME_ZONE", default="America/Bogota")
try:
    zoneinfo.ZoneInfo(ORGANIZATION_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"ORGANIZATION_TIME_ZONE={ORGANIZATION_TIME_ZONE!r} is not an IANA time zone name "
        "(for example America/Bogota)."
    ) from exc
# Every time on screen is in the organization's zone, the one Kairo Connect uses.
TIME_ZONE = ORGANIZATION_TIME_ZONE

# --- Agenda ---------------------------------------------------------------------------


# The clinic's opening hours, local time: the agenda always shows at least this part of
# each day; a consultation outside them widens the day shown.
AGENDA_DAY_STARTS = clock_time("AGENDA_DAY_STARTS", env.str("AGENDA_DAY_STARTS", default="06:00"))
AGENDA_DAY_ENDS = clock_time("AGENDA_DAY_ENDS", env.str("AGENDA_DAY_ENDS", default="20:00"))
if AGENDA_DAY_STARTS >= AGENDA_DAY_ENDS:
    raise ImproperlyConfigured(
        f"AGENDA_DAY_STARTS ({AGENDA_DAY_STARTS:%H:%M}) must be before "
        f"AGENDA_DAY_ENDS ({AGENDA_DAY_ENDS:%H:%M})."
    )
# How often the agenda and the consultations list ask for the statuses on screen while
# the tab is visible (static/js/live-status.js); 0 turns the live status off.
STATUS_POLL_SECONDS = env.int("STATUS_POLL_SECONDS", default=15)
if STATUS_POLL_SECONDS < 0:
    raise ImproperlyConfigured(f"STATUS_POLL_SECONDS ({STATUS_POLL_SECONDS}) must be 0 or more.")

# --- Booking --------------------------------------------------------------------------
# How far ahead a consultation may be booked, in days (rules.scheduled_horizon_check).
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=365)
if not 1 <= BOOKING_HORIZON_DAYS <= 3650:
    raise ImproperlyConfigured(
        f"BOOKING_HORIZON_DAYS ({BOOKING_HORIZON_DAYS}) must be between 1 and 3650 days."
    )
# When the database connection drops while a booking records Kairo Connect's answer, the
# desk reconnects and records it again (Kairo is never called again): at most this many
# times, waiting 0.25 s, 0.5 s, 1 s... in between, the waits BOOKING_DB_RETRY_SECONDS in
# all at most (consultations/database.py; docs/operations.md "When the database blinks").
BOOKING_DB_RETRY_ATTEMPTS = env.int("BOOKING_DB_RETRY_ATTEMPTS", default=5)
BOOKING_DB_RETRY_SECONDS = env.float("BOOKING_DB_RETRY_SECONDS", default=8.0)
if BOOKING_DB_RETRY_ATTEMPTS < 0 or BOOKING_DB_RETRY_SECONDS < 0:
    raise ImproperlyConfigured(
        "BOOKING_DB_RETRY_ATTEMPTS and BOOKING_DB_RETRY_SECONDS must be 0 or more"
    )
# Where a booking keeps Kairo Connect's answer (its id and requestId only) when the
# database stays down while recording it; `sweep_stuck_bookings` records it from there.
BOOKING_ANSWER_SPOOL_DIR = Path(
    env.str("BOOKING_ANSWER_SPOOL_DIR", default=str(BASE_DIR / "var" / "booking-answers"))
)

# --- Cache ----------------------------------------------------------------------------
# Counts the join page's unknown tokens per client address. The default lives in each
# process's memory; with more than one process (or server) every process must share one
# cache, e.g. CACHE_URL=dbcache://django_cache (after `manage.py createcachetable`) or a
# Redis / Memcached URL (docs/operations.md).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Until `collectstatic` has run (never, on a development machine) the folder is absent.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STORAGES = storages_config(debug=DEBUG)

# Phones (django-phonenumber-field, on Google's phonenumbers): numbers typed without a
# country code are Colombian; stored in E.164 (+573001234567), as Kairo Connect expects.
PHONENUMBER_DEFAULT_REGION = "CO"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clínica <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Seconds an SMTP connection may block; a slow mail server fails the attempt (retried
# later by the delivery task) instead of holding a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The clinic as patients know it: named in messages, the reply-to address (empty = no
# Reply-To) and the phone number patients are told to call.
CLINIC_NAME = env.str("CLINIC_NAME", default="Clínica")
CLINIC_EMAIL = env.str("CLINIC_EMAIL", default="")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="")
# Providers get their own message with the provider link; a clinic that tells its
# providers another way can turn it off.
EMAIL_PROVIDER_MESSAGES = env.bool("EMAIL_PROVIDER_MESSAGES", default=True)
# The emails carry the clinic's own join page (SITE_URL/j/<token>), which says
# "cancelled" or shows the new time when that changes; True emails Kairo's room link
# itself instead, as before the join page existed.
EMAIL_KAIRO_ROOM_LINK = env.bool("EMAIL_KAIRO_ROOM_LINK", default=False)
# The join page's button opens this many minutes before a scheduled start (an immediate
# consultation: at once).
JOIN_OPENS_MINUTES_BEFORE = env.int("JOIN_OPENS_MINUTES_BEFORE", default=15)
if JOIN_OPENS_MINUTES_BEFORE < 0:
    raise ImproperlyConfigured("JOIN_OPENS_MINUTES_BEFORE must be 0 or more minutes")
# Unknown or revoked join-page tokens one client address may try in
# JOIN_GUESS_WINDOW_MINUTES before the page answers 429 (counted in Django's cache,
# which must be shared between processes in production: docs/operations.md).
JOIN_GUESS_LIMIT = env.int("JOIN_GUESS_LIMIT", default=20)
JOIN_GUESS_WINDOW_MINUTES = env.int("JOIN_GUESS_WINDOW_MINUTES", default=10)
if JOIN_GUESS_LIMIT < 1 or JOIN_GUESS_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured("JOIN_GUESS_LIMIT and JOIN_GUESS_WINDOW_MINUTES must be 1 or more")
# Reminders to the patient, in minutes before a scheduled consultation (24 h and 1 h).
REMINDER_OFFSETS_MINUTES = sorted(
    set(env.list("REMINDER_OFFSETS_MINUTES", cast=int, default=[1440, 60])), reverse=True
)
if any(offset <= 0 for offset in REMINDER_OFFSETS_MINUTES):
    raise ImproperlyConfigured("REMINDER_OFFSETS_MINUTES must be positive minutes, e.g. 1440,60")
# Waits between failed send attempts (about 1 min, 5 min, 30 min, 2 h), then "failed".
EMAIL_RETRY_DELAYS_SECONDS = (60, 300, 1800, 7200)

# --- Background tasks (django-tasks, the backport of Django 6's django.tasks) ---------
# "inprocess" (default): run in a background thread of the web process after the
# transaction commits; no extra process, for `make run` and small single-server installs.
# "database": queued in the database (django-tasks-db) and run by `manage.py task_worker`.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="inprocess")
if TASKS_BACKEND not in {"inprocess", "database"}:
    raise ImproperlyConfigured("TASKS_BACKEND must be 'inprocess' or 'database'")
TASKS = {
    "default": {
        "BACKEND": (
            # Claims tasks with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so any
            # number of `task_worker` processes, on any machines, can share the queue.
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "consultations.task_backends.InProcessBackend"
        ),
    }
}

# --- Kairo Connect --------------------------------------------------------------------
# Empty base URL = the built-in sandbox, in process (see consultations/kairo/sandbox/).
KAIRO_BASE_URL = env.str("KAIRO_BASE_URL", default="").rstrip("/")
KAIRO_API_KEY = env.str("KAIRO_API_KEY", default="sandbox-key")
KAIRO_API_SECRET = env.str("KAIRO_API_SECRET", default="sandbox-secret")
KAIRO_WEBHOOK_SECRET = env.str("KAIRO_WEBHOOK_SECRET", default="sandbox-webhook-secret")
# Rotating the webhook secret: the previous one is still accepted until the moment given
# (ISO 8601; without an offset it is the organization's wall time; a date alone means
# until the end of that day). Empty = only KAIRO_WEBHOOK_SECRET.
KAIRO_WEBHOOK_PREVIOUS_SECRET = env.str("KAIRO_WEBHOOK_PREVIOUS_SECRET", default="")
KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL = moment_or_day_end(
    "KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL",
    env.str("KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL", default=""),
    zoneinfo.ZoneInfo(ORGANIZATION_TIME_ZONE),
)
if KAIRO_WEBHOOK_PREVIOUS_SECRET and KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL is None:
    raise ImproperlyConfigured(
        "KAIRO_WEBHOOK_PREVIOUS_SECRET needs KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL: the moment "
        "after which the previous secret is refused."
    )
# Read timeout in seconds for every call; the connect timeout is shorter and separate.
KAIRO_TIMEOUT = env.float("KAIRO_TIMEOUT", default=15.0)
KAIRO_CONNECT_TIMEOUT = env.float("KAIRO_CONNECT_TIMEOUT", default=5.0)
# The most one call to Kairo may take, its retries and the waits between them included:
# a retry that would not fit is not made, and each attempt's timeouts shrink to what is
# left. By default one full attempt; the web server's timeout is derived from it
# (clinic/server.py), so a request waiting on Kairo always answers before it.
KAIRO_REQUEST_BUDGET_SECONDS = env.float(
    "KAIRO_REQUEST_BUDGET_SECONDS", default=KAIRO_CONNECT_TIMEOUT + KAIRO_TIMEOUT
)
if KAIRO_REQUEST_BUDGET_SECONDS <= 0:
    raise ImproperlyConfigured("KAIRO_REQUEST_BUDGET_SECONDS must be a positive number of seconds.")
# `reconcile_consultations` (docs/kairo-connect-api.md "Access": 1000 requests an hour):
# at most this many GET detail calls a run; none once X-RateLimit-Remaining drops below
# the reserve; each consultation asked at most once per interval (an in-progress one
# counts as gone quiet after as long without news).
KAIRO_RECONCILE_MAX_REQUESTS = env.int("KAIRO_RECONCILE_MAX_REQUESTS", default=30)
KAIRO_RECONCILE_RESERVE = env.int("KAIRO_RECONCILE_RESERVE", default=200)
KAIRO_RECONCILE_INTERVAL_MINUTES = env.int("KAIRO_RECONCILE_INTERVAL_MINUTES", default=15)
# An unconfirmed booking without Kairo's id is shown to staff after this long.
KAIRO_UNCONFIRMED_ATTENTION_MINUTES = env.int("KAIRO_UNCONFIRMED_ATTENTION_MINUTES", default=30)
# The credentials the in-process or standalone sandbox accepts.
KAIRO_SANDBOX_API_KEY = env.str("KAIRO_SANDBOX_API_KEY", default="sandbox-key")
KAIRO_SANDBOX_API_SECRET = env.str("KAIRO_SANDBOX_API_SECRET", default="sandbox-secret")
KAIRO_SANDBOX_LATENCY_MS = env.int("KAIRO_SANDBOX_LATENCY_MS", default=0)
# The sandbox organization's profile: its time zone (empty = ORGANIZATION_TIME_ZONE; set
# another to see kairo_check catch a mismatch) and name.
KAIRO_SANDBOX_TIME_ZONE = env.str("KAIRO_SANDBOX_TIME_ZONE", default="")
KAIRO_SANDBOX_ORGANIZATION_NAME = env.str(
    "KAIRO_SANDBOX_ORGANIZATION_NAME", default="Clínica Sandbox"
)
# Requests per hour before the sandbox answers 429 (docs/kairo-connect-api.md "Access": 1000).
KAIRO_SANDBOX_RATE_LIMIT = env.int("KAIRO_SANDBOX_RATE_LIMIT", default=1000)
# Where the in-process sandbox delivers signed webhooks (empty = none), and the secret it
# signs them with (default: KAIRO_WEBHOOK_SECRET, the one this app verifies with).
KAIRO_SANDBOX_WEBHOOK_URL = env.str("KAIRO_SANDBOX_WEBHOOK_URL", default="")
KAIRO_SANDBOX_WEBHOOK_SECRET = env.str("KAIRO_SANDBOX_WEBHOOK_SECRET", default=KAIRO_WEBHOOK_SECRET)
# A file the sandbox keeps its consultations and providers in across restarts (empty =
# memory only; `make run` sets one beside the database).
KAIRO_SANDBOX_STATE_FILE = env.str("KAIRO_SANDBOX_STATE_FILE", default="")
# A training install: the in-process sandbox is allowed with debug off (consultations
# check E001), and every page and email says "TRAINING — not real consultations".
KAIRO_TRAINING_MODE = env.bool("KAIRO_TRAINING_MODE", default=False)

# --- The production web server (gunicorn.conf.py, clinic/server.py) ------------------
# Processes, and threads in each: a thread waiting on Kairo holds no CPU, so threads are
# what lets one slow Kairo answer not queue everyone else.
GUNICORN_BIND = env.str("GUNICORN_BIND", default="127.0.0.1:8000")
GUNICORN_WORKERS = env.int("GUNICORN_WORKERS", default=2)
GUNICORN_THREADS = env.int("GUNICORN_THREADS", default=8)

# --- Security (secure by default when debug is off) -----------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions (stored in the database, Django's default engine): a session unused for
# SESSION_IDLE_MINUTES ends, and any session ends SESSION_MAX_HOURS after its login,
# whatever its use (consultations/middleware.py; the cookie and the stored session expire
# then too). The cookie itself goes when the browser closes.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.float("SESSION_MAX_HOURS", default=12.0)
if SESSION_IDLE_MINUTES < 1 or SESSION_MAX_HOURS <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES and SESSION_MAX_HOURS must be positive")
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = round(SESSION_MAX_HOURS * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Content-Security-Policy (django-csp): only the app's own files (clinic/settings_parts.py).
CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY_SELF_ONLY
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
    # Behind a TLS-terminating proxy: DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
    _proxy_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = proxy_ssl_header(_proxy_header)

# --- Logging --------------------------------------------------------------------------
# Patient data is sensitive health data: nothing here logs request bodies, and the Kairo
# client logs only endpoint, status, duration, requestId and the remaining rate limit.
# No log line carries a join token or a query string (clinic/settings_parts.py).
LOGGING = logging_config(app_level=env.str("APP_LOG_LEVEL", default="INFO"))

# --- Data protection (Ley 1581 de 2012) ------------------------------------------------
# The version of the clinic's data-processing policy a patient accepts when staff record
# their authorization; change it when the policy changes.
DATA_PROCESSING_POLICY_VERSION = env.str("DATA_PROCESSING_POLICY_VERSION", default="2026-01")
# Patients with no activity for this many days are anonymized by the
# anonymize_inactive_patients command; 0 or empty: never (the default).
_retention_days = env.str("PATIENT_RETENTION_DAYS", default="").strip()
if not (_retention_days or "0").isdigit():
    raise ImproperlyConfigured("PATIENT_RETENTION_DAYS must be a number of days (0 or empty: off)")
PATIENT_RETENTION_DAYS = int(_retention_days or "0")
