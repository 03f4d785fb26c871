"""Booking a consultation: the form, the result, the detail with refresh, cancel, rebook
(the form sent is `booking_send`'s).

Views parse input, call forms and services, and render. Whatever a user sends ends as a
page, a form error or a 404, never a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consultations import clock, services
from consultations.access import AuthenticatedHttpRequest
from consultations.forms.booking import BookingForm, CancelForm
from consultations.forms.filters import SearchForm
from consultations.kairo.client import KairoError, KairoOutcome
from consultations.kairo_texts import KAIRO_ERROR_TEXTS, UNEXPECTED_ERROR, kairo_error_text
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Patient,
    Provider,
)
from consultations.selectors.booking import (
    booking_outcome,
    consultation_for_page,
    consultation_needs_attention,
    consultation_timeline,
    outcome_in,
)
from consultations.timeline import timeline_lines
from consultations.views import audit
from consultations.views.booking_send import booking_page, booking_send, search_results
from consultations.views.deliveries import emails_context
from consultations.views.join import join_links_context

# What an unknown outcome means, in the receptionist's words (by the recorded code).
UNCONFIRMED_REASONS = {
    **{
        code: KAIRO_ERROR_TEXTS[code]
        for code in ("TIMEOUT", "CONNECTION_LOST", "SERVER_ERROR", "MALFORMED_RESPONSE")
    },
    ConsultationEvent.Kind.STUCK_SWEPT: gettext_lazy(
        "The booking was interrupted before Kairo Connect's answer was recorded."
    ),
}
UNCONFIRMED_REASON_OTHER = KAIRO_ERROR_TEXTS[UNEXPECTED_ERROR]


# --- Booking -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("consultations.book_consultation", raise_exception=True)
def consultation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the form, pre-filled from ?patient=<id>, ?provider=<id> (ids that name
    nobody are ignored) or ?rebook=<consultation id>, with a plain patient search (?q=).
    POST: book."""
    if request.method == "POST":
        return booking_send(request)
    instance: Patient | None = None
    initial: dict = {}
    rebook_of = None
    provider: Provider | None = None
    if "rebook" in request.GET:
        rebook_of = get_object_or_404(
            Consultation.objects.select_related("patient", "provider"),
            pk=_id(request.GET["rebook"]),
        )
        instance = rebook_of.patient
        provider = rebook_of.provider
        initial = {
            "consultation_type": rebook_of.consultation_type_id,
            "duration": rebook_of.duration_id,
        }
    if "patient" in request.GET:
        patient_pk = _query_id(request.GET["patient"])
        if patient_pk is not None:
            instance = Patient.objects.filter(pk=patient_pk).first() or instance
    if "provider" in request.GET:
        provider_pk = _query_id(request.GET["provider"])
        provider = None if provider_pk is None else Provider.objects.filter(pk=provider_pk).first()
    if provider is not None and provider.is_active:
        initial["provider"] = provider.pk
    if instance is not None:  # the form shows the patient's details
        audit.record_viewed(request, instance, page="booking")
    form = BookingForm(instance=instance, initial=initial)
    if provider is not None and not provider.is_active:
        form.note_inactive_provider(provider)
    return booking_page(request, form, rebook_of=rebook_of)


@require_GET
@permission_required("consultations.view_patient", raise_exception=True)
def patient_search(request: HttpRequest) -> JsonResponse:
    """The type-ahead: at most 10 patients as name, masked document and a link that
    pre-fills the booking form. Nothing else leaves: the form is filled server-side."""
    search = SearchForm(request.GET)
    if not search.is_valid():
        codes = [error.code for error in search.errors.as_data().get("q", [])]
        return JsonResponse({"results": [], "error": codes[0] if codes else "invalid"})
    new_url = reverse("consultation_new")
    return JsonResponse(
        {
            "results": [
                {
                    "id": patient.pk,
                    "name": patient.name,
                    "document": patient.masked_document,
                    "url": f"{new_url}?patient={patient.pk}",
                }
                for patient in search_results(search) or []
            ]
        }
    )


# --- After booking ---------------------------------------------------------------------------


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_result(request: HttpRequest, pk: int) -> HttpResponse:
    """What the receptionist sees right after booking: links, PIN, or what went wrong."""
    consultation = get_object_or_404(consultation_for_page(staff=False), pk=pk)
    # The outcome explains only a refusal or an unknown answer (the usual booked one
    # needs no look-up), and the page shows no clinic join links (the detail page does).
    outcome = (
        booking_outcome(consultation=consultation)
        if consultation.status in _EXPLAINED_STATUSES
        else None
    )
    audit.consultation_viewed(request, consultation, page="result")
    return render(
        request,
        "consultations/result.html",
        _page_context(consultation, outcome, join_links=False),
    )


# The statuses whose result page explains the booking's outcome (`_page_context`).
_EXPLAINED_STATUSES = (ConsultationStatus.REJECTED, ConsultationStatus.UNCONFIRMED)


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one consultation, its timeline, and refresh / cancel / rebook."""
    consultation = get_object_or_404(consultation_for_page(), pk=pk)
    events = consultation_timeline(consultation=consultation)
    context = _page_context(consultation, outcome_in(events))
    audit.consultation_viewed(
        request, consultation, page="detail", join_links=context["join_links"]
    )
    return render(
        request,
        "consultations/detail.html",
        {**context, "events": events, "timeline": timeline_lines(events)},
    )


def _page_context(
    consultation: Consultation, outcome: ConsultationEvent | None, *, join_links: bool = True
) -> dict:
    """What the result, detail and cancel pages show; `outcome` is read only for a
    rejected or unconfirmed booking; `join_links` False: without the clinic's join
    links (one query less, for the result page, which does not show them)."""
    status = consultation.status
    context = {
        "consultation": consultation,
        "outcome": outcome,
        "can_cancel": status in services.CANCELLABLE_STATUSES,
        "can_refresh": consultation.kairo_consultation_id is not None,
        "is_unconfirmed": status == ConsultationStatus.UNCONFIRMED,
        "needs_attention": status == ConsultationStatus.UNCONFIRMED
        and consultation_needs_attention(consultation=consultation),
        "is_sending": status == ConsultationStatus.SENDING,
        "is_rejected": status == ConsultationStatus.REJECTED,
        "is_cancelled": status == ConsultationStatus.CANCELLED,
        # What cancelling does, or did (the cancel page and the "cancelled" notice).
        "held_window": _held_window(consultation),
        "provider_messages": settings.EMAIL_PROVIDER_MESSAGES,
        "unconfirmed_code": None,
        "unconfirmed_reason": None,
        "rejection_reason": None,
        **emails_context(consultation),
        **(join_links_context(consultation) if join_links else {}),
    }
    if context["is_rejected"] and outcome is not None:
        context["rejection_reason"] = kairo_error_text(outcome.detail.get("code"))
    if context["is_unconfirmed"] and outcome is not None:
        context["unconfirmed_code"] = code = _unconfirmed_code(outcome)
        context["unconfirmed_reason"] = UNCONFIRMED_REASONS.get(code, UNCONFIRMED_REASON_OTHER)
    return context


def _held_window(consultation: Consultation) -> str:
    """The window Kairo Connect keeps for the consultation once cancelled here."""
    return clock.window_text(starts_at=consultation.starts_at, ends_at=consultation.ends_at)


def _unconfirmed_code(outcome: ConsultationEvent) -> str:
    """Which explanation fits: the recorded error code, a 5xx, or the sweep."""
    if outcome.kind == ConsultationEvent.Kind.STUCK_SWEPT:
        return outcome.kind
    code = outcome.detail.get("code", "")
    if code not in UNCONFIRMED_REASONS and (outcome.detail.get("http_status") or 0) >= 500:
        return "SERVER_ERROR"  # a 5xx that carried its own error code
    return code


@require_POST
@permission_required("consultations.change_consultation", raise_exception=True)
def consultation_refresh(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Refresh from Kairo" / "check again": GET detail when Kairo's id is known."""
    consultation = get_object_or_404(Consultation, pk=pk)
    back = "consultation_result" if request.POST.get("next") == "result" else "consultation_detail"
    if consultation.kairo_consultation_id is None:
        messages.info(
            request,
            _(
                "Kairo Connect's id for this booking is not known, so it cannot be looked up "
                "from here. Give the requestId to Kairo Connect support to find out whether it "
                "was created; if the patient no longer needs it, you can cancel it here."
            ),
        )
        return redirect(back, pk=pk)
    try:
        consultation = services.consultation_refresh(consultation=consultation, actor=request.user)
    except KairoError as error:
        if error.outcome == KairoOutcome.CONFIGURATION:
            text = _(
                "Kairo Connect refused the clinic's credentials or address; ask an administrator "
                "to check the Kairo Connect settings (requestId: %(request_id)s)."
            )
        else:
            text = _(
                "Could not refresh from Kairo Connect: %(message)s (%(code)s, requestId: "
                "%(request_id)s). Nothing was changed here."
            )
        messages.error(
            request,
            text
            % {
                "message": kairo_error_text(error.code),
                "code": error.code,
                "request_id": error.request_id or "—",
            },
        )
    except services.RefreshTimeClash as clash:
        messages.warning(
            request,
            _(
                "Kairo Connect reports a new time for this consultation, %(time)s, but it "
                "overlaps another booking here: %(reasons)s It keeps its time here; agree the "
                "time with Kairo Connect support, or cancel it and book again."
            )
            % {
                "time": clock.format_moment(clash.kairo_scheduled_for),
                "reasons": " ".join(clash.error.messages),
            },
        )
    else:
        audit.consultation_act(request, audit.Action.REFRESHED, consultation)
        messages.success(
            request,
            _("Refreshed from Kairo Connect: %(status)s.")
            % {"status": consultation.get_status_display()},
        )
    return redirect(back, pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required("consultations.change_consultation", raise_exception=True)
def consultation_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what cancelling does, and a reason to give. POST: cancel here (Kairo has no
    cancel), which emails the patient and the provider; the confirmation says so."""
    consultation = get_object_or_404(consultation_for_page(), pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_cancel(
                consultation=consultation,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            # Another desk may have changed it meanwhile: show it as it is now. When it can
            # no longer be cancelled, the page's own notice says why (with its status).
            consultation = get_object_or_404(consultation_for_page(), pk=pk)
            if consultation.status in services.CANCELLABLE_STATUSES:
                form.add_service_errors(error)
        else:
            audit.consultation_act(request, audit.Action.CANCELLED, consultation)
            messages.success(request, _cancelled_text(consultation))
            return redirect("consultation_detail", pk=pk)
    return render(
        request, "consultations/cancel.html", {**_page_context(consultation, None), "form": form}
    )


def _cancelled_text(consultation: Consultation) -> str:
    """The confirmation after cancelling: exactly what happened and what did not."""
    if settings.EMAIL_PROVIDER_MESSAGES:
        told = _(
            "Cancelled here. The patient and the provider are being emailed that it is cancelled."
        )
    else:
        told = _(
            "Cancelled here. The patient is being emailed that it is cancelled; this clinic "
            "does not email providers, so tell the provider yourself."
        )
    held = _(
        "Kairo Connect has no cancel operation: it keeps %(window)s for the cancelled room "
        "until it expires, so %(provider)s and %(patient)s cannot be booked through Kairo "
        "Connect at an overlapping time until then."
    ) % {
        "window": _held_window(consultation),
        "provider": consultation.provider.name,
        "patient": consultation.patient.name,
    }
    return f"{told} {held}"


def _query_id(value: str) -> int | None:
    """A primary key from a query string, or None for anything else (ignored)."""
    try:
        return _id(value)
    except Http404:
        return None


def _id(value: str) -> int:
    """A primary key from a query string; anything else is a 404, not a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number
