"""The day's agenda: a column per provider, a block per consultation."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consultations.agenda_grid import agenda_day
from consultations.clock import organization_today
from consultations.forms.filters import FIRST_DAY, LAST_DAY, AgendaColumnsForm, AgendaDayForm
from consultations.models import ConsultationStatus


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def agenda(request: HttpRequest) -> HttpResponse:
    """One day (today where the clinic is, or ?date=YYYY-MM-DD), a column per provider.

    A date that cannot be read is reported on the date picker and today is shown.
    ?providers=busy shows only the providers with a consultation that day; ?page=N the
    Nth page of columns (`agenda_grid.COLUMNS_PER_PAGE` providers a page).
    """
    busy_only, page = AgendaColumnsForm(request.GET).choice()
    form = AgendaDayForm(request.GET)
    day = organization_today()
    if form.is_valid():
        day = form.cleaned_data["date"] or day
        form = AgendaDayForm(initial={"date": day})
    context = {
        "agenda": agenda_day(
            day=day, first_day=FIRST_DAY, last_day=LAST_DAY, busy_only=busy_only, page=page
        ),
        "columns_form": AgendaColumnsForm(initial={"providers": "busy" if busy_only else ""}),
        "form": form,
        "statuses": ConsultationStatus.choices,
    }
    return render(request, "consultations/agenda.html", context)
