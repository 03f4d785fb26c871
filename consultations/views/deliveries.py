"""The consultation page's email deliveries: what the partial shows, and "Resend"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultations import services
from consultations.models import Consultation, Delivery
from consultations.timeline import delivery_error_text


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


@require_POST
@permission_required("consultations.resend_consultation", raise_exception=True)
def consultation_resend(request: HttpRequest, pk: int) -> HttpResponse:
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
        if recipient == Delivery.Recipient.PATIENT:
            text = _("A new email with the link is on its way to the patient.")
        else:
            text = _("A new email with the link is on its way to the provider.")
        messages.success(request, text)
    return redirect(back, pk=pk)
