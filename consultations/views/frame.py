"""HTTP views. They parse input, call forms and services, and render; no business rules."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from consultations.selectors.catalogs import catalog_summary


def home(request: HttpRequest) -> HttpResponse:
    """The site's root: the agenda, where staff work (and land after login)."""
    return redirect("agenda")


@require_GET
def catalogs(request: HttpRequest) -> HttpResponse:
    """The catalogs' state: rows, active and unconfirmed ones; admins follow to the admin."""
    return render(request, "consultations/catalogs.html", {"catalogs": catalog_summary()})


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
