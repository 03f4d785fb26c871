"""The booking form sent: booking, a second submission of the same form, and what the
receptionist is told when the database drops.

A double click or a resubmission carries the same one-time token and never books
again. While the first submission is still with Kairo the second waits for it (at most
as long as the first can take) and then shows the same result page; whatever order the
two reach the database in, the second never shows the form's "already booked" errors
that the first's own booking makes it fail.

When the database cannot be reached the page says whether anything reached Kairo
Connect (503, no patient data): before Kairo was called, nothing was sent; after,
the booking may have been made and must not be booked again (the sweep records it from
the answer kept on disk, or Kairo's webhook heals it: `services.BookingUnrecorded`).
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations import services
from consultations.access import AuthenticatedHttpRequest
from consultations.database import connection_lost
from consultations.forms.booking import BookingForm
from consultations.forms.filters import SearchForm
from consultations.models import Consultation, ConsultationStatus, Patient
from consultations.selectors.booking import consultation_after_sending, consultation_for_token
from consultations.selectors.directory import patient_search as patient_search_query
from consultations.services.audit import audit_request_scope
from consultations.views import audit

SEARCH_RESULTS = 10

# The outage page's `data-outcome`, one per case (tests and monitoring read it).
MAYBE_BOOKED = "booking-maybe-made"
NOT_SENT = "booking-not-sent"
_STARTED = "_booking_send_started"


class _Sent(NamedTuple):
    consultation: Consultation
    by_twin: bool  # made by an earlier submission of the same form


def booking_send(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The booking form's POST: the result page of the booking made (or of the one an
    earlier submission of the same form made), the form again with its errors, or a
    503 page when the database is unreachable."""
    # From here on a lost database is answered below; before, by `errors.server_error`,
    # which may then say that nothing was sent (`booking_not_started`).
    setattr(request, _STARTED, True)
    try:
        sent = _send(request)
    except services.BookingUnrecorded:
        return database_down_page(request, outcome=MAYBE_BOOKED)
    except services.BookingNotSent:
        return database_down_page(request, outcome=NOT_SENT)
    except (OperationalError, InterfaceError) as exc:
        # The form's checks or the token's look-up: before anything was sent.
        if not connection_lost(exc):
            raise
        return database_down_page(request, outcome=NOT_SENT)
    if isinstance(sent, BookingForm):
        return booking_page(request, sent)
    if sent.by_twin:
        return _already_sent(request, sent.consultation)
    audit.consultation_booked(request, sent.consultation)
    return redirect("consultation_result", pk=sent.consultation.pk)


def _send(request: AuthenticatedHttpRequest) -> _Sent | BookingForm:
    token = request.POST.get("booking_token", "")
    # A double click or a resubmission is told by its token: a valid form reaches the
    # service, which finds the token's booking inside its transaction (under the
    # provider's lock, before anything is checked or written) and returns it as an
    # earlier one; a form that fails may fail only because of that booking (its slot
    # is taken, by itself), so the token is looked up then, once.
    form = BookingForm(request.POST)
    if not form.is_valid():
        twin = consultation_for_token(token)
        if twin is not None:
            return _Sent(twin, by_twin=True)
    else:
        data = form.cleaned_data
        try:
            with audit_request_scope(request):
                consultation, earlier = services.consultation_book_sent(
                    patient=form.instance,
                    authorization_given=data["authorization"],
                    provider=data["provider"],
                    consultation_type=data["consultation_type"],
                    duration=data["duration"],
                    scheduled_for=data["scheduled_for"],
                    actor=request.user,
                    booking_token=data["booking_token"],
                    name_change_confirmed=data["name_change_confirmed"],
                )
        except ValidationError as error:
            form.add_service_errors(error)
        except services.BookingRefused as refused:
            form.add_kairo_errors(refused.error)
        else:
            # The service found the token's booking already made (a twin request with
            # the same token won the race, maybe after the look-up above); a booking of
            # ours comes back booked or unconfirmed, never still sending or rejected.
            by_twin = earlier or consultation.status in (
                ConsultationStatus.SENDING,
                ConsultationStatus.REJECTED,
            )
            return _Sent(consultation, by_twin=by_twin)
    form.add_next_free_starts()
    # The page comes back with a fresh token: the one just used may name a rejected
    # booking, and resending it would only find that again.
    form.renew_token()
    return form


def _already_sent(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    if consultation.status == ConsultationStatus.SENDING:
        # The first submission is still with Kairo: its answer is the one to show.
        consultation = consultation_after_sending(
            consultation=consultation, wait_seconds=_first_submission_left(consultation)
        )
    if consultation.status == ConsultationStatus.REJECTED:
        messages.warning(
            request, _("This form had already been sent, and Kairo Connect refused it.")
        )
        return redirect("consultation_detail", pk=consultation.pk)
    messages.info(request, _("This form had already been sent; here is the booking it made."))
    return redirect("consultation_result", pk=consultation.pk)


def _first_submission_left(consultation: Consultation) -> float:
    """Seconds the request that is sending `consultation` may still take: its Kairo call
    (the budget and a last connect timeout) and the reconnections recording the answer,
    counted from when it began. None left for a booking a dead process left sending."""
    longest = (
        settings.KAIRO_REQUEST_BUDGET_SECONDS
        + settings.KAIRO_CONNECT_TIMEOUT
        + settings.BOOKING_DB_RETRY_SECONDS
    )
    spent = (timezone.now() - consultation.created_at).total_seconds()
    return max(0.0, min(longest, longest - spent))


def booking_not_started(request: HttpRequest) -> bool:
    """Whether `request` is the booking form's POST and failed before `booking_send`
    began (the session, the account, the permissions): nothing was sent to Kairo."""
    if request.method != "POST" or getattr(request, _STARTED, False):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name == "consultation_new"


def database_down_page(request: HttpRequest, *, outcome: str) -> HttpResponse:
    """The 503 page for a booking the database failed: built without the database (no
    context processors, no account, no messages)."""
    # Saving the session (its last-activity stamp) would fail as well, and turn this
    # page into the generic one; the stamp waits for the next request.
    request.session.modified = False
    page = render_to_string(
        "consultations/booking_database_down.html",
        {
            "outcome": outcome,
            "maybe_booked": outcome == MAYBE_BOOKED,
            "TRAINING_MODE": settings.KAIRO_TRAINING_MODE,
        },
    )
    return HttpResponse(page, status=503)


def booking_page(
    request: HttpRequest, form: BookingForm, *, rebook_of: Consultation | None = None
) -> HttpResponse:
    """The booking form, with the plain patient search's results (?q=)."""
    search = SearchForm(request.GET if "q" in request.GET else None)
    return render(
        request,
        "consultations/booking.html",
        {
            "form": form,
            "search": search,
            "results": search_results(search),
            "rebook_of": rebook_of,
        },
    )


def search_results(search: SearchForm) -> list[Patient] | None:
    """The patients the search form names who can be booked (at most SEARCH_RESULTS; an
    anonymized patient cannot), None when not searching."""
    if not search.is_bound or not search.is_valid() or not search.cleaned_data["q"]:
        return None
    return list(
        patient_search_query(
            name_fragment=search.cleaned_data["name_fragment"],
            document_number=search.cleaned_data["document_number"],
        ).filter(anonymized_at__isnull=True)[:SEARCH_RESULTS]
    )
