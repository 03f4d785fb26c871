"""The site's root and its health check for a load balancer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.log import log_response
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from consultations.selectors.health import health_report


def home(request: HttpRequest) -> HttpResponse:
    """The site's root: the agenda, where staff work (and land after login)."""
    return redirect("agenda")


@login_not_required
@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For a load balancer and a monitor: 200 with the database up, 503 when it is down.
    Public; counts and modes only, nothing secret or personal (selectors.health)."""
    report = health_report()
    response = JsonResponse(report, status=200 if report["database"] == "ok" else 503)
    if response.status_code == 503:
        # Polled every few seconds: one WARNING line per poll, not an ERROR (Django's
        # default for a 5xx) while the database is down.
        log_response(
            "Health check: database unreachable: %s",
            request.path,
            response=response,
            request=request,
            level="warning",
        )
    return response
