"""The client's typed inputs and results, in the shapes of docs/kairo-connect-api.md.
Personal data and join credentials stay out of repr(), so a traceback or a log line
cannot leak them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from consultations.kairo import contract

# --- Inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderData:
    name: str
    document_type: str
    document_number: str = field(repr=False)
    professional_type: str
    phone: str = field(repr=False)
    email: str = field(repr=False)
    medical_specialty_code: str | None = None
    professional_license: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PatientData:
    document_type: str
    document_number: str = field(repr=False)
    name: str = field(repr=False)
    phone: str = field(repr=False)
    email: str = field(repr=False)


@dataclass(frozen=True)
class CreateConsultationRequest:
    provider: ProviderData
    patient: PatientData
    consultation_type: str
    duration_minutes: int
    scheduled_at: datetime | None  # aware, on a whole minute; None = immediate


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    started_at: datetime | None
    provider_joined_at: datetime | None
    patient_joined_at: datetime | None
    call_quality: str | None


@dataclass(frozen=True)
class Consultation:
    """A consultation as Kairo reports it (create or detail). Datetimes are aware, in UTC."""

    consultation_id: uuid.UUID
    access_pin: str = field(repr=False)
    patient_url: str = field(repr=False)
    provider_url: str = field(repr=False)
    expires_at: datetime
    status: str  # the raw wire value, kept even when unknown
    scheduled_at: datetime | None
    duration_minutes: int
    created_at: datetime | None
    updated_at: datetime | None
    consultation_link: str | None = field(repr=False)
    notes: str | None = field(repr=False)
    session_info: SessionInfo | None
    request_id: str

    @property
    def status_known(self) -> bool:
        """Whether `status` is one of the wire statuses of contract "Lifecycle"
        (Decision: an unknown one is kept raw, never an error)."""
        return self.status in contract.WIRE_STATUSES


@dataclass(frozen=True)
class RemoteProvider:
    """One row of GET /providers. Contract "Endpoints" does not fix its shape: only
    `name` is required; the rest is read when present."""

    name: str
    provider_id: str | None = None
    document_type: str | None = None
    document_number: str | None = field(default=None, repr=False)
    professional_type: str | None = None
    professional_type_name: str | None = None
    medical_specialty_code: str | None = None
    specialty_name: str | None = None
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OrganizationProfile:
    name: str
    timezone: str
    request_id: str
    rate_limit_remaining: int | None
    organization_id: str | None = None
