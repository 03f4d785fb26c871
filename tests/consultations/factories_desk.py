"""Consultation rows for the desk's read pages, written straight to the database.

The booking service is not involved: these tests are about showing consultations,
whatever state they are in. Valid by default (a booked 30-minute scheduled one).
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from consultations import models
from tests.factories import (
    ConsultationTypeFactory,
    DurationFactory,
    PatientFactory,
    ProviderFactory,
)


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Consultation

    provider = factory.SubFactory(ProviderFactory)
    patient = factory.SubFactory(PatientFactory)
    consultation_type = factory.SubFactory(ConsultationTypeFactory)
    duration = factory.SubFactory(DurationFactory)
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    starts_at = factory.LazyAttribute(lambda c: c.scheduled_for or timezone.now())
    ends_at = factory.LazyAttribute(
        lambda c: c.starts_at + dt.timedelta(minutes=c.duration.minutes)
    )
    status = models.ConsultationStatus.BOOKED


def consultation_at(start: dt.datetime, *, minutes: int = 30, immediate: bool = False, **kwargs):
    """A consultation whose window starts at `start` (aware) and lasts `minutes`."""
    return ConsultationFactory(
        scheduled_for=None if immediate else start,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        duration=DurationFactory(minutes=minutes),
        **kwargs,
    )
