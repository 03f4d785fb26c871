"""Between Kairo Connect and our models: the client the services talk through (one per
thread), Kairo's statuses in ours, and Kairo's view of a consultation applied to ours.

The Kairo package knows nothing of our models (house style, "Data flows one way"): this
is where its typed values become fields of a `Consultation`.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from consultations.kairo import client as kairo
from consultations.kairo import contract
from consultations.models import Consultation, ConsultationStatus

Status = ConsultationStatus


# House style: one requests.Session, built once. requests does not document a Session
# as thread-safe, so each thread (a request worker, a task runner) keeps its own client.
_clients = threading.local()
# Bumped when a KAIRO_* or ORGANIZATION_TIME_ZONE setting changes (tests overriding
# settings): every thread's cached client is then rebuilt on its next use.
_settings_generation = 0


@receiver(setting_changed)
def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    global _settings_generation
    if setting.startswith("KAIRO_") or setting == "ORGANIZATION_TIME_ZONE":
        _settings_generation += 1


def kairo_client() -> kairo.KairoClient:
    """This thread's client for the configured Kairo environment (the sandbox when none
    is set): built on first use, reused by every later call in the thread, and rebuilt
    once the Kairo settings change. Shared, so callers need not close it."""
    client: kairo.KairoClient | None = getattr(_clients, "client", None)
    generation = _settings_generation
    if client is None or _clients.generation != generation:
        if client is not None:
            client.close()
        client = kairo.KairoClient.from_settings()
        _clients.client, _clients.generation = client, generation
    return client


# docs/kairo-connect-api.md "Lifecycle" (Decision): the wire statuses, mapped to ours.
REMOTE_STATUSES: dict[str, str] = {
    contract.STATUS_PENDING: Status.BOOKED,
    contract.STATUS_IN_PROGRESS: Status.IN_PROGRESS,
    contract.STATUS_COMPLETED: Status.COMPLETED,
    contract.STATUS_EXPIRED: Status.EXPIRED,
}
# Kairo's answers may arrive late or out of order (a refresh racing a webhook): a status
# only ever moves forward. A local cancellation is ours and no remote status undoes it.
PROGRESS: dict[str, int] = {
    Status.SENDING: 0,
    Status.UNCONFIRMED: 0,
    Status.BOOKED: 1,
    Status.IN_PROGRESS: 2,
    Status.COMPLETED: 3,
    Status.EXPIRED: 3,
}
# Kairo's own statuses move forward too (docs/kairo-connect-api.md "Lifecycle"): an
# answer older than what a webhook already said (a create answer recorded after the
# session started) does not take Kairo's status back.
KAIRO_PROGRESS: dict[str, int] = {
    contract.STATUS_PENDING: 1,
    contract.STATUS_IN_PROGRESS: 2,
    contract.STATUS_COMPLETED: 3,
    contract.STATUS_EXPIRED: 3,
}


def remote_apply(consultation: Consultation, remote: kairo.Consultation) -> None:
    """Kairo's view of the consultation onto ours (no save), a changed time included."""
    consultation.kairo_consultation_id = remote.consultation_id
    consultation.access_pin = remote.access_pin
    consultation.patient_join_url = remote.patient_url
    consultation.provider_join_url = remote.provider_url
    consultation.kairo_expires_at = remote.expires_at
    if KAIRO_PROGRESS.get(consultation.kairo_status, 0) <= KAIRO_PROGRESS.get(remote.status, 0):
        consultation.kairo_status = remote.status
    consultation.kairo_last_request_id = remote.request_id
    consultation.kairo_checked_at = timezone.now()
    if (
        consultation.scheduled_for is not None
        and remote.scheduled_at is not None
        and remote.scheduled_at != consultation.scheduled_for
    ):
        # Kairo moved it: the window follows, and the calendar file's SEQUENCE rises so
        # calendar programs replace the event instead of adding a second one (RFC 5545).
        length = consultation.ends_at - consultation.starts_at
        consultation.scheduled_for = consultation.starts_at = remote.scheduled_at
        consultation.ends_at = remote.scheduled_at + length
        consultation.calendar_sequence += 1
    session = remote.session_info
    if session is not None:
        consultation.session_started_at = session.started_at or consultation.session_started_at
        consultation.provider_joined_at = (
            session.provider_joined_at or consultation.provider_joined_at
        )
        consultation.patient_joined_at = session.patient_joined_at or consultation.patient_joined_at
        consultation.call_quality = session.call_quality or consultation.call_quality
    mapped = REMOTE_STATUSES.get(remote.status)  # None for a status the contract lacks
    if (
        mapped is not None
        and consultation.status in PROGRESS
        and PROGRESS[mapped] > PROGRESS[consultation.status]
    ):
        consultation.status = mapped
