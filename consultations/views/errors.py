"""The server-error page (`handler500`): a lost database connection is a 503 that says
so, built without the database; anything else is Django's 500 (templates/500.html)."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from consultations.database import connection_lost


def server_error(request: HttpRequest) -> HttpResponse:
    """Called by Django's handler for any exception a view or middleware let through
    (the exception is the one being handled)."""
    exc = sys.exc_info()[1]
    if exc is None or not connection_lost(exc):
        return defaults.server_error(request)
    session = getattr(request, "session", None)
    if session is not None:
        # Saving it on the way out would fail again; its last-activity stamp can wait.
        session.modified = False
    # In the language already active: the account's, or before that could be read, the
    # login page's (StaffLanguageMiddleware).
    page = render_to_string("503.html", {"after_submission": request.method == "POST"})
    return HttpResponse(page, status=503)
