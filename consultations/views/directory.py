"""The directory pages: patients and providers, listed, searched, created and corrected.

Saving goes through `services.patient_save` / `services.provider_save`, the same rules the
booking form and the admin use; what they refuse comes back as form errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consultations import services
from consultations.access import AuthenticatedHttpRequest
from consultations.forms.directory import PatientForm, ProviderDeskForm
from consultations.forms.errors import service_errors_add
from consultations.forms.filters import SearchForm
from consultations.forms.patient_on_file import PatientOnFileForm
from consultations.models import Patient, PatientChange, Provider
from consultations.selectors.consultations import PROVIDER_ROW_FIELDS
from consultations.selectors.directory import (
    patient_changes,
    patient_history,
    patient_search,
    provider_search,
    provider_upcoming,
)
from consultations.selectors.paging import page_fetch, page_number_parse
from consultations.views import audit

DirectoryRecord = TypeVar("DirectoryRecord", Patient, Provider)

# --- Patients -----------------------------------------------------------------------------


@require_GET
@permission_required("consultations.view_patient", raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, patient_search, "consultations/patients/list.html")


@require_http_methods(["GET", "POST"])
@permission_required("consultations.add_patient", raise_exception=True)
def patient_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _patient_form_page(request, Patient())


@require_GET
@permission_required("consultations.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A patient's details, the changes recorded to them, and their consultation
    history, latest first."""
    patient = get_object_or_404(Patient, pk=pk)
    history = page_fetch(
        patient_history(patient=patient), number=page_number_parse(request.GET.get("page"))
    )
    audit.record_viewed(request, patient, page="detail")
    return render(
        request,
        "consultations/patients/detail.html",
        {"patient": patient, "page": history, "changes": patient_changes(patient=patient)},
    )


@require_http_methods(["GET", "POST"])
@permission_required("consultations.change_patient", raise_exception=True)
def patient_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    if request.method == "GET":
        audit.record_viewed(request, patient, page="edit")  # the form shows every field
    return _patient_form_page(request, patient)


def _patient_form_page(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    return _form_page(
        request,
        PatientForm,
        patient,
        save=lambda form: services.patient_save(
            patient=form.save(commit=False),
            actor=request.user,
            source=PatientChange.Source.PATIENT_PAGE,
            authorization_given=form.cleaned_data["authorization"],
            name_change_confirmed=form.cleaned_data["name_change_confirmed"],
        ),
        saved_message=_("Patient saved."),
    )


@require_POST
@permission_required("consultations.view_patient", raise_exception=True)
def patient_on_file(request: HttpRequest) -> HttpResponse:
    """The booking form's "patient on file" block for the patient fields as typed so far
    (booking.js asks while the receptionist types). A POST, so that the document number
    stays out of URLs and access logs; an unknown document gives the empty block."""
    form = PatientOnFileForm(request.POST)
    return render(
        request,
        "consultations/partials/patient_on_file.html",
        {"on_file": form.on_file(), "confirmed": form.cleaned_data.get("name_change_confirmed")},
    )


# --- Providers ----------------------------------------------------------------------------


@require_GET
@permission_required("consultations.view_provider", raise_exception=True)
def provider_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, provider_search, "consultations/providers/list.html")


@require_http_methods(["GET", "POST"])
@permission_required("consultations.add_provider", raise_exception=True)
def provider_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _provider_form_page(request, Provider())


@require_GET
@permission_required("consultations.view_provider", raise_exception=True)
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A provider's details and their consultations still to come (or under way)."""
    provider = get_object_or_404(
        Provider.objects.select_related("professional_type", "specialty"), pk=pk
    )
    upcoming = page_fetch(
        provider_upcoming(provider=provider, now=timezone.now()).only(*PROVIDER_ROW_FIELDS),
        number=page_number_parse(request.GET.get("page")),
        join_after_limit=True,
    )
    return render(
        request, "consultations/providers/detail.html", {"provider": provider, "page": upcoming}
    )


@require_http_methods(["GET", "POST"])
@permission_required("consultations.change_provider", raise_exception=True)
def provider_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _provider_form_page(request, get_object_or_404(Provider, pk=pk))


def _provider_form_page(request: AuthenticatedHttpRequest, provider: Provider) -> HttpResponse:
    return _form_page(
        request,
        ProviderDeskForm,
        provider,
        save=lambda form: services.provider_save(
            provider=form.save(commit=False), actor=request.user
        ),
        saved_message=_("Provider saved."),
    )


# --- Saving -------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form_class: type[ModelForm],
    record: DirectoryRecord,
    *,
    save: Callable[[ModelForm], DirectoryRecord],
    saved_message: str,
) -> HttpResponse:
    """Create or edit a patient or a provider: the form, then the record's page once the
    service has saved it (what the service refuses comes back on the form)."""
    # "patient" or "provider" (the model's _meta.model_name): URL names and templates.
    name = type(record).__name__.lower()
    created = record.pk is None
    form = form_class(request.POST if request.method == "POST" else None, instance=record)
    if form.is_bound and form.is_valid():
        saved = _save_or_report(form, lambda: save(form))
        if saved is not None:
            audit.record_saved(request, saved, created=created, form=form)
            messages.success(request, saved_message)
            return redirect(f"{name}_detail", pk=saved.pk)
    context = {"form": form, name: None if record.pk is None else record}
    return render(request, f"consultations/{name}s/form.html", context)


def _save_or_report(form: ModelForm, save: Callable[[], DirectoryRecord]) -> DirectoryRecord | None:
    """Run a directory service; put what it refuses on the form instead of raising (a
    duplicate document another desk saved meanwhile included: the service reports it)."""
    try:
        return save()
    except ValidationError as exc:
        service_errors_add(form, exc)
    return None


# --- Listing ------------------------------------------------------------------------------


def _list_page(request: HttpRequest, search: Callable, template: str) -> HttpResponse:
    """A directory list: the search form, and a page of matches once it is valid."""
    form = SearchForm(request.GET)
    page = None
    if form.is_valid():
        page = page_fetch(
            search(
                name_fragment=form.cleaned_data["name_fragment"],
                document_number=form.cleaned_data["document_number"],
            ),
            number=page_number_parse(request.GET.get("page")),
        )
    return render(request, template, {"form": form, "page": page})
