"""The "Needs attention" page: what did not apply or did not go out, for staff to settle,
and marking a webhook delivery handled."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consultations import services
from consultations.access import AuthenticatedHttpRequest
from consultations.models import Consultation, WebhookDelivery
from consultations.selectors.attention import (
    attention_counts,
    failed_delivery_rows,
    unconfirmed_rows,
    webhook_delivery_rows,
)
from consultations.timeline import delivery_error_text, unconfirmed_action_text


@dataclass(frozen=True)
class UnconfirmedRow:
    consultation: Consultation
    request_id: str
    action: str


# Rows shown per section; the heading's count says how many there are in all.
SECTION_LIMIT = 100


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def attention(request: HttpRequest) -> HttpResponse:
    """Three lists, each with its count: webhook deliveries that did not apply,
    bookings still unconfirmed, failed emails of consultations still to come."""
    now = timezone.now()
    webhooks = webhook_delivery_rows(limit=SECTION_LIMIT)
    unconfirmed = [
        UnconfirmedRow(
            consultation=consultation,
            request_id=getattr(consultation, "attention_request_id", None) or "",
            action=unconfirmed_action_text(
                kairo_id_known=consultation.kairo_consultation_id is not None
            ),
        )
        for consultation in unconfirmed_rows(limit=SECTION_LIMIT, now=now)
    ]
    emails = failed_delivery_rows(limit=SECTION_LIMIT, now=now)
    for email in emails:
        email.error_text, email.error_detail = delivery_error_text(email.last_error)
    context = {
        "counts": attention_counts(now=now),
        "webhooks": webhooks,
        "unconfirmed": unconfirmed,
        "emails": emails,
        "section_limit": SECTION_LIMIT,
    }
    return render(request, "consultations/attention.html", context)


@require_POST
@permission_required("consultations.change_consultation", raise_exception=True)
def webhook_delivery_handled(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Mark handled": the delivery leaves the page, with who and when recorded."""
    delivery = get_object_or_404(WebhookDelivery, pk=pk, outcome__in=WebhookDelivery.NOT_APPLIED)
    services.webhook_delivery_handle(delivery=delivery, actor=request.user)
    messages.success(request, _("Marked as handled."))
    return redirect("attention")
