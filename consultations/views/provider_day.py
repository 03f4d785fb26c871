"""The provider's day on the booking page, as an HTML fragment the page's script shows.

Anything malformed in the query string is a 400 with a short reason, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consultations.clock import organization_today
from consultations.kairo import contract
from consultations.models import Duration, Patient, Provider
from consultations.selectors.provider_day import provider_day


@require_GET
@login_required
@permission_required("consultations.book_consultation", raise_exception=True)
def provider_day_fragment(request: HttpRequest) -> HttpResponse:
    """?provider=<id>&date=YYYY-MM-DD&duration=<minutes>[&patient=<id>]: the provider's
    blocks and free starts that day (date defaults to today, duration to the default)."""
    provider_id = _positive_int(request.GET.get("provider", ""))
    provider = (
        Provider.objects.filter(pk=provider_id, is_active=True).first() if provider_id else None
    )
    if provider is None:
        return HttpResponseBadRequest(_("Unknown or inactive provider."))
    day = _day(request.GET.get("date", ""))
    if day is None:
        return HttpResponseBadRequest(_("Not a valid date."))
    duration = _positive_int(request.GET.get("duration", "") or str(contract.DEFAULT_DURATION))
    if duration is None or not Duration.objects.active().filter(minutes=duration).exists():
        return HttpResponseBadRequest(_("Not an offered duration."))
    patient_id = _positive_int(request.GET.get("patient", ""))
    # An unknown patient is no reason to refuse: the provider's day is still worth showing.
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    return render(
        request,
        "consultations/partials/provider_day.html",
        {
            "provider_day": provider_day(
                provider=provider, day=day, duration_minutes=duration, patient=patient
            ),
            "patient": patient,
        },
    )


def _positive_int(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _day(value: str) -> dt.date | None:
    if not value:
        return organization_today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    # The day's bounds reach into the next day and the one before.
    if not dt.date.min + dt.timedelta(days=2) < day < dt.date.max - dt.timedelta(days=2):
        return None
    return day
