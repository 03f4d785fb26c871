"""A patient's data rights (Ley 1581 de 2012), for clinic admins: download everything
held (JSON, or a zip of CSV files), record a withdrawal of the authorization, anonymize.

Each act is audited by its service; the downloads are never stored by a browser or a
proxy (`Cache-Control: no-store`). The state changes are POSTs (CSRF-checked) after a
page that says what will happen.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consultations import rules, services
from consultations.access import AuthenticatedHttpRequest
from consultations.clock import organization_zone
from consultations.models import Patient

PERMISSION = "consultations.manage_patient_data"


@require_GET
@permission_required(PERMISSION, raise_exception=True)
def patient_data_json(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Everything held about the patient, as one JSON file."""
    patient = get_object_or_404(Patient, pk=pk)
    document = services.patient_data_export(
        patient=patient, actor=request.user, request=request, file_format="json"
    )
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _download(body.encode(), "application/json; charset=utf-8", _filename(pk, "json"))


@require_GET
@permission_required(PERMISSION, raise_exception=True)
def patient_data_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Everything held about the patient, as a zip of one CSV file per section."""
    patient = get_object_or_404(Patient, pk=pk)
    document = services.patient_data_export(
        patient=patient, actor=request.user, request=request, file_format="csv"
    )
    body = services.patient_data_export_zip(document)
    return _download(body, "application/zip", _filename(pk, "zip"))


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION, raise_exception=True)
def patient_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what recording a withdrawal does; POST: record it."""
    patient = get_object_or_404(Patient, pk=pk)
    error = None
    if request.method == "POST":
        try:
            services.patient_authorization_withdraw(
                patient=patient, actor=request.user, request=request
            )
        except ValidationError as exc:
            error = exc
        else:
            messages.success(request, _("The withdrawal of the authorization is recorded."))
            return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "consultations/patients/withdraw.html",
        {"patient": patient, "errors": _messages(error)},
    )


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION, raise_exception=True)
def patient_anonymize(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what anonymizing does, or why it cannot be done yet; POST: anonymize."""
    patient = get_object_or_404(Patient, pk=pk)
    error = None
    if request.method == "POST":
        try:
            services.patient_anonymize(patient=patient, actor=request.user, request=request)
        except ValidationError as exc:
            error = exc
        else:
            messages.success(request, _("The patient is anonymized."))
            return redirect("patient_detail", pk=patient.pk)
    elif not patient.is_anonymized:
        try:
            rules.patient_anonymize_check(patient=patient)
        except ValidationError as exc:
            error = exc
    return render(
        request,
        "consultations/patients/anonymize.html",
        {
            "patient": patient,
            "errors": _messages(error),
            "error_codes": [e.code for e in error.error_list] if error else [],
        },
        status=409 if error is not None and request.method == "POST" else 200,
    )


def _messages(error: ValidationError | None) -> list[str]:
    return [] if error is None else list(error.messages)


def _filename(pk: int, extension: str) -> str:
    stamp = timezone.now().astimezone(organization_zone()).strftime("%Y%m%d-%H%M")
    return f"patient-{pk}-data-{stamp}.{extension}"


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store, private"
    return response
