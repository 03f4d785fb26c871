"""The consultation page's email deliveries: what the partial shows, their status as
JSON for the result page to follow, and "Resend"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consultations import services
from consultations.access import AuthenticatedHttpRequest
from consultations.models import Consultation, Delivery
from consultations.timeline import delivery_error_text
from consultations.views import audit


def emails_context(consultation: Consultation) -> dict:
    """What templates/consultations/partials/emails.html shows: every delivery, newest
    first, and which Resend buttons to offer: those the service would accept (the
    template and `consultation_resend` check the permission)."""
    deliveries = list(
        consultation.deliveries.select_related("requested_by").order_by("-created_at", "-id")
    )
    for delivery in deliveries:
        delivery.error_text, delivery.error_detail = delivery_error_text(delivery.last_error)
    return {
        "deliveries": deliveries,
        "resend_patient": services.delivery_resend_allowed(
            consultation=consultation, recipient=Delivery.Recipient.PATIENT
        ),
        "resend_provider": services.delivery_resend_allowed(
            consultation=consultation, recipient=Delivery.Recipient.PROVIDER
        ),
    }


# A delivery in these states may still change: the result page keeps asking.
PENDING_STATES = (Delivery.State.QUEUED, Delivery.State.SENDING)


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_emails_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The state of each delivery of consultation `pk`, for the result page to update
    its "Emails" table without a reload (static/js/emails.js). Only what the table's
    State, Attempts and Details cells show: never an address, a link or a PIN (the
    last error is safe text by construction, see `safe_error`)."""
    consultation = get_object_or_404(Consultation, pk=pk)
    deliveries = [
        {
            "id": delivery.pk,
            "state": delivery.state,
            "state_label": delivery.get_state_display(),
            "attempts": delivery.attempts,
            "detail": _delivery_detail(delivery),
            "error": _error_text(delivery),
        }
        for delivery in consultation.deliveries.order_by("-created_at", "-id")
    ]
    return JsonResponse(
        {
            "pending": any(row["state"] in PENDING_STATES for row in deliveries),
            "deliveries": deliveries,
        }
    )


def _delivery_detail(delivery: Delivery) -> str:
    """The Details cell's first line, as templates/consultations/partials/emails.html
    words it (in the current time zone, as the template renders it)."""
    if delivery.sent_at:
        return f"{_('sent')} {date_filter(timezone.localtime(delivery.sent_at), 'Y-m-d H:i')}"
    if delivery.state == Delivery.State.QUEUED and delivery.next_attempt_at:
        when = timezone.localtime(delivery.next_attempt_at)
        return f"{_('next attempt')} {date_filter(when, 'Y-m-d H:i')}"
    return ""


def _error_text(delivery: Delivery) -> str:
    """The Details cell's error line, worded for staff as the partial shows it."""
    if not delivery.last_error or delivery.state == Delivery.State.SENT:
        return ""
    text, detail = delivery_error_text(delivery.last_error)
    return f"{text} ({detail})" if detail else text


@require_POST
@permission_required("consultations.resend_consultation", raise_exception=True)
def consultation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Resend": a new email with the join link to the patient (or the provider), sent
    in the background to the address on file now."""
    consultation = get_object_or_404(Consultation, pk=pk)
    back = "consultation_result" if request.POST.get("next") == "result" else "consultation_detail"
    recipient = request.POST.get("recipient", Delivery.Recipient.PATIENT)
    if recipient not in Delivery.Recipient.values:
        messages.error(request, _("Choose whom to send the email to."))
        return redirect(back, pk=pk)
    try:
        services.delivery_resend(consultation=consultation, recipient=recipient, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        audit.consultation_act(request, audit.Action.RESENT, consultation, recipient=recipient)
        if recipient == Delivery.Recipient.PATIENT:
            text = _("A new email with the link is on its way to the patient.")
        else:
            text = _("A new email with the link is on its way to the provider.")
        messages.success(request, text)
    return redirect(back, pk=pk)
