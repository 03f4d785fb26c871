"""What the agenda reads (`selectors.agenda`)."""

from __future__ import annotations

import datetime as dt

import pytest

from consultations.clock import organization_day_bounds, organization_today
from consultations.models import Consultation, ConsultationStatus
from consultations.selectors.agenda import agenda_consultations, agenda_day_counts
from tests.factories import ConsultationFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_a_blocks_window_is_the_stored_one_to_the_microsecond_in_utc():
    """The window is read as text (`_moment`): it must equal what the ORM reads."""
    now_one = ConsultationFactory(immediate=True)  # starts now: seconds and microseconds
    scheduled = ConsultationFactory(status=ConsultationStatus.CANCELLED)
    day_start, _end = organization_day_bounds(organization_today())

    rows = {
        row.pk: row
        for row in agenda_consultations(
            starts=day_start, ends=scheduled.ends_at + dt.timedelta(days=1)
        )
    }

    for consultation in (now_one, scheduled):
        stored = Consultation.objects.get(pk=consultation.pk)
        row = rows[consultation.pk]
        assert (row.starts_at, row.ends_at) == (stored.starts_at, stored.ends_at)
        assert row.starts_at.utcoffset() == dt.timedelta(0) == row.ends_at.utcoffset()
        assert row.starts_at.microsecond == stored.starts_at.microsecond
    assert stored.starts_at.microsecond == 0 and now_one.starts_at.microsecond != 0
    assert rows[now_one.pk].is_immediate and not rows[scheduled.pk].is_immediate
    assert rows[scheduled.pk].status == ConsultationStatus.CANCELLED


def test_the_day_is_counted_per_provider_with_the_inactive_ones_named():
    active, retired = ProviderFactory(), ProviderFactory(is_active=False)
    first = ConsultationFactory(provider=active)
    ConsultationFactory(provider=active, starts_at=first.ends_at)
    ConsultationFactory(provider=retired, starts_at=first.starts_at)
    ConsultationFactory(starts_at=first.starts_at + dt.timedelta(days=3))  # another day

    counts = agenda_day_counts(starts=first.starts_at, ends=first.starts_at + dt.timedelta(hours=3))

    assert counts.per_provider == {active.pk: 2, retired.pk: 1}
    assert counts.inactive == {retired.pk}
    assert counts.total == 3
