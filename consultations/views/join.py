"""The clinic's join page, public and without login: `/j/<token>` shows a patient or a
provider their consultation as it is now, and `/j/<token>/join` (POST) sends them on to
Kairo's room link for them; plus "Revoke and reissue join links" for staff.

Every answer of the public views (the page, the 404, the 429, the redirects) is kept
out of search engines, caches and Referer headers (`_private`). An unknown and a revoked
token take the same path (`join_link_by_token`) and get the same 404; each counts
against the client address, which past JOIN_GUESS_LIMIT in JOIN_GUESS_WINDOW_MINUTES
gets 429 for any token. The address is the one django-axes throttles logins by.
"""

from __future__ import annotations

import datetime as dt

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consultations import clock
from consultations.access import AuthenticatedHttpRequest
from consultations.models import Consultation, Delivery, JoinLink
from consultations.selectors.join_links import (
    JoinPage,
    JoinState,
    join_link_by_token,
    join_links_live,
    join_page_state,
)
from consultations.services import join_links as join_services
from consultations.views import audit


def _private(response: HttpResponse) -> HttpResponse:
    """No index, no Referer to the next site (the token is in our URL), no cache."""
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _clinic() -> dict:
    return {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE}


def _address(request: HttpRequest) -> str:
    return get_client_ip_address(request) or ""


def _refused(request: HttpRequest) -> HttpResponse | None:
    """The 429 page when this address has guessed too many tokens, else None."""
    if not join_services.join_guesses_exceeded(address=_address(request)):
        return None
    response = render(
        request,
        "consultations/join/limited.html",
        {**_clinic(), "minutes": settings.JOIN_GUESS_WINDOW_MINUTES},
        status=429,
    )
    response["Retry-After"] = str(settings.JOIN_GUESS_WINDOW_MINUTES * 60)
    return _private(response)


def _link_or_answer(request: HttpRequest, token: str) -> JoinLink | HttpResponse:
    """The live link, or the answer to give instead: 429 past the guess limit, the one
    404 for an unknown or revoked token (which counts as a guess)."""
    refused = _refused(request)
    if refused is not None:
        return refused
    link = join_link_by_token(token)
    if link is None:
        join_services.join_guess_record(address=_address(request))
        return _private(render(request, "consultations/join/not_found.html", _clinic(), status=404))
    return link


@login_not_required
@require_http_methods(["GET", "HEAD"])
def join_page(request: HttpRequest, token: str) -> HttpResponse:
    """The join page, in the recipient's language. A GET is recorded on the timeline
    (coalesced: `join_page_opened_record`)."""
    found = _link_or_answer(request, token)
    if isinstance(found, HttpResponse):
        return found
    link = found
    now = timezone.now()
    page = join_page_state(link, now=now)
    if request.method == "GET":
        join_services.join_page_opened_record(link=link)
    language = link.consultation.language_for(link.recipient)
    with translation.override(language):
        response = render(request, "consultations/join/page.html", _page_context(page, now))
    response["Content-Language"] = language
    return _private(response)


@login_not_required
@require_POST
def join_press(request: HttpRequest, token: str) -> HttpResponse:
    """ "Join": record the press and redirect to Kairo's room link for this recipient;
    before the opening time, or when the consultation cannot be joined, back to the
    page (which says why). A POST, so link scanners that fetch the page never join."""
    found = _link_or_answer(request, token)
    if isinstance(found, HttpResponse):
        return found
    link = found
    page = join_page_state(link, now=timezone.now())
    if not page.joinable:
        return _private(redirect("join_page", token=link.token))
    join_services.join_pressed_record(link=link)
    return _private(redirect(page.room_url))


def _page_context(page: JoinPage, now: dt.datetime) -> dict:
    consultation = page.consultation
    specialty = consultation.provider.specialty
    context = {
        "page": page,
        "state": page.state,
        "is_patient": page.link.recipient == Delivery.Recipient.PATIENT,
        **_clinic(),
        "provider_name": consultation.provider.name,
        "specialty_name": specialty.name if specialty else "",
        "patient_name": consultation.patient.name,
        "is_immediate": consultation.is_immediate,
        "when": clock.window_text(starts_at=consultation.starts_at, ends_at=consultation.ends_at),
        "opens_at": clock.format_moment(page.opens_at) if page.opens_at else "",
        "seconds_until_open": page.seconds_until_open(now),
        "page_url": reverse("join_page", args=[page.link.token]),
        "join_action": reverse("join_press", args=[page.link.token]),
    }
    if page.state == JoinState.READY:
        context["pin"] = consultation.access_pin
    return context


# --- Staff: the consultation page ----------------------------------------------------------


def join_links_context(consultation: Consultation) -> dict:
    """What templates/consultations/partials/join_links.html shows: each recipient's
    live clinic link (for copy), in the order patient, provider."""
    live = join_links_live(consultation=consultation)
    return {
        "join_links": [
            {
                "recipient": recipient,
                "label": label,
                "url": live[recipient].url if recipient in live else "",
            }
            for recipient, label in Delivery.Recipient.choices
        ],
        "email_kairo_room_link": settings.EMAIL_KAIRO_ROOM_LINK,
    }


@require_POST
@permission_required("consultations.book_consultation", raise_exception=True)
def consultation_join_links_reissue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Revoke and reissue join links": the old links answer 404 from now on; the next
    message (a resend) carries the new ones."""
    consultation = get_object_or_404(Consultation, pk=pk)
    join_services.join_links_reissue(consultation=consultation, actor=request.user)
    audit.consultation_act(request, audit.Action.JOIN_LINK_REISSUED, consultation)
    messages.success(
        request,
        _(
            "The old join links no longer work. New ones were issued: resend the email so "
            "the patient (and the provider) get them."
        ),
    )
    return redirect("consultation_detail", pk=pk)
