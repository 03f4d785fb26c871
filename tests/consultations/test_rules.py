"""rules.py at its edges: the 15-minute notice (Bogotá and a zone with DST), a window's
real duration, and provider/patient availability."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from consultations import clock, rules
from consultations.kairo import contract
from consultations.models import Consultation, ConsultationStatus
from tests.errors import code_of, refusal_codes
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory

BOGOTA = ZoneInfo("America/Bogota")
NEW_YORK = ZoneInfo("America/New_York")


# --- Notice ------------------------------------------------------------------------------

# docs/kairo-connect-api.md "Create a consultation" (Decision): exactly 15 minutes is allowed.


@pytest.mark.parametrize(
    ("minute", "expected"),
    [
        (44, "in_past"),
        (45, "in_past"),  # now is not the future
        (46, "too_soon"),
        (59, "too_soon"),  # 14 minutes
        (60, None),  # exactly 15 minutes: allowed (Decision)
        (61, None),
    ],
)
@pytest.mark.parametrize("zone_name", ["America/Bogota", "America/New_York"])
def test_notice_edges_in_the_organization_zone(settings, zone_name, minute, expected):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = zone_name
    zone = ZoneInfo(zone_name)
    with time_machine.travel(dt.datetime(2030, 6, 12, 14, 45, tzinfo=zone), tick=False):
        # `minute` minutes after 14:00, on the organization's clock (now is 14:45).
        scheduled = clock.organization_datetime(dt.date(2030, 6, 12), dt.time(14, 0))
        scheduled += dt.timedelta(minutes=minute)
        if expected is None:
            assert (
                refusal_codes(lambda: rules.scheduled_notice_check(scheduled_for=scheduled)) == {}
            )
        else:
            assert (
                code_of(lambda: rules.scheduled_notice_check(scheduled_for=scheduled)) == expected
            )


def test_notice_counts_real_minutes_across_a_dst_change(settings):
    """New York springs forward at 02:00 on 2030-03-10: from 01:50 EST, 03:05 EDT is 15
    real minutes ahead (wall clocks say 75), 03:04 is 14."""
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(dt.datetime(2030, 3, 10, 1, 50, tzinfo=NEW_YORK), tick=False):
        day = dt.date(2030, 3, 10)
        rules.scheduled_notice_check(scheduled_for=clock.organization_datetime(day, dt.time(3, 5)))
        too_soon = clock.organization_datetime(day, dt.time(3, 4))
        assert code_of(lambda: rules.scheduled_notice_check(scheduled_for=too_soon)) == "too_soon"


def test_notice_is_measured_on_the_organization_clock_not_utc(settings):
    """15:00 typed in New York is 19:00 UTC in June; the notice is measured from there."""
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(dt.datetime(2030, 6, 12, 18, 45, tzinfo=dt.UTC), tick=False):
        scheduled = clock.organization_datetime(dt.date(2030, 6, 12), dt.time(15, 0))
        assert scheduled == dt.datetime(2030, 6, 12, 19, 0, tzinfo=dt.UTC)
        rules.scheduled_notice_check(scheduled_for=scheduled)


# --- Horizon ------------------------------------------------------------------------------

NOW = dt.datetime(2030, 6, 12, 10, 0, tzinfo=BOGOTA)


def test_the_whole_last_day_can_be_booked_the_next_day_cannot(settings):
    settings.BOOKING_HORIZON_DAYS = 30
    last_evening = dt.datetime(2030, 7, 12, 23, 45, tzinfo=BOGOTA)  # NOW is 12 June, 10:00
    rules.scheduled_horizon_check(scheduled_for=last_evening, now=NOW)
    next_morning = dt.datetime(2030, 7, 13, 0, 0, tzinfo=BOGOTA)
    assert (
        code_of(lambda: rules.scheduled_horizon_check(scheduled_for=next_morning, now=NOW))
        == "beyond_horizon"
    )


def test_the_horizon_is_a_year_by_default():
    rules.scheduled_horizon_check(scheduled_for=NOW + dt.timedelta(days=365), now=NOW)
    beyond = NOW + dt.timedelta(days=366)
    assert (
        code_of(lambda: rules.scheduled_horizon_check(scheduled_for=beyond, now=NOW))
        == "beyond_horizon"
    )


def test_the_horizon_counts_days_on_the_organization_clock(settings):
    """23:30 in Bogotá is already tomorrow in UTC: the day counted is Bogotá's."""
    settings.BOOKING_HORIZON_DAYS = 1
    late = dt.datetime(2030, 6, 12, 23, 30, tzinfo=BOGOTA)
    rules.scheduled_horizon_check(
        scheduled_for=dt.datetime(2030, 6, 13, 23, 59, tzinfo=BOGOTA), now=late
    )


def test_the_horizon_refusal_names_the_last_day_in_spanish(settings):
    settings.BOOKING_HORIZON_DAYS = 30
    with translation.override("es"), pytest.raises(ValidationError) as caught:
        rules.scheduled_horizon_check(scheduled_for=NOW + dt.timedelta(days=90), now=NOW)
    message = caught.value.messages[0]
    assert "30 días" in message
    assert "12 de julio de 2030" in message


@pytest.mark.django_db
def test_the_last_day_of_the_calendar_is_refused_without_overflowing():
    """Year 9999: its window would run past datetime.max in UTC."""
    last = dt.datetime(9999, 12, 31, 23, 30, tzinfo=BOGOTA)
    codes = refusal_codes(
        lambda: rules.booking_check(
            provider=ProviderFactory(),
            patient=PatientFactory(),
            scheduled_for=last,
            duration_minutes=60,
        )
    )
    assert codes == {"scheduled_for": ["beyond_horizon"]}


# --- Windows ------------------------------------------------------------------------------


def test_a_window_across_a_dst_change_lasts_its_real_duration(settings):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    start = clock.organization_datetime(dt.date(2030, 3, 10), dt.time(1, 45))
    starts_at, ends_at = rules.consultation_window(scheduled_for=start, duration_minutes=30)
    assert ends_at.astimezone(dt.UTC) - starts_at.astimezone(dt.UTC) == dt.timedelta(minutes=30)
    assert ends_at.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:15 EDT"


def test_immediate_window_runs_from_now():
    now = dt.datetime(2030, 6, 12, 10, 7, 31, tzinfo=BOGOTA)
    assert rules.consultation_window(scheduled_for=None, duration_minutes=20, now=now) == (
        now,
        now + dt.timedelta(minutes=20),
    )


# --- Availability ----------------------------------------------------------------------------

START = dt.datetime(2030, 6, 12, 10, 0, tzinfo=BOGOTA)


@pytest.fixture
def booked(db):
    """Provider and patient busy 10:00-10:30 (Bogotá)."""
    return ConsultationFactory(starts_at=START, minutes=30)


def window(start_minute: int, minutes: int) -> dict:
    starts_at = START + dt.timedelta(minutes=start_minute)
    return {"starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=minutes)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start_minute", "minutes", "busy"),
    [
        (-30, 30, False),  # ends when it starts: adjacent
        (30, 15, False),  # starts when it ends: adjacent
        (-30, 31, True),  # one minute of overlap
        (29, 30, True),
        (10, 10, True),  # inside
        (-60, 120, True),  # around
    ],
)
def test_provider_and_patient_windows_at_the_edges(booked, start_minute, minutes, busy):
    checks = (
        lambda: rules.provider_free_check(
            provider=booked.provider, **window(start_minute, minutes)
        ),
        lambda: rules.patient_free_check(patient=booked.patient, **window(start_minute, minutes)),
    )
    for check, code in zip(checks, ("provider_busy", "patient_busy"), strict=True):
        if busy:
            assert code_of(check) == code
        else:
            assert refusal_codes(check) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("start_minute", "busy"), [(59, True), (60, False)])
def test_the_longest_window_still_clashes_at_its_last_minute(start_minute, busy):
    # The overlap query reads only what started at most LONGEST_WINDOW before the new
    # window: a 60-minute consultation (the contract's longest) started 59 minutes
    # before it still overlaps it.
    longest = max(contract.ALLOWED_DURATIONS)
    existing = ConsultationFactory(starts_at=START, minutes=longest)
    starts_at = START + dt.timedelta(minutes=start_minute)
    slot = {"starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=5)}
    check = lambda: rules.provider_free_check(provider=existing.provider, **slot)  # noqa: E731
    if busy:
        assert code_of(check) == "provider_busy"
    else:
        assert refusal_codes(check) == {}


@pytest.mark.django_db
def test_the_overlap_query_has_a_lower_bound_and_survives_year_one():
    queryset = Consultation.objects.overlapping(START, START + dt.timedelta(minutes=30))
    assert '"starts_at" >=' in str(queryset.query)
    first = dt.datetime(1, 1, 1, 0, 10, tzinfo=dt.UTC)
    assert list(Consultation.objects.overlapping(first, first + dt.timedelta(minutes=5))) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "kairo_status", "clash"),
    [
        (ConsultationStatus.SENDING, "", "provider_busy"),
        (ConsultationStatus.UNCONFIRMED, "", "provider_busy"),
        (ConsultationStatus.BOOKED, "Pending", "provider_busy"),
        (ConsultationStatus.IN_PROGRESS, "InProgress", "provider_busy"),
        (ConsultationStatus.COMPLETED, "Completed", None),
        (ConsultationStatus.EXPIRED, "Expired", None),
        # Kairo has no cancel operation: it keeps the window until the room expires.
        (ConsultationStatus.CANCELLED, "Pending", "provider_held_by_kairo"),
        (ConsultationStatus.CANCELLED, "", "provider_held_by_kairo"),  # was unconfirmed
        (ConsultationStatus.CANCELLED, "Expired", None),
        (ConsultationStatus.CANCELLED, "Completed", None),
        (ConsultationStatus.REJECTED, "", None),
    ],
)
def test_active_and_kairo_held_consultations_hold_the_slot(status, kairo_status, clash):
    existing = ConsultationFactory(starts_at=START, status=status, kairo_status=kairo_status)
    check = lambda: rules.provider_free_check(provider=existing.provider, **window(0, 30))  # noqa: E731
    if clash:
        assert code_of(check) == clash
    else:
        assert refusal_codes(check) == {}


@pytest.mark.django_db
def test_a_kairo_held_window_names_its_times_for_provider_and_patient():
    held = ConsultationFactory(
        starts_at=START, status=ConsultationStatus.CANCELLED, kairo_status="Pending"
    )
    with pytest.raises(ValidationError) as caught:
        rules.patient_free_check(patient=held.patient, **window(10, 30))
    assert caught.value.code == "patient_held_by_kairo"
    start = START.astimezone(clock.organization_zone())
    end = start + dt.timedelta(minutes=30)
    # The English wording (the catalog's Spanish is checked by the translation tests).
    with translation.override("en"):
        message = caught.value.messages[0]
    assert f"{start:%H:%M}–{end:%H:%M}" in message
    assert "cancelled" in message


@pytest.mark.django_db
@pytest.mark.parametrize(("confirmed", "says"), [(True, "Kairo Connect keeps"), (False, "may")])
def test_a_window_kairo_never_confirmed_is_said_to_be_maybe_held(confirmed, says):
    held = ConsultationFactory(
        starts_at=START,
        status=ConsultationStatus.CANCELLED,
        kairo_consultation_id=uuid.uuid4() if confirmed else None,
    )
    with pytest.raises(ValidationError) as caught:
        rules.provider_free_check(provider=held.provider, **window(0, 30))
    assert caught.value.code == "provider_held_by_kairo"
    with translation.override("en"):
        message = caught.value.messages[0]
    assert says in message
    assert ("never confirmed" in message) is not confirmed


@pytest.mark.django_db
@pytest.mark.parametrize("start_minute", [-30, 30])
def test_back_to_back_with_a_kairo_held_window_is_free(start_minute):
    held = ConsultationFactory(
        starts_at=START, status=ConsultationStatus.CANCELLED, kairo_status="Pending"
    )
    slot = window(start_minute, 30)
    assert refusal_codes(lambda: rules.provider_free_check(provider=held.provider, **slot)) == {}
    assert refusal_codes(lambda: rules.patient_free_check(patient=held.patient, **slot)) == {}


@pytest.mark.django_db
def test_an_active_clash_is_named_before_a_kairo_held_one():
    held = ConsultationFactory(
        starts_at=START, status=ConsultationStatus.CANCELLED, kairo_status="Pending"
    )
    ConsultationFactory(provider=held.provider, starts_at=START + dt.timedelta(minutes=30))
    check = lambda: rules.provider_free_check(provider=held.provider, **window(0, 60))  # noqa: E731
    assert code_of(check) == "provider_busy"


@pytest.mark.django_db
def test_other_providers_and_patients_are_not_affected(booked):
    slot = window(0, 30)
    provider, patient = ProviderFactory(), PatientFactory()
    assert refusal_codes(lambda: rules.provider_free_check(provider=provider, **slot)) == {}
    assert refusal_codes(lambda: rules.patient_free_check(patient=patient, **slot)) == {}


@pytest.mark.django_db
def test_a_consultation_does_not_clash_with_itself(booked):
    itself = {"exclude_pk": booked.pk, **window(0, 30)}
    provider, patient = booked.provider, booked.patient
    assert refusal_codes(lambda: rules.provider_free_check(provider=provider, **itself)) == {}
    assert refusal_codes(lambda: rules.patient_free_check(patient=patient, **itself)) == {}


@pytest.mark.django_db
def test_an_unsaved_patient_is_always_free(booked):
    unsaved = PatientFactory.build()
    assert refusal_codes(lambda: rules.patient_free_check(patient=unsaved, **window(0, 30))) == {}


@pytest.mark.django_db
def test_busy_errors_name_who_and_when_in_the_organization_zone(booked, settings):
    with translation.override("es"), pytest.raises(ValidationError) as provider_error:
        rules.provider_free_check(provider=booked.provider, **window(15, 30))
    assert provider_error.value.params["provider"] == booked.provider.name
    assert provider_error.value.params["start"] == "miércoles, 12 de junio de 2030, 10:00"
    assert provider_error.value.params["end"] == "10:30 (America/Bogota)"

    with pytest.raises(ValidationError) as patient_error:
        rules.patient_free_check(patient=booked.patient, **window(15, 30))
    assert patient_error.value.params["patient"] == booked.patient.name
    assert patient_error.value.params["provider"] == booked.provider.name


@pytest.mark.django_db
def test_busy_errors_use_a_non_bogota_zone(booked, new_york):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        rules.provider_free_check(provider=booked.provider, **window(0, 30))
    # 10:00 in Bogotá (UTC-5) is 11:00 in New York in June (UTC-4).
    assert caught.value.params["start"] == "Wednesday, June 12, 2030, 11:00"
    assert caught.value.params["end"] == "11:30 (America/New_York)"


# --- All the booking rules at once (the form and the service share them) ---------------------


def booking_codes(**values) -> dict[str, list[str]]:
    return refusal_codes(lambda: rules.booking_check(**values))


@pytest.mark.django_db
def test_booking_check_reports_every_rule_on_its_key(booked):
    codes = booking_codes(
        provider=booked.provider,
        patient=booked.patient,
        scheduled_for=START + dt.timedelta(minutes=10),
        duration_minutes=30,
        now=START,  # 10 minutes' notice: too soon
    )
    assert codes == {
        "scheduled_for": ["too_soon"],
        "provider": ["provider_busy"],
        "patient": ["patient_busy"],
    }


@pytest.mark.django_db
def test_booking_check_refuses_an_inactive_provider_before_asking_if_free(booked):
    booked.provider.is_active = False
    codes = booking_codes(
        provider=booked.provider,
        patient=PatientFactory.build(),
        scheduled_for=START,
        duration_minutes=30,
        now=START - dt.timedelta(hours=1),
    )
    assert codes == {"provider": ["provider_inactive"]}


@pytest.mark.django_db
def test_booking_check_immediate_starts_now(booked):
    codes = booking_codes(
        provider=booked.provider,
        patient=PatientFactory.build(),
        scheduled_for=None,
        duration_minutes=30,
        now=START + dt.timedelta(minutes=29),
    )
    assert codes == {"provider": ["provider_busy"]}
    assert not booking_codes(
        provider=booked.provider,
        patient=booked.patient,
        scheduled_for=None,
        duration_minutes=30,
        now=START + dt.timedelta(minutes=30),  # adjacent
    )


@pytest.mark.django_db
def test_booking_check_without_a_provider_or_duration_checks_what_it_can(booked):
    """What the form passes when those fields are already wrong."""
    assert booking_codes(
        provider=None,
        patient=booked.patient,
        scheduled_for=START,
        duration_minutes=30,
        now=START - dt.timedelta(hours=1),
    ) == {"patient": ["patient_busy"]}
    assert booking_codes(
        provider=booked.provider,
        patient=booked.patient,
        scheduled_for=START,
        duration_minutes=None,
        now=START - dt.timedelta(minutes=5),
    ) == {"scheduled_for": ["too_soon"]}


# --- Ley 1581: authorization withdrawn, patient anonymized, consultations ahead -----------


@pytest.mark.django_db
def test_a_withdrawn_authorization_is_its_own_refusal_until_given_again():
    patient = PatientFactory(data_processing_withdrawn_at=timezone.now())
    assert (
        code_of(
            lambda: rules.patient_authorization_check(patient=patient, authorization_given=False)
        )
        == "authorization_withdrawn"
    )
    assert (
        refusal_codes(
            lambda: rules.patient_authorization_check(patient=patient, authorization_given=True)
        )
        == {}
    )
    never = PatientFactory()
    assert (
        code_of(lambda: rules.patient_authorization_check(patient=never, authorization_given=False))
        == "authorization_required"
    )


@pytest.mark.django_db
def test_an_anonymized_patient_is_refused():
    assert refusal_codes(lambda: rules.patient_anonymized_check(patient=None)) == {}
    assert refusal_codes(lambda: rules.patient_anonymized_check(patient=PatientFactory())) == {}
    gone = PatientFactory(anonymized_at=timezone.now())
    assert code_of(lambda: rules.patient_anonymized_check(patient=gone)) == "patient_anonymized"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "hours", "ahead"),
    [
        (ConsultationStatus.BOOKED, 2, True),
        (ConsultationStatus.BOOKED, -3, False),  # its window is over: stale, not ahead
        (ConsultationStatus.UNCONFIRMED, 2, True),
        (ConsultationStatus.SENDING, 2, True),
        (ConsultationStatus.IN_PROGRESS, -3, True),  # under way, whatever the window says
        (ConsultationStatus.CANCELLED, 2, False),
        (ConsultationStatus.COMPLETED, -3, False),
    ],
)
def test_which_consultations_hold_anonymizing(status, hours, ahead):
    consultation = ConsultationFactory(
        status=status, starts_at=timezone.now() + dt.timedelta(hours=hours)
    )
    codes = refusal_codes(lambda: rules.patient_anonymize_check(patient=consultation.patient))
    assert codes == ({"__all__": ["consultation_ahead"]} if ahead else {})
