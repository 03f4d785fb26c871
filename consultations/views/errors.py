"""The server error page, as Django's own but with the training banner: rendered with no
request context (the database may be what failed, and context processors query it),
so the one setting the page needs is passed by hand."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    page = loader.get_template("500.html").render({"TRAINING_MODE": settings.KAIRO_TRAINING_MODE})
    return HttpResponseServerError(page)
