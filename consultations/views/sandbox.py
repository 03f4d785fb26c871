"""The consultation page's rehearsal panel, sandbox mode only: "Simulate: patient joins /
provider joins / call ends / expire" (`services.rehearsal`). With a real Kairo Connect
configured the address does not exist (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultations import services
from consultations.access import AuthenticatedHttpRequest
from consultations.kairo.client import KairoError
from consultations.kairo_texts import kairo_error_text
from consultations.models import Consultation
from consultations.services.rehearsal import ACTION_LABELS, Action


@require_POST
@permission_required("consultations.book_consultation", raise_exception=True)
def consultation_simulate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Play one lifecycle step on the sandbox, then back to the consultation page."""
    if not services.rehearsal_available():
        raise Http404("Rehearsal exists only on the built-in sandbox.")
    consultation = get_object_or_404(Consultation, pk=pk)
    try:
        action = Action(request.POST.get("action", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Unknown simulation step."))
    label = ACTION_LABELS[action]
    if consultation.kairo_consultation_id is None:
        messages.info(
            request,
            _(
                "This booking has no Kairo Connect id, so the sandbox has nothing to simulate "
                "with. Nothing was changed."
            ),
        )
        return redirect("consultation_detail", pk=pk)
    try:
        result = services.rehearsal_simulate(
            consultation=consultation, action=action, actor=request.user
        )
    except services.RehearsalRefused as refused:
        if refused.status == 404:
            text = _(
                "The sandbox does not know this consultation (it may have been reset), so "
                "“%(step)s” was not simulated. Nothing was changed."
            )
        else:
            text = _(
                "The sandbox refused “%(step)s”: the consultation's state in Kairo Connect no "
                "longer allows it. Nothing was changed; “Refresh from Kairo” shows where it stands."
            )
        messages.warning(request, text % {"step": label})
    except KairoError as error:
        messages.error(
            request,
            _(
                "“%(step)s” was simulated, but reading it back from the sandbox failed: "
                "%(message)s (%(code)s)."
            )
            % {"step": label, "message": kairo_error_text(error.code), "code": error.code},
        )
    except services.RefreshTimeClash:
        messages.warning(
            request,
            _("“%(step)s” was simulated; the consultation's new time was not taken.")
            % {"step": label},
        )
    else:
        if result.applied_by == "webhook":
            text = _("Sandbox: “%(step)s” simulated; its webhook updated this consultation.")
        elif result.applied_by == "pending":
            text = _(
                "Sandbox: “%(step)s” simulated; its webhook has not arrived yet. Reload this "
                "page in a moment."
            )
        else:
            text = _(
                "Sandbox: “%(step)s” simulated. Webhook delivery is off, so the change was read "
                "back with a refresh from Kairo."
            )
        messages.success(request, text % {"step": label})
    return redirect("consultation_detail", pk=pk)


@require_POST
@permission_required("consultations.book_consultation", raise_exception=True)
def rehearsal_lose_answer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The booking page's rehearsal button: the sandbox loses its answer to the next
    booking, so staff can watch it heal from Kairo Connect's webhook."""
    try:
        services.rehearsal_lose_next_answer()
    except services.RehearsalRefused:
        raise Http404("Rehearsal exists only on the built-in sandbox.") from None
    messages.info(
        request,
        _(
            "Sandbox: the next booking sent loses Kairo Connect's answer. It shows as "
            "unconfirmed, then Kairo Connect's notice books it by itself."
        ),
    )
    return redirect("consultation_new")
