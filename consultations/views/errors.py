"""The server-error page (`handler500`): a lost database connection is a 503 that says
so; anything else is the 500 page (templates/500.html). Both are built without the
request context (the database may be what failed, and context processors query it), so
the one setting they need, the training banner's, is passed by hand. The 503 is logged
as one WARNING line, without the traceback a 500 gets."""

from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.log import log_response
from django.views.decorators.csrf import requires_csrf_token

from consultations.database import connection_lost
from consultations.views.booking_send import NOT_SENT, booking_not_started, database_down_page


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Called by Django's handler for any exception a view or middleware let through
    (the exception is the one being handled)."""
    context = {"TRAINING_MODE": settings.KAIRO_TRAINING_MODE}
    exc = sys.exc_info()[1]
    if exc is None or not connection_lost(exc):
        return HttpResponse(render_to_string("500.html", context), status=500)
    session = getattr(request, "session", None)
    if session is not None:
        # Saving it on the way out would fail again; its last-activity stamp can wait.
        session.modified = False
    # In the language already active: the account's, or before that could be read, the
    # login page's (StaffLanguageMiddleware).
    context["after_submission"] = request.method == "POST"
    if booking_not_started(request):
        # The booking form's POST failed before the booking began: nothing was sent.
        response = database_down_page(request, outcome=NOT_SENT)
    else:
        response = HttpResponse(render_to_string("503.html", context), status=503)
    # Every request fails the same way while the database is down: one WARNING line each,
    # no traceback (a drill's 90 s outage was otherwise 11,000 lines of them). Marked
    # logged, Django's own ERROR with the traceback is not written; a real 500 still is.
    log_response(
        "Service Unavailable (database connection lost, %s): %s",
        type(exc).__name__,
        request.path,
        response=response,
        request=request,
        level="warning",
    )
    return response
