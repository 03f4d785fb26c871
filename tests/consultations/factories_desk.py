"""Consultation rows for the desk's read pages, written straight to the database, and
the consultation a fake Kairo answers with.

The booking service is not involved: these tests are about showing consultations,
whatever state they are in. Valid by default (a booked 30-minute scheduled one).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from consultations.kairo import contract
from consultations.kairo.client import Consultation as RemoteConsultation
from tests.factories import ConsultationFactory, DurationFactory


def consultation_at(start: dt.datetime, *, minutes: int = 30, immediate: bool = False, **kwargs):
    """A consultation whose window starts at `start` (aware) and lasts `minutes`."""
    return ConsultationFactory(
        scheduled_for=None if immediate else start,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        duration=DurationFactory(minutes=minutes),
        **kwargs,
    )


def remote_consultation(
    *,
    consultation_id: uuid.UUID,
    status: str = contract.STATUS_PENDING,
    scheduled_at: dt.datetime | None = None,
    expires_in: dt.timedelta = dt.timedelta(days=2),
) -> RemoteConsultation:
    """What a fake Kairo's GET detail returns: `status` (known when it is one of the
    contract's), the fixed PIN "123456", the patient and provider links of one room, and
    request id "req_fixed"."""
    return RemoteConsultation(
        consultation_id=consultation_id,
        access_pin="123456",
        patient_url="https://meet.example/r?type=patient",
        provider_url="https://meet.example/r?type=provider",
        expires_at=timezone.now() + expires_in,
        status=status,
        scheduled_at=scheduled_at,
        duration_minutes=30,
        created_at=None,
        updated_at=None,
        consultation_link=None,
        notes=None,
        session_info=None,
        request_id="req_fixed",
    )
