"""The provider's day on the booking page: the free-starts selector (a property test with
the rules as the oracle), its endpoint, the overlap hint, the Book buttons, an inactive
provider on rebooking, and the warning before deactivating a provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations import rules
from consultations.kairo import contract
from consultations.models import ACTIVE_STATUSES, Consultation, ConsultationStatus
from consultations.selectors.provider_day import (
    GRID_MINUTES,
    provider_day,
    provider_free_starts,
    working_hours,
)
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
NEW = "/consultations/new/"
DAY_URL = "/consultations/provider-day/"
DAY = dt.date(2026, 12, 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org_zone())


def grid(day: dt.date, minutes: int) -> list[dt.datetime]:
    """Every start on the grid whose window ends by closing time."""
    opens, closes = working_hours()
    start, closing = at(day, opens.hour, opens.minute), at(day, closes.hour, closes.minute)
    starts = []
    while start + dt.timedelta(minutes=minutes) <= closing:
        starts.append(start)
        start += dt.timedelta(minutes=GRID_MINUTES)
    return starts


# --- The selector, against the rules -------------------------------------------------------

# (minutes after midnight, duration, status, kairo_status, whose): who = the provider's
# own booking, the patient's with another provider, or both.
BOOKING = st.tuples(
    st.integers(min_value=-120, max_value=26 * 60).map(lambda m: m - m % 5),
    st.sampled_from(contract.ALLOWED_DURATIONS),
    st.sampled_from(
        [
            (Status.BOOKED, ""),
            (Status.IN_PROGRESS, ""),
            (Status.UNCONFIRMED, ""),
            (Status.CANCELLED, contract.STATUS_PENDING),  # held by Kairo
            (Status.CANCELLED, ""),  # cancelled before Kairo answered: held too
            (Status.CANCELLED, contract.STATUS_EXPIRED),  # released
            (Status.REJECTED, ""),
            (Status.COMPLETED, contract.STATUS_COMPLETED),
        ]
    ),
    st.sampled_from(["provider", "patient", "both"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bookings=st.lists(BOOKING, max_size=8),
    duration=st.sampled_from(contract.ALLOWED_DURATIONS),
    now_minute=st.integers(min_value=-24 * 60, max_value=24 * 60),
    with_patient=st.booleans(),
)
def test_free_starts_are_exactly_the_grid_starts_the_rules_accept(
    general_type, bookings, duration, now_minute, with_patient
):
    with transaction.atomic():
        provider = ProviderFactory()
        other_provider = ProviderFactory()
        patient = PatientFactory()
        other_patient = PatientFactory()
        midnight = at(DAY, 0)
        now = midnight + dt.timedelta(minutes=now_minute, seconds=17)
        blocking: list[tuple[dt.datetime, dt.datetime]] = []
        active: list[tuple[str, dt.datetime, dt.datetime]] = []
        for minute, minutes, (status, kairo_status), who in bookings:
            starts = midnight + dt.timedelta(minutes=minute)
            ends = starts + dt.timedelta(minutes=minutes)
            parties = {
                "provider": (provider, other_patient),
                "patient": (other_provider, patient),
                "both": (provider, patient),
            }[who]
            keys = [f"provider{parties[0].pk}", f"patient{parties[1].pk}"]
            if status in ACTIVE_STATUSES:
                # PostgreSQL refuses overlapping active bookings of one party: skip those.
                if any(k in keys and s < ends and e > starts for k, s, e in active):
                    continue
                active += [(key, starts, ends) for key in keys]
            Consultation.objects.create(
                provider=parties[0],
                patient=parties[1],
                consultation_type=general_type,
                duration_id=minutes,
                scheduled_for=starts,
                starts_at=starts,
                ends_at=ends,
                status=status,
                kairo_status=kairo_status,
            )
            held = status == Status.CANCELLED and kairo_status != contract.STATUS_EXPIRED
            if (status in ACTIVE_STATUSES or held) and (who != "patient" or with_patient):
                blocking.append((starts, ends))

        chosen_patient = patient if with_patient else None
        free = provider_free_starts(
            provider=provider,
            day=DAY,
            duration_minutes=duration,
            patient=chosen_patient,
            now=now,
        )

        opens, closes = working_hours()
        length = dt.timedelta(minutes=duration)
        for start in free:
            end = start + length
            assert not any(s < end and e > start for s, e in blocking)
            assert start - now >= contract.MIN_NOTICE
            assert at(DAY, opens.hour, opens.minute) <= start
            assert end <= at(DAY, closes.hour, closes.minute)
            assert (start.minute - opens.minute) % GRID_MINUTES == 0

        def rules_accept(start: dt.datetime) -> bool:
            try:
                rules.scheduled_notice_check(scheduled_for=start, now=now)
                rules.provider_free_check(
                    provider=provider, starts_at=start, ends_at=start + length
                )
                if chosen_patient is not None:
                    rules.patient_free_check(
                        patient=chosen_patient, starts_at=start, ends_at=start + length
                    )
            except ValidationError:
                return False
            return True

        assert free == [start for start in grid(DAY, duration) if rules_accept(start)]
        transaction.set_rollback(True)


def test_free_starts_skip_a_held_block_and_the_notice(provider):
    ConsultationFactory(provider=provider, starts_at=at(DAY, 9), minutes=30)
    ConsultationFactory(
        provider=provider,
        starts_at=at(DAY, 10),
        minutes=30,
        status=Status.CANCELLED,
        kairo_status=contract.STATUS_PENDING,
    )
    now = at(DAY, 8, 40)
    free = provider_free_starts(provider=provider, day=DAY, duration_minutes=30, now=now)
    times = [start.strftime("%H:%M") for start in free]
    # 08:45 is within 15 minutes of now; 09:00 booked; 10:00 held by Kairo.
    assert times[:4] == ["09:30", "10:30", "10:45", "11:00"]
    assert times[-1] == "19:30"
    day = provider_day(provider=provider, day=DAY, duration_minutes=30, now=now)
    assert [block.held_by_kairo for block in day.blocks] == [False, True]


def test_a_start_exactly_fifteen_minutes_ahead_is_offered(provider):
    """Contract "Create a consultation" (Decision): exactly 15 minutes' notice is enough."""
    now = at(DAY, 8, 45)
    free = provider_free_starts(provider=provider, day=DAY, duration_minutes=30, now=now)
    assert free[0] == at(DAY, 9)
    later = provider_free_starts(
        provider=provider, day=DAY, duration_minutes=30, now=now + dt.timedelta(seconds=1)
    )
    assert later[0] == at(DAY, 9, 15)


def test_free_starts_follow_the_agenda_opening_hours(provider, settings):
    settings.AGENDA_DAY_STARTS, settings.AGENDA_DAY_ENDS = dt.time(8, 0), dt.time(12, 0)
    now = at(DAY, 0)
    free = provider_free_starts(provider=provider, day=DAY, duration_minutes=30, now=now)
    assert (free[0].strftime("%H:%M"), free[-1].strftime("%H:%M")) == ("08:00", "11:30")


def test_an_inactive_provider_has_no_free_starts(provider):
    provider.is_active = False
    provider.save()
    assert provider_free_starts(provider=provider, day=DAY, duration_minutes=30) == []


# --- The endpoint -----------------------------------------------------------------------------


def test_the_day_fragment_shows_blocks_held_blocks_and_free_starts(reception_client, provider):
    day = future(hours=48).date()
    ConsultationFactory(provider=provider, starts_at=at(day, 9), minutes=30)
    ConsultationFactory(
        provider=provider, starts_at=at(day, 11), minutes=30, status=Status.CANCELLED
    )
    response = reception_client.get(
        DAY_URL, {"provider": provider.pk, "date": day.isoformat(), "duration": 30}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="provider-day-block') == 2
    assert 'provider-day-held" data-held="true"' in page
    assert gettext("held by Kairo") in page
    assert f'data-date="{day.isoformat()}" data-time="08:30"' in page
    assert 'data-time="09:00"' not in page
    assert 'data-time="11:00"' not in page
    assert 'data-time="09:30"' in page


def test_the_day_fragment_also_respects_the_patient(reception_client, provider, patient):
    day = future(hours=48).date()
    ConsultationFactory(patient=patient, starts_at=at(day, 14), minutes=60)
    query = {"provider": provider.pk, "date": day.isoformat(), "duration": 30}
    assert 'data-time="14:00"' in reception_client.get(DAY_URL, query).content.decode()
    page = reception_client.get(DAY_URL, {**query, "patient": patient.pk}).content.decode()
    assert 'data-time="14:00"' not in page
    assert 'data-time="15:00"' in page


def test_the_day_fragment_defaults_to_today(reception_client, provider):
    response = reception_client.get(DAY_URL, {"provider": provider.pk})
    assert response.status_code == 200
    today = dt.datetime.now(org_zone()).date()
    assert response.context["provider_day"].day == today


@pytest.mark.parametrize(
    "query",
    [
        {"provider": ""},
        {"provider": "abc"},
        {"provider": "999999"},
        {"provider": "9" * 30},
        {"date": "2026-02-30"},
        {"date": "tomorrow"},
        {"date": "9999-12-31"},
        {"duration": "7"},
        {"duration": "x"},
    ],
)
def test_bad_input_to_the_day_fragment_is_400(reception_client, provider, query):
    params = {"provider": provider.pk, **query}
    assert reception_client.get(DAY_URL, params).status_code == 400


def test_an_inactive_provider_has_no_day_fragment(reception_client):
    provider = ProviderFactory(is_active=False)
    assert reception_client.get(DAY_URL, {"provider": provider.pk}).status_code == 400


def test_the_day_fragment_needs_login_and_the_booking_permission(client, provider, staff_groups):
    response = client.get(DAY_URL, {"provider": provider.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    client.force_login(UserFactory(username="mirón"))
    assert client.get(DAY_URL, {"provider": provider.pk}).status_code == 403


def test_the_booking_page_carries_the_day_panel_hidden_until_scripted(reception_client, patient):
    page = reception_client.get(f"{NEW}?patient={patient.pk}").content.decode()
    assert 'id="provider-day"' in page
    assert f'data-url="{reverse("provider_day")}"' in page
    assert f'data-patient="{patient.pk}"' in page
    assert "js/provider_day.js" in page


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


# --- Deactivating a provider with consultations ahead ------------------------------------


def provider_post(provider, **overrides) -> dict[str, str]:
    data = {
        "name": provider.name,
        "document_type": provider.document_type,
        "document_number": provider.document_number,
        "professional_type": provider.professional_type_id,
        "specialty": provider.specialty_id or "",
        "phone": str(provider.phone),
        "email": provider.email,
        "professional_license": provider.professional_license,
    }
    data.update(overrides)
    return {key: str(value) for key, value in data.items()}


def test_the_desk_warns_before_deactivating_a_provider_with_consultations_ahead(
    clinic_admin_client, provider
):
    ahead = ConsultationFactory(provider=provider, starts_at=future(hours=30))
    ConsultationFactory(provider=provider, starts_at=future(hours=3), status=Status.CANCELLED)
    url = reverse("provider_edit", args=[provider.pk])
    response = clinic_admin_client.post(url, provider_post(provider))  # is_active unticked
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("is_active", "provider_has_consultations_ahead")
    assert form.consultations_ahead == [ahead]
    page = response.content.decode()
    assert 'id="provider-ahead-warning"' in page
    assert reverse("consultation_detail", args=[ahead.pk]) in page
    assert ahead.patient.name in page
    assert 'type="checkbox" name="confirm_deactivation"' in page
    provider.refresh_from_db()
    assert provider.is_active

    response = clinic_admin_client.post(url, provider_post(provider, confirm_deactivation="on"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active


def test_the_desk_deactivates_a_provider_with_nothing_ahead_at_once(clinic_admin_client, provider):
    url = reverse("provider_edit", args=[provider.pk])
    assert clinic_admin_client.post(url, provider_post(provider)).status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active


def test_the_admin_lists_consultations_ahead_after_deactivating(clinic_admin_client, provider):
    ahead = ConsultationFactory(provider=provider, starts_at=future(hours=30))
    url = reverse("admin:consultations_provider_change", args=[provider.pk])
    response = clinic_admin_client.post(url, provider_post(provider), follow=True)
    provider.refresh_from_db()
    assert not provider.is_active
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert ahead.patient.name in warnings[0]
    assert f"#{ahead.pk}" in warnings[0]
