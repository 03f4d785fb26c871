"""The booking pages as a receptionist uses them: the form, every Kairo outcome through
the sandbox's fault injection, the result and detail pages, refresh, cancel, rebook,
the patient search, and the query budgets."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from consultations import services
from consultations.clock import long_date
from consultations.context_processors import ATTENTION_BADGE_QUERIES
from consultations.kairo import contract
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    Patient,
)
from consultations.services import lifecycle
from tests.consultations.fake_kairo import MovingKairo
from tests.consultations.pages import statements_with_one_and_five_rows
from tests.errors import form_error_codes
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    future,
    org_zone,
)

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind
NEW = "/consultations/new/"


def html(response) -> str:
    return response.content.decode()


def form_of(response):
    assert response.status_code == 200, response.status_code
    return response.context["form"]


def element(page: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped), or '' if absent."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    return match.group(1).strip() if match else ""


# --- The page --------------------------------------------------------------------------------


def test_the_booking_page_renders_for_reception(reception_client):
    response = reception_client.get(NEW)
    assert response.status_code == 200
    page = html(response)
    assert 'name="booking_token"' in page
    assert 'id="schedule-fields"' in page
    assert "America/Bogota" in page


def test_staff_without_the_booking_permission_get_403(client, staff_groups):
    client.force_login(UserFactory(username="mirón"))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {}).status_code == 403


def test_anonymous_users_go_to_login(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_use_this_patient_prefills_the_form(reception_client, patient):
    form = form_of(reception_client.get(f"{NEW}?patient={patient.pk}"))
    assert form["document_number"].value() == patient.document_number
    assert form["name"].value() == patient.name


def test_rebook_prefills_from_a_consultation(reception_client, patient):
    old = ConsultationFactory(patient=patient, minutes=45, status=Status.CANCELLED)
    response = reception_client.get(f"{NEW}?rebook={old.pk}")
    form = form_of(response)
    assert form["name"].value() == patient.name
    assert str(form["provider"].value()) == str(old.provider_id)
    assert str(form["consultation_type"].value()) == str(old.consultation_type_id)
    assert str(form["duration"].value()) == "45"
    assert 'id="rebook-notice"' in html(response)


@pytest.mark.parametrize("query", ["rebook=x", "rebook=0", "rebook=999999"])
def test_bad_rebook_ids_in_the_query_are_404(reception_client, query):
    # ?patient= and ?provider= that name nobody are ignored (see test_provider_day).
    assert reception_client.get(f"{NEW}?{query}").status_code == 404


def test_the_plain_search_lists_patients_with_use_links(reception_client):
    ana = PatientFactory(name="Ana Sofía Ruiz")
    PatientFactory(name="Pedro Pérez")
    page = html(reception_client.get(f"{NEW}?q=sofía"))
    assert f"?patient={ana.pk}" in page
    assert "Pedro" not in page
    assert ana.document_number not in page  # masked
    assert ana.masked_document in page


def test_the_plain_search_ignores_accents_and_case(reception_client):
    rios = PatientFactory(name="María Fernanda Ríos")
    PatientFactory(name="Pedro Pérez")
    page = html(reception_client.get(f"{NEW}?q=MARIA+FERNANDA+RIOS"))
    assert f"?patient={rios.pk}" in page
    assert "Pedro" not in page


def test_a_too_short_search_is_a_form_error(reception_client):
    response = reception_client.get(f"{NEW}?q=a")
    assert response.context["search"].has_error("q", "too_short")


# --- The type-ahead endpoint -------------------------------------------------------------------


def test_patient_search_json_reveals_only_what_the_list_needs(reception_client):
    ana = PatientFactory(name="Ana Sofía Ruiz", email="ana@correo.example")
    data = reception_client.get(reverse("patient_search"), {"q": "Sofía"}).json()
    assert data["results"] == [
        {
            "id": ana.pk,
            "name": "Ana Sofía Ruiz",
            "document": ana.masked_document,
            "url": f"{NEW}?patient={ana.pk}",
        }
    ]


def test_patient_search_json_statements_do_not_grow_with_its_matches(reception_client):
    """The session, the account (and its permissions on SQLite) and one search: no
    statement per patient found, however many match."""
    url = f"{reverse('patient_search')}?q=Quintero"

    def add(count: int) -> None:
        for _n in range(count):
            PatientFactory(name="Ana Quintero")

    one, five, response = statements_with_one_and_five_rows(reception_client, url, add)
    per_page = 2 if connection.vendor == "postgresql" else 3
    assert one == five == per_page + 1
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize(
    ("typed", "name"),
    [("rios", "María Fernanda Ríos"), ("PEREZ", "Jorge Iván Pérez"), ("nunez", "Ñúñez")],
)
def test_patient_search_ignores_accents_and_case(reception_client, typed, name):
    wanted = PatientFactory(name=name)
    PatientFactory(name="Pedro Gómez Arango")
    data = reception_client.get(reverse("patient_search"), {"q": typed}).json()
    assert [row["id"] for row in data["results"]] == [wanted.pk]


def test_patient_search_by_document(reception_client, patient):
    data = reception_client.get(reverse("patient_search"), {"q": patient.document_number}).json()
    assert [row["id"] for row in data["results"]] == [patient.pk]


def test_the_searches_leave_anonymized_patients_out(reception_client, clinic_admin):
    from consultations import services

    gone = PatientFactory(name="Lucía Restrepo")
    kept = PatientFactory(name="Lucía Restrepo Díaz")
    services.patient_anonymize(patient=gone, actor=clinic_admin)
    # By its old name or by the label it now has: not offered for booking.
    for typed in ("Lucía Restrepo", f"#{gone.pk}", "anonimizado"):
        data = reception_client.get(reverse("patient_search"), {"q": typed}).json()
        assert gone.pk not in [row["id"] for row in data["results"]], typed
    data = reception_client.get(reverse("patient_search"), {"q": "Lucía"}).json()
    assert [row["id"] for row in data["results"]] == [kept.pk]
    assert f"?patient={gone.pk}" not in html(reception_client.get(f"{NEW}?q=anonimizado"))


def test_patient_search_refuses_fragments_too_short(reception_client, patient):
    data = reception_client.get(reverse("patient_search"), {"q": "P"}).json()
    assert data == {"results": [], "error": "too_short"}


def test_patient_search_returns_at_most_ten(reception_client):
    PatientFactory.create_batch(12, name="Mismo Apellido")
    assert (
        len(reception_client.get(reverse("patient_search"), {"q": "mismo"}).json()["results"]) == 10
    )


def test_patient_search_needs_a_login(client):
    assert client.get(reverse("patient_search"), {"q": "ana"}).status_code == 302


# --- Booking and the result page ----------------------------------------------------------------


def test_booking_redirects_to_the_result_page(reception_client, booking_data, sandbox):
    response = reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consultation_result", args=[consultation.pk])
    assert consultation.status == Status.BOOKED
    assert sandbox.stats()["createsReceived"] == 1


def test_the_result_page_shows_links_pin_time_and_emails(reception_client, booking_data):
    response = reception_client.post(NEW, booking_data(), follow=True)
    consultation = Consultation.objects.get()
    page = html(response)
    assert 'id="outcome-booked"' in page
    assert f'value="{consultation.access_pin}"' in page
    assert consultation.patient_join_url in page
    assert consultation.provider_join_url in page
    assert 'class="btn btn-outline-secondary js-copy"' in page  # copy buttons (JS shows them)
    assert reverse("patient_detail", args=[consultation.patient_id]) in page
    assert reverse("provider_detail", args=[consultation.provider_id]) in page
    local = consultation.starts_at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    with translation.override("es"):
        assert f"{long_date(local)}, {local:%H:%M}" in element(page, "consultation-when")
    assert "America/Bogota" in page
    assert 'id="consultation-expiry"' in page
    assert 'id="emails"' in page


def test_times_are_shown_in_a_non_bogota_zone_with_its_name(
    reception_client, booking_data, new_york
):
    reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    page = html(reception_client.get(reverse("consultation_result", args=[consultation.pk])))
    local = consultation.starts_at.astimezone(new_york)
    with translation.override("es"):
        assert f"{long_date(local)}, {local:%H:%M}" in element(page, "consultation-when")
    assert "America/New_York" in page


def test_an_immediate_booking_for_an_existing_patient(reception_client, booking_data, patient):
    data = booking_data(
        when="now",
        document_number=patient.document_number,
        name=patient.name,
        phone=str(patient.phone),
        email=patient.email,
        authorization=None,
    )
    response = reception_client.post(NEW, data, follow=True)
    consultation = Consultation.objects.get()
    assert consultation.patient == patient
    assert consultation.is_immediate
    assert consultation.status == Status.BOOKED
    assert Patient.objects.count() == 1
    assert 'id="outcome-booked"' in html(response)


def test_correcting_a_patients_name_while_booking_updates_the_search(
    reception_client, booking_data, patient
):
    data = booking_data(
        document_number=patient.document_number,
        name="Jorge Iván Pérez Ñúñez",
        name_change_confirmed="on",
        phone=str(patient.phone),
        email=patient.email,
        authorization=None,
    )
    assert reception_client.post(NEW, data).status_code == 302
    patient.refresh_from_db()
    assert patient.name_search == "jorge ivan perez nunez"
    found = reception_client.get(reverse("patient_search"), {"q": "perez nunez"}).json()
    assert [row["id"] for row in found["results"]] == [patient.pk]


def test_form_errors_come_back_with_a_fresh_token(reception_client, booking_data, sandbox):
    data = booking_data(authorization=None)
    form = form_of(reception_client.post(NEW, data))
    assert form.has_error("authorization", "authorization_required")
    assert form["booking_token"].value() != data["booking_token"]
    assert sandbox.stats()["requestsReceived"] == 0


def test_a_slot_taken_meanwhile_is_a_form_error_naming_who(
    reception_client, booking_data, provider, monkeypatch
):
    data = booking_data()
    # Another booking slips in before the service's transaction.
    taken = {}
    real_book = services.consultation_book_sent

    def book_after_a_rival(**kwargs):
        taken["rival"] = ConsultationFactory(provider=provider, starts_at=kwargs["scheduled_for"])
        return real_book(**kwargs)

    monkeypatch.setattr(services, "consultation_book_sent", book_after_a_rival)
    form = form_of(reception_client.post(NEW, data))
    assert form.has_error("provider", "provider_busy")
    assert Consultation.objects.get() == taken["rival"]


# --- How far ahead: the horizon and the calendar's ends ------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-30"])
def test_a_date_at_the_end_of_the_calendar_is_a_field_error_on_the_date(
    reception_client, booking_data, day
):
    data = booking_data(scheduled_date=day, scheduled_time="23:30")
    form = form_of(reception_client.post(NEW, data))
    assert form_error_codes(form) == {"scheduled_date": ["beyond_horizon"]}
    assert not Consultation.objects.exists()


def test_year_one_is_in_the_past(reception_client, booking_data):
    form = form_of(
        reception_client.post(
            NEW, booking_data(scheduled_date="0001-01-01", scheduled_time="00:00")
        )
    )
    assert form.has_error("scheduled_time", "in_past")
    assert not Consultation.objects.exists()


def test_a_booking_past_the_horizon_is_refused_on_the_date_in_spanish(
    reception_client, booking_data, settings
):
    settings.BOOKING_HORIZON_DAYS = 30
    response = reception_client.post(NEW, booking_data(when_at=future(hours=31 * 24)))
    form = form_of(response)
    assert form.has_error("scheduled_date", "beyond_horizon")
    assert "como máximo con 30 días de anticipación" in html(response)
    assert not Consultation.objects.exists()


def test_a_booking_within_the_horizon_is_made(reception_client, booking_data, settings):
    settings.BOOKING_HORIZON_DAYS = 30
    response = reception_client.post(NEW, booking_data(when_at=future(hours=29 * 24)))
    assert response.status_code == 302
    assert Consultation.objects.get().status == Status.BOOKED


# --- Double submission ----------------------------------------------------------------------------


def test_the_same_form_sent_twice_books_once(reception_client, booking_data, sandbox):
    data = booking_data()
    first = reception_client.post(NEW, data)
    second = reception_client.post(NEW, data)
    assert first["Location"] == second["Location"]
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["createsReceived"] == 1


def test_resending_a_refused_form_shows_the_refused_booking(
    reception_client, booking_data, sandbox
):
    data = booking_data()
    sandbox.arm_fault("429")
    reception_client.post(NEW, data)
    again = reception_client.post(NEW, data)
    rejected = Consultation.objects.get()
    assert again["Location"] == reverse("consultation_detail", args=[rejected.pk])
    assert sandbox.stats()["createsReceived"] == 1


# --- Each Kairo outcome, as the receptionist sees it ----------------------------------------------


@pytest.mark.parametrize(
    ("fault", "explained_as", "has_request_id"),
    [
        ("timeout", "TIMEOUT", False),
        ("drop", "CONNECTION_LOST", False),
        ("500", "SERVER_ERROR", True),
        ("502", "SERVER_ERROR", False),
        ("malformed", "MALFORMED_RESPONSE", False),
    ],
)
def test_unknown_outcomes_show_unconfirmed_with_check_again(
    reception_client, booking_data, sandbox, fault, explained_as, has_request_id
):
    sandbox.arm_fault(fault)
    response = reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    assert response["Location"] == reverse("consultation_result", args=[consultation.pk])
    assert consultation.status == Status.UNCONFIRMED
    assert sandbox.stats()["createsReceived"] == 1

    result = reception_client.get(response["Location"])
    assert result.context["unconfirmed_code"] == explained_as
    page = html(result)
    assert 'id="outcome-unconfirmed"' in page
    assert 'id="check-again"' in page
    assert 'id="access-pin"' not in page
    event = consultation.events.get(kind=ConsultationEvent.Kind.UNCONFIRMED)
    if has_request_id:
        assert element(page, "outcome-request-id") == event.kairo_request_id != ""
    else:
        assert 'id="outcome-request-id"' not in page


def test_a_swept_booking_says_it_was_interrupted(reception_client):
    stuck = ConsultationFactory(status=Status.SENDING)
    Consultation.objects.filter(pk=stuck.pk).update(
        updated_at=stuck.updated_at - dt.timedelta(minutes=5)
    )
    services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=2))
    result = reception_client.get(reverse("consultation_result", args=[stuck.pk]))
    assert result.context["unconfirmed_code"] == ConsultationEvent.Kind.STUCK_SWEPT
    assert 'id="check-again"' in html(result)


def test_a_booking_flagged_by_the_reconciliation_says_it_needs_attention(
    reception_client, booking_data, sandbox
):
    sandbox.arm_fault("timeout")
    reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    detail = reverse("consultation_detail", args=[consultation.pk])
    assert 'id="outcome-needs-attention"' not in html(reception_client.get(detail))
    Consultation.objects.filter(pk=consultation.pk).update(
        created_at=consultation.created_at - dt.timedelta(hours=1)
    )
    services.unconfirmed_attention_surface(now=timezone.now(), older_than=dt.timedelta(minutes=30))
    page = html(reception_client.get(detail))
    assert 'id="outcome-needs-attention"' in page
    assert 'id="check-again"' in page
    result = html(reception_client.get(reverse("consultation_result", args=[consultation.pk])))
    assert 'id="outcome-needs-attention"' in result


def test_check_again_without_a_kairo_id_explains_and_sends_nothing(
    reception_client, booking_data, sandbox
):
    sandbox.arm_fault("timeout")
    reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    response = reception_client.post(
        reverse("consultation_refresh", args=[consultation.pk]), {"next": "result"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("consultation_result", args=[consultation.pk])
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
    assert sandbox.stats()["requestsReceived"] == 1  # the create only: nothing re-sent
    consultation.refresh_from_db()
    assert consultation.status == Status.UNCONFIRMED


def test_a_rate_limit_comes_back_as_a_form_message_with_the_request_id(
    reception_client, booking_data, sandbox
):
    sandbox.arm_fault("429")
    form = form_of(reception_client.post(NEW, booking_data()))
    (summary,) = form.errors.as_data()[NON_FIELD_ERRORS]
    assert summary.code == "kairo_rejected"
    rejected = Consultation.objects.get()
    assert rejected.status == Status.REJECTED
    assert summary.params["request_id"] == rejected.kairo_last_request_id != ""
    assert sandbox.stats()["createsReceived"] == 1


def test_a_kairo_409_lands_on_the_provider_field(
    reception_client, booking_data, provider, general_type, sandbox, kairo_books_elsewhere
):
    when = future(hours=6)
    # Kairo already holds this provider at that time (booked by someone else's desk).
    kairo_books_elsewhere(provider, when)
    response = reception_client.post(NEW, booking_data(when_at=when + dt.timedelta(minutes=15)))
    form = form_of(response)
    assert form.has_error("provider", contract.ERROR_PROVIDER_NOT_AVAILABLE)
    assert form.has_error(NON_FIELD_ERRORS, "kairo_rejected")
    rejected = Consultation.objects.get()
    assert rejected.status == Status.REJECTED
    assert rejected.kairo_last_request_id in html(response)
    assert sandbox.stats()["createsReceived"] == 2  # theirs, and ours once


def test_kairo_validation_errors_land_on_the_field_they_name(
    reception_client, booking_data, sandbox
):
    # A record stored before the dotted-domain rule (migration 0007): Kairo refuses it.
    odd = ProviderFactory(email="doctor@localhost")
    form = form_of(reception_client.post(NEW, booking_data(provider=odd.pk)))
    assert form.has_error("provider", contract.ERROR_VALIDATION)
    assert not form.has_error("email")
    assert sandbox.stats()["createsReceived"] == 1


def test_wrong_credentials_show_an_admin_message_and_book_nothing(
    reception_client, booking_data, sandbox, settings
):
    settings.KAIRO_API_KEY = "wrong-key"
    form = form_of(reception_client.post(NEW, booking_data()))
    assert form_error_codes(form)[NON_FIELD_ERRORS] == ["kairo_configuration"]
    assert not Consultation.objects.filter(status__in=[Status.BOOKED, Status.SENDING]).exists()
    assert not Consultation.objects.exclude(access_pin="").exists()
    rejected = Consultation.objects.get()
    assert rejected.events.filter(kind=ConsultationEvent.Kind.CONFIGURATION_ERROR).exists()
    assert sandbox.stats()["requestsReceived"] == 1
    assert sandbox.stats()["createsReceived"] == 0  # refused at the door


# --- Detail, refresh, cancel, rebook ------------------------------------------------------------


def test_the_detail_page_shows_the_timeline_with_request_ids(reception_client, booking_data):
    reception_client.post(NEW, booking_data())
    consultation = Consultation.objects.get()
    page = html(reception_client.get(reverse("consultation_detail", args=[consultation.pk])))
    assert page.count('data-kind="') == 2
    # Inside the timeline itself: the summary above it shows the last requestId too.
    timeline = re.search(r'id="timeline"[^>]*>(.*?)</ol>', page, re.S).group(1)
    assert consultation.kairo_last_request_id
    assert f"<code>{consultation.kairo_last_request_id}</code>" in timeline
    assert 'id="refresh"' in page
    assert 'id="cancel-link"' in page
    assert f"{NEW}?rebook={consultation.pk}" in page


@pytest.mark.parametrize(
    "name", ["consultation_detail", "consultation_result", "consultation_cancel"]
)
@pytest.mark.parametrize("pk", [999999, 2**63, 10**30])
def test_unknown_consultations_are_404(reception_client, name, pk):
    assert (
        reception_client.get(
            f"/consultations/{pk}/"
            + {
                "consultation_detail": "",
                "consultation_result": "booked/",
                "consultation_cancel": "cancel/",
            }[name]
        ).status_code
        == 404
    )


def test_refresh_updates_status_and_session(reception_client, booking_data, sandbox):
    reception_client.post(NEW, booking_data(when="now"))
    consultation = Consultation.objects.get()
    sandbox.trigger(consultation.kairo_consultation_id, "session_started", participant="provider")
    response = reception_client.post(
        reverse("consultation_refresh", args=[consultation.pk]), follow=True
    )
    consultation.refresh_from_db()
    assert consultation.status == Status.IN_PROGRESS
    assert consultation.provider_joined_at is not None
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert 'id="session-info"' in html(response)


def test_refresh_failures_are_a_message_not_a_500(reception_client):
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4())
    response = reception_client.post(
        reverse("consultation_refresh", args=[consultation.pk]), follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_a_silent_kairo_ends_a_refresh_within_the_budget_with_a_message(
    reception_client, booking_data, sandbox, settings, monkeypatch
):
    """Kairo takes a minute to answer: the refresh gives up when the call's budget is
    spent (not after the read timeout and its retries) and says so on the page."""
    reception_client.post(NEW, booking_data(when="now"))
    consultation = Consultation.objects.get()
    settings.KAIRO_REQUEST_BUDGET_SECONDS = 0.3
    monkeypatch.setattr(sandbox, "latency_ms", 60_000)
    received = sandbox.stats()["requestsReceived"]
    started = time.monotonic()
    response = reception_client.post(
        reverse("consultation_refresh", args=[consultation.pk]), follow=True
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert sandbox.stats()["requestsReceived"] == received + 1  # no retry fitted
    assert elapsed < settings.KAIRO_TIMEOUT


def test_refresh_is_post_only(reception_client):
    consultation = ConsultationFactory()
    assert (
        reception_client.get(reverse("consultation_refresh", args=[consultation.pk])).status_code
        == 405
    )


def test_cancel_asks_for_a_reason_and_kairo_keeps_the_slot(
    reception_client, booking_data, provider, sandbox
):
    taken = ConsultationFactory(provider=provider)
    url = reverse("consultation_cancel", args=[taken.pk])
    page = html(reception_client.get(url))
    assert 'id="cancel-warning"' in page
    form = form_of(reception_client.post(url, {"reason": ""}))
    assert form.has_error("reason", "required")
    response = reception_client.post(url, {"reason": "El paciente no puede"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("consultation_detail", args=[taken.pk])
    taken.refresh_from_db()
    assert taken.status == Status.CANCELLED
    assert 'id="outcome-cancelled"' in html(response)
    # Kairo keeps the cancelled room's window: rebooking it is refused here, on the field.
    creates = sandbox.stats()["createsReceived"]
    rebooked = form_of(reception_client.post(NEW, booking_data(when_at=taken.starts_at)))
    assert rebooked.has_error("provider", "provider_held_by_kairo")
    assert sandbox.stats()["createsReceived"] == creates
    assert Consultation.objects.count() == 1


def test_a_consultation_that_cannot_be_cancelled_says_so(reception_client):
    done = ConsultationFactory(status=Status.COMPLETED)
    url = reverse("consultation_cancel", args=[done.pk])
    assert 'id="not-cancellable"' in html(reception_client.get(url))
    page = html(reception_client.post(url, {"reason": "tarde"}))
    # Said once, by the page's notice, with the status as it is now.
    assert page.count('id="not-cancellable"') == 1
    assert 'id="error-summary"' not in page
    done.refresh_from_db()
    assert done.status == Status.COMPLETED


def test_a_cancel_that_lost_a_race_shows_the_consultation_as_it_is_now(
    reception_client, receptionist
):
    taken = ConsultationFactory()
    url = reverse("consultation_cancel", args=[taken.pk])
    assert 'id="cancel-warning"' in html(reception_client.get(url))
    # Another desk cancels it between this desk's page and its click.
    services.consultation_cancel(consultation=taken, actor=receptionist, reason="Otra recepción")
    page = html(reception_client.post(url, {"reason": "El paciente no puede"}))
    assert 'id="cancel-warning"' not in page
    assert 'id="not-cancellable"' in page
    assert str(Status.CANCELLED.label) in page or "Cancelada" in page
    taken.refresh_from_db()
    assert taken.cancellation_reason == "Otra recepción"
    assert taken.deliveries.filter(kind="cancelled").count() == 2


# --- Query budgets -----------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_booking_page_query_budget_does_not_grow(reception_client):
    def scenario(rows: int) -> int:
        for _ in range(rows):
            ConsultationFactory(
                patient=PatientFactory(name="Budget Patient"), provider=ProviderFactory()
            )
        source = Consultation.objects.order_by("pk").first()
        url = f"{NEW}?q=budget&patient={source.patient_id}&rebook={source.pk}"
        reception_client.get(url)  # warm caches a first request fills (e.g. content types)
        return count_queries(reception_client, url)

    with_one = scenario(1)
    with_fifty = scenario(49)
    # 12: one of them reads the account's saved language (StaffLanguageMiddleware), one
    # writes the audit row (the form shows the patient's details).
    assert with_one == with_fifty <= 12 + ATTENTION_BADGE_QUERIES


def test_the_detail_page_query_budget_does_not_grow(reception_client):
    consultation = ConsultationFactory()
    url = reverse("consultation_detail", args=[consultation.pk])

    def events(count: int) -> int:
        ConsultationEvent.objects.bulk_create(
            ConsultationEvent(
                consultation=consultation,
                kind=ConsultationEvent.Kind.REFRESHED,
                actor=UserFactory(),  # a different one each: no query per actor
                kairo_request_id=f"req_{count}",
            )
            for _ in range(count)
        )
        Delivery.objects.bulk_create(
            Delivery(
                consultation=consultation,
                recipient="patient",
                kind="resend",
                to_address="ana@correo.example",
                requested_by=UserFactory(),  # and per delivery's requester
            )
            for _ in range(count)
        )
        reception_client.get(url)
        return count_queries(reception_client, url)

    with_one = events(1)
    with_fifty = events(49)
    assert consultation.deliveries.count() == 50
    # 11: one of them writes the audit row (the page shows the PIN and links).
    assert with_one == with_fifty <= 11 + ATTENTION_BADGE_QUERIES


def test_the_result_page_query_budget(reception_client):
    consultation = ConsultationFactory()
    url = reverse("consultation_result", args=[consultation.pk])
    reception_client.get(url)
    assert count_queries(reception_client, url) <= 10 + ATTENTION_BADGE_QUERIES


# --- Refresh: Kairo reports a time that clashes here --------------------------------------------


def test_the_refresh_page_explains_a_clashing_time_instead_of_failing(
    reception_client, two_bookings, monkeypatch
):
    taken, later = two_bookings
    monkeypatch.setattr(lifecycle, "kairo_client", lambda: MovingKairo(taken.starts_at))
    response = reception_client.post(reverse("consultation_refresh", args=[later.pk]), follow=True)
    assert response.status_code == 200
    (message,) = response.context["messages"]
    assert message.level_tag == "warning"
    assert later.provider.name in str(message)
    later.refresh_from_db()
    assert later.starts_at != taken.starts_at


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org_zone())


# --- The overlap refusal offers the next free starts ------------------------------------------


def test_an_overlap_refusal_lists_the_next_free_starts(reception_client, booking_data, provider):
    day = future(hours=48).date()
    ConsultationFactory(provider=provider, starts_at=at(day, 10), minutes=30)
    ConsultationFactory(
        provider=provider,
        starts_at=at(day, 10, 30),
        minutes=15,
        status=Status.CANCELLED,
        kairo_status=contract.STATUS_PENDING,
    )
    response = reception_client.post(NEW, booking_data(when_at=at(day, 10, 15)))
    form = response.context["form"]
    assert form.has_error("provider", "provider_busy")
    (hint,) = [e for e in form.errors.as_data()["scheduled_time"] if e.code == "next_free_starts"]
    assert hint.params["times"] == "10:45, 11:00, 11:15"
    assert "10:45, 11:00, 11:15" in response.content.decode()
    assert not Consultation.objects.filter(status=Status.SENDING).exists()


def test_a_patient_overlap_also_offers_starts_free_for_both(
    reception_client, booking_data, patient
):
    day = future(hours=48).date()
    # Free for the provider from 19:00 on; the patient is busy until 19:45, and a
    # 30-minute consultation must end by closing time (20:00).
    ConsultationFactory(patient=patient, starts_at=at(day, 19), minutes=45)
    data = booking_data(
        when_at=at(day, 19, 0),
        document_number=patient.document_number,
        name=patient.name,
        email=patient.email,
        phone=patient.phone,
    )
    form = reception_client.post(NEW, data).context["form"]
    assert form.has_error("document_number", "patient_busy")
    assert form.has_error("scheduled_time", "no_free_starts")


def test_no_hint_without_an_overlap(reception_client, booking_data):
    form = reception_client.post(NEW, booking_data(when_at=future(minutes=-110))).context["form"]
    assert form.has_error("scheduled_time", "too_soon")
    codes = {code for field_codes in form_error_codes(form).values() for code in field_codes}
    assert not codes & {"next_free_starts", "no_free_starts"}


def test_a_kairo_overlap_refusal_offers_starts_after_the_refused_window(
    reception_client, booking_data, provider, general_type, sandbox, kairo_books_elsewhere
):
    day = future(hours=48).date()
    kairo_books_elsewhere(provider, at(day, 9))
    form = reception_client.post(NEW, booking_data(when_at=at(day, 9, 15))).context["form"]
    assert form.has_error("provider", contract.ERROR_PROVIDER_NOT_AVAILABLE)
    (hint,) = [e for e in form.errors.as_data()["scheduled_time"] if e.code == "next_free_starts"]
    assert hint.params["times"] == "09:45, 10:00, 10:15"
    assert form.has_error(NON_FIELD_ERRORS, "kairo_rejected")


# --- Book buttons and preselection ------------------------------------------------------------


def test_the_patient_page_books_with_the_patient_preselected(reception_client, patient):
    page = reception_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert f'id="patient-book" href="{NEW}?patient={patient.pk}"' in page
    form = reception_client.get(f"{NEW}?patient={patient.pk}").context["form"]
    assert form["document_number"].value() == patient.document_number


def test_the_provider_page_books_with_the_provider_preselected(reception_client, provider):
    page = reception_client.get(reverse("provider_detail", args=[provider.pk])).content.decode()
    assert f'id="provider-book" href="{NEW}?provider={provider.pk}"' in page
    form = reception_client.get(f"{NEW}?provider={provider.pk}").context["form"]
    assert str(form["provider"].value()) == str(provider.pk)


@pytest.mark.parametrize("value", ["abc", "999999", "-1", "9" * 30, ""])
@pytest.mark.parametrize("name", ["patient", "provider"])
def test_ids_that_name_nobody_are_ignored(reception_client, name, value):
    form = reception_client.get(f"{NEW}?{name}={value}").context["form"]
    assert form[name if name == "provider" else "document_number"].value() in (None, "")


# --- An inactive provider ------------------------------------------------------------------


def test_rebooking_with_an_inactive_provider_says_so_on_the_field(reception_client):
    old = ConsultationFactory(status=Status.CANCELLED)
    old.provider.is_active = False
    old.provider.save()
    response = reception_client.get(f"{NEW}?rebook={old.pk}")
    form = response.context["form"]
    assert form["provider"].value() is None
    text = gettext("%(name)s is no longer active; choose another provider.") % {
        "name": old.provider.name
    }
    assert form.fields["provider"].help_text == text
    assert text in response.content.decode()


def test_submitting_an_inactive_provider_says_so_on_the_field(reception_client, booking_data):
    provider = ProviderFactory(is_active=False)
    form = reception_client.post(NEW, booking_data(provider=provider.pk)).context["form"]
    assert form.has_error("provider", "provider_inactive")
    assert provider.name in form.errors["provider"][0]


@pytest.mark.django_db
def test_the_detail_page_shows_sentences_not_key_value_pairs(reception_client, receptionist):
    consultation = ConsultationFactory()
    ConsultationEvent.objects.create(
        consultation=consultation,
        kind=Kind.BOOKING_STARTED,
        actor=receptionist,
        detail={"immediate": False},
    )
    ConsultationEvent.objects.create(
        consultation=consultation,
        kind=Kind.EMAIL,
        detail={"recipient": "patient", "kind": "booking", "state": "sent", "attempts": 1},
    )
    page = reception_client.get(reverse("consultation_detail", args=[consultation.pk]))
    text = page.content.decode()
    timeline = text[text.index('id="timeline"') :]
    assert "Enviado a Kairo Connect por recepcion." in timeline
    assert "Correo al paciente (agendamiento): enviado, 1 intento." in timeline
    assert "immediate:" not in timeline and "recipient:" not in timeline
