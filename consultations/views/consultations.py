"""The consultations list and its CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consultations.clock import organization_zone
from consultations.exports import CSV_DELIMITERS, consultation_export_rows, csv_stream
from consultations.forms.filters import ConsultationFilterForm, ExportFormatForm
from consultations.selectors.consultations import LIST_ROW_FIELDS, consultation_filtered
from consultations.selectors.directory import patient_name
from consultations.selectors.paging import page_fetch, page_number_parse
from consultations.views import audit


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_list(request: HttpRequest) -> HttpResponse:
    """Consultations, filtered, latest first, a page at a time (the table is never counted)."""
    form = ConsultationFilterForm(request.GET)
    page = None
    filtered_patient = None
    if form.is_valid():
        page = page_fetch(
            consultation_filtered(**_filters(form.cleaned_data)).only(*LIST_ROW_FIELDS),
            number=page_number_parse(request.GET.get("page")),
        )
        if form.cleaned_data["patient"] is not None:
            filtered_patient = patient_name(form.cleaned_data["patient"])
    context = {"form": form, "page": page, "filtered_patient": filtered_patient}
    return render(request, "consultations/consultation_list.html", context)


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered list as CSV, streamed: `?format=excel` separated by semicolons (Excel
    with Colombian settings), otherwise by commas. Bad filters go back to the list, which
    says why; an unknown format goes back with a message."""
    form = ConsultationFilterForm(request.GET)
    if not form.is_valid():
        return redirect(f"{reverse('consultation_list')}?{request.GET.urlencode()}")
    export_format = ExportFormatForm(request.GET)
    if not export_format.is_valid():
        query = request.GET.copy()
        query.pop("format", None)
        messages.warning(
            request, _("That export format is not offered; choose Excel (Colombia) or CSV.")
        )
        return redirect(f"{reverse('consultation_list')}?{query.urlencode()}")
    filters = _filters(form.cleaned_data)
    exported = consultation_filtered(**filters)
    # Written before a row leaves: the count is of the rows about to stream.
    audit.consultations_exported(
        request,
        rows=exported.count(),
        export_format=export_format.cleaned_data["format"],
        filters=filters,
    )
    rows = consultation_export_rows(exported)
    stamp = timezone.now().astimezone(organization_zone()).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_stream(
            rows,
            language=translation.get_language(),
            delimiter=CSV_DELIMITERS[export_format.cleaned_data["format"]],
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="consultations-{stamp}.csv"'
    return response


def _filters(cleaned: dict) -> dict:
    return {
        "name_fragment": cleaned["name_fragment"],
        "document_number": cleaned["document_number"],
        "provider_id": cleaned["provider"],
        "consultation_type_id": cleaned["consultation_type"],
        "status": cleaned["status"],
        "date_from": cleaned["date_from"],
        "date_to": cleaned["date_to"],
        "patient_id": cleaned["patient"],
    }
