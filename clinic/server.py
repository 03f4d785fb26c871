"""The production web server's settings, derived from the app's (gunicorn.conf.py reads
them), and its access log, which never writes a query string or a join token.

Timeouts (docs/operations.md "Timeouts"): one call to Kairo lasts at most
`KAIRO_REQUEST_BUDGET_SECONDS` plus one connect timeout (`retries.Deadline`), and a
request makes one such call at a time; a booking may then spend `BOOKING_DB_RETRY_SECONDS`
reconnecting to the database; `SERVER_MARGIN_SECONDS` is left for the database and the
page. The server's timeout is that sum, so a receptionist waiting on a slow Kairo
gets the app's own answer ("Kairo did not answer in time") and never a worker timeout.
"""

from __future__ import annotations

import math
import re
from typing import Any

from gunicorn.glogging import Logger

from consultations.log_redaction import redact

# Seconds, beyond the slowest Kairo call, for the rest of a request (database, page).
SERVER_MARGIN_SECONDS = 10

# Method, path (no query string), status, size, duration in ms, and the address the
# request came from (the proxy's, behind one). No `%(r)s` (the request line) and no
# `%(q)s`: a search's query string holds what was typed, document numbers included. No
# `%(f)s` either: the Referer quotes the previous page's query string.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def kairo_worst_case_seconds(settings: Any) -> float:
    """The longest one request can wait on Kairo: the budget, plus a last attempt's
    connect timeout (each attempt's timeouts are cut to what is left of the budget)."""
    return float(settings.KAIRO_REQUEST_BUDGET_SECONDS + settings.KAIRO_CONNECT_TIMEOUT)


def server_timeout_seconds(settings: Any) -> int:
    """gunicorn's `timeout`: above the slowest Kairo-bound request, whole seconds (a
    booking may then wait BOOKING_DB_RETRY_SECONDS more, reconnecting to record the
    answer, or a second click as long for the first's)."""
    slowest = kairo_worst_case_seconds(settings) + settings.BOOKING_DB_RETRY_SECONDS
    return math.ceil(slowest) + SERVER_MARGIN_SECONDS


def gunicorn_options(settings: Any) -> dict[str, Any]:
    """Every gunicorn setting gunicorn.conf.py assigns, from the Django settings."""
    timeout = server_timeout_seconds(settings)
    return {
        "bind": [settings.GUNICORN_BIND],
        "workers": settings.GUNICORN_WORKERS,
        # gthread: Django's views are synchronous and a booking or a refresh spends its
        # time waiting on Kairo's socket, not on the CPU. A thread per request lets a
        # process keep answering others meanwhile; an event loop (gevent) would need the
        # whole stack to be patched, and `sync` would tie up a process per slow call.
        "worker_class": "gthread",
        "threads": settings.GUNICORN_THREADS,
        # With gthread this is the liveness of the process (its main loop reports every
        # second even while threads wait), so it is no cut-off for a slow request by
        # itself; the proxy's read timeout in front must be at least this long
        # (docs/operations.md has the proxy example).
        "timeout": timeout,
        # On a restart, requests in progress get as long as a Kairo-bound one needs.
        "graceful_timeout": timeout,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": "clinic.server.RedactingLogger",
        # No control socket (gunicorn 25+): nothing here uses it, and two instances on
        # one machine would share its default path.
        "control_socket_disable": True,
    }


# Atoms that quote a URL: logged without the query string (and without join tokens).
_URL_ATOMS = ("r", "f", "{referer}i", "{raw_uri}e", "{request_uri}e")
# Atoms that are a query string: never logged.
_QUERY_ATOMS = ("q", "{query_string}e")
_QUERY = re.compile(r"\?[^\s\"]*")


class RedactingLogger(Logger):
    """gunicorn's logger, whose access lines carry no query string and no join token,
    whatever `access_log_format` asks for."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["r"] = "{} {} {}".format(
            environ.get("REQUEST_METHOD", "-"),
            environ.get("PATH_INFO", "-"),
            environ.get("SERVER_PROTOCOL", "-"),
        )
        for key in _QUERY_ATOMS:
            if key in atoms:
                atoms[key] = "-"
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = _QUERY.sub("", atoms[key])
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
