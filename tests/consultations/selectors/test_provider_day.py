"""The provider's day: the free starts (a property test with the rules as the oracle)
and the day's blocks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations import rules
from consultations.kairo import contract
from consultations.models import ACTIVE_STATUSES, ConsultationStatus
from consultations.selectors.provider_day import (
    GRID_MINUTES,
    provider_day,
    provider_free_starts,
    working_hours,
)
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, org_zone

pytestmark = pytest.mark.django_db

Status = ConsultationStatus

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
            ConsultationFactory(
                provider=parties[0],
                patient=parties[1],
                consultation_type=general_type,
                minutes=minutes,
                starts_at=starts,
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
    """docs/kairo-connect-api.md "Create a consultation" (Decision): exactly 15 minutes'
    notice is enough."""
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
