"""What the sandbox puts on the wire: the contract's JSON shapes, envelope and headers.

Sections of docs/kairo-connect-api.md: "Envelope", "Create a consultation" (its answer),
"Detail", "Webhooks" (event body), "Access" (the rate-limit header on every response)
and "Dates and times": every time is `yyyy-MM-dd HH:mm` in the organization's zone;
metadata timestamps are ISO 8601 UTC. Internally every datetime is UTC.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from consultations.kairo import contract
from consultations.kairo.sandbox.validation import Catalogs


@dataclass(frozen=True)
class SandboxResponse:
    """What the sandbox answers. `delay` (seconds) is the configured latency; `after`
    tells the transport to misbehave: "timeout" (answer too late) or "drop" (close the
    connection without answering)."""

    status: int
    headers: dict[str, str]
    body: bytes
    after: str | None = None
    delay: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


class SandboxError(Exception):
    """A refusal, rendered as the error envelope (also raised by the Python controls)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def invalid(path: str, message: str) -> SandboxError:
    """A 400 VALIDATION_ERROR whose `details` name one field."""
    return SandboxError(400, contract.ERROR_VALIDATION, "Invalid data.", {path: [message]})


@dataclass
class ConsultationRecord:
    """One consultation as the sandbox keeps it (provider/patient as sent, validated)."""

    consultation_id: uuid.UUID
    access_pin: str
    room_token: str
    provider: dict[str, Any]
    patient: dict[str, Any]
    consultation_type: str
    duration_minutes: int
    scheduled_at: datetime | None
    starts_at: datetime
    created_at: datetime
    updated_at: datetime
    status: str = contract.STATUS_PENDING
    notes: str | None = None
    # startedAt, providerJoinedAt, patientJoinedAt, callQuality, *LeftAt
    session: dict[str, datetime | str | None] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        # Contract "Create a consultation": expiry = start + duration. UTC arithmetic,
        # so DST cannot skew it.
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def active(self) -> bool:
        """Contract "Errors" (Decision): only these block an overlapping booking."""
        return self.status in (contract.STATUS_PENDING, contract.STATUS_IN_PROGRESS)


# Contract "Detail": its fields in the guide's order (sessionInfo follows when present).
_DETAIL_FIELDS: tuple[str, ...] = (
    "consultationId",
    "consultationLink",
    "accessPin",
    "participantAccess",
    "expiresAt",
    "provider",
    "patient",
    "scheduledAt",
    "status",
    "durationMinutes",
    "notes",
    "createdAt",
    "updatedAt",
)


class WireMixin:
    """Shapes for `KairoSandbox` (reads its current configuration on every call)."""

    timezone: ZoneInfo
    catalogs: Catalogs
    join_base_url: str
    organization_id: str
    organization_name: str
    rate_limit: int
    latency_ms: int

    def _remaining(self, now: datetime) -> int:
        raise NotImplementedError

    # --- Pieces ----------------------------------------------------------------------------

    def _wire(self, value: Any) -> str | None:
        if not isinstance(value, datetime):
            return None
        return value.astimezone(self.timezone).strftime(contract.WIRE_DATETIME_FORMAT)

    def _room_url(self, record: ConsultationRecord) -> str:
        """The room both participants join (detail's `consultationLink`)."""
        return f"{self.join_base_url}/{record.room_token}"

    def _access(self, record: ConsultationRecord) -> dict[str, str]:
        # Contract "Create a consultation": both URLs share one room token.
        room = self._room_url(record)
        return {"patientUrl": f"{room}?type=patient", "providerUrl": f"{room}?type=provider"}

    def _catalog_rows(
        self, provider: dict[str, Any]
    ) -> tuple[contract.CatalogRow, tuple[int, contract.CatalogRow] | None]:
        """The provider's professional-type row and, when it sent a known specialty code,
        (Kairo specialty id, specialty row). Validation already checked the type."""
        row = self.catalogs.professional_types[provider["professionalType"]]
        specialty = self.catalogs.specialties.get(provider.get("medicalSpecialtyCode") or "")
        return row, specialty

    def _provider_view(self, provider: dict[str, Any]) -> dict[str, Any]:
        """Contract "Create a consultation": `professionalType` as a display label;
        specialty fields for specialists only."""
        row, specialty = self._catalog_rows(provider)
        view: dict[str, Any] = {"name": provider["name"], "professionalType": row.name}
        if row.requires_specialty and specialty:
            kairo_id, specialty_row = specialty
            view.update(
                specialtyId=kairo_id,
                specialtyCode=specialty_row.code,
                specialtyName=specialty_row.name,
            )
        return view

    @staticmethod
    def _patient_view(patient: dict[str, Any]) -> dict[str, Any]:
        return {
            "documentType": patient["documentType"],
            "documentNumber": patient["documentNumber"],
            "name": patient["name"],
        }

    # --- Endpoint data ---------------------------------------------------------------------

    def _create_data(self, record: ConsultationRecord) -> dict[str, Any]:
        # Contract "Create a consultation": the create answer names the expiry
        # `expiredAt` (detail: `expiresAt`).
        return {
            "consultationId": str(record.consultation_id),
            "accessPin": record.access_pin,
            "participantAccess": self._access(record),
            "expiredAt": self._wire(record.ends_at),
            "provider": self._provider_view(record.provider),
            "patient": self._patient_view(record.patient),
            "scheduledAt": self._wire(record.scheduled_at),
            "durationMinutes": record.duration_minutes,
            "status": record.status,
            "createdAt": self._wire(record.created_at),
        }

    def _detail_data(self, record: ConsultationRecord) -> dict[str, Any]:
        # Contract "Detail": the create answer's fields, the expiry named `expiresAt`,
        # plus the room link, notes and updatedAt, in the guide's order.
        fields = self._create_data(record)
        fields["expiresAt"] = fields.pop("expiredAt")
        fields["consultationLink"] = self._room_url(record)
        fields["notes"] = record.notes
        fields["updatedAt"] = self._wire(record.updated_at)
        data = {name: fields[name] for name in _DETAIL_FIELDS}
        if record.session:  # contract "Detail": only once a video session exists
            data["sessionInfo"] = {
                "startedAt": self._wire(record.session.get("startedAt")),
                "providerJoinedAt": self._wire(record.session.get("providerJoinedAt")),
                "patientJoinedAt": self._wire(record.session.get("patientJoinedAt")),
                "callQuality": record.session.get("callQuality"),
            }
        return data

    def _provider_row(self, provider: dict[str, Any], provider_id: str) -> dict[str, Any]:
        """One row of GET /providers (contract "Endpoints" does not show it; this is ours)."""
        row, specialty = self._catalog_rows(provider)
        return {
            "providerId": provider_id,
            "name": provider["name"],
            "documentType": provider["documentType"],
            "documentNumber": provider["documentNumber"],
            "professionalType": row.code,
            "professionalTypeName": row.name,
            "specialtyCode": specialty[1].code if specialty else None,
            "specialtyName": specialty[1].name if specialty else None,
            "phone": provider["phone"],
            "email": provider["email"],
            "active": True,
        }

    def _profile_data(self) -> dict[str, Any]:
        return {
            "organizationId": self.organization_id,
            "name": self.organization_name,
            "timezone": self.timezone.key,
            "settings": {
                "timezone": self.timezone.key,
                "defaultDurationMinutes": contract.DEFAULT_DURATION,
                "minimumNoticeMinutes": int(contract.MIN_NOTICE.total_seconds() // 60),
                "rateLimitPerHour": self.rate_limit,
            },
        }

    def _webhook_body(
        self, event: str, record: ConsultationRecord, now: datetime, participant: str | None
    ) -> dict[str, Any]:
        patient = record.patient
        data: dict[str, Any] = {
            "consultationId": str(record.consultation_id),
            "participantAccess": self._access(record),
            "provider": self._provider_view(record.provider),
            # Contract "Webhooks": the patient is masked.
            "patient": {
                "documentType": patient["documentType"],
                "documentLastDigits": patient["documentNumber"][
                    -contract.WEBHOOK_PATIENT_DOCUMENT_DIGITS :
                ],
                "nameInitials": "".join(word[0].upper() for word in patient["name"].split()),
            },
            "scheduledAt": self._wire(record.scheduled_at),
            "status": record.status,
            "createdAt": self._wire(record.created_at),
        }
        if participant is not None:  # contract "Webhooks" (Decision): session events say who
            data["participant"] = participant
            data["occurredAt"] = self._wire(now)
        return {
            "event": event,
            "timestamp": iso_utc(now),
            "organizationId": self.organization_id,
            "data": data,
            "version": contract.API_VERSION,
        }

    # --- Responses -------------------------------------------------------------------------

    def _metadata(self, now: datetime) -> dict[str, str]:
        return {
            "requestId": f"req_{secrets.token_hex(6)}",
            "timestamp": iso_utc(now),
            "version": contract.API_VERSION,
        }

    def _answer(self, result: tuple[int, Any], now: datetime) -> SandboxResponse:
        status, data = result
        body = {"success": True, "data": data, "metadata": self._metadata(now)}
        return self._json(status, body, now)

    def _error(self, error: SandboxError, now: datetime) -> SandboxResponse:
        envelope: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.details is not None:
            envelope["details"] = error.details
        body = {"success": False, "error": envelope, "metadata": self._metadata(now)}
        return self._json(error.status, body, now, error.headers)

    def _json(
        self, status: int, body: Any, now: datetime, headers: dict[str, str] | None = None
    ) -> SandboxResponse:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self._raw(status, raw, "application/json", now, headers)

    def _raw(
        self,
        status: int,
        body: bytes,
        content_type: str,
        now: datetime,
        headers: dict[str, str] | None = None,
    ) -> SandboxResponse:
        all_headers = {
            "Content-Type": f"{content_type}; charset=utf-8",
            # Contract "Access": on every response.
            contract.HEADER_RATE_LIMIT_REMAINING: str(self._remaining(now)),
            **(headers or {}),
        }
        return SandboxResponse(status, all_headers, body, delay=self.latency_ms / 1000)


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
