"""The catalogs page: the state of each catalog, for staff."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consultations.selectors.catalogs import catalog_summary


@require_GET
def catalogs(request: HttpRequest) -> HttpResponse:
    """The catalogs' state: rows, active and unconfirmed ones; admins follow to the admin."""
    return render(request, "consultations/catalogs.html", {"catalogs": catalog_summary()})
