"""The site's root and its health check for a load balancer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


def home(request: HttpRequest) -> HttpResponse:
    """The site's root: the agenda, where staff work (and land after login)."""
    return redirect("agenda")


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for a load balancer. Public, says nothing private."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})
