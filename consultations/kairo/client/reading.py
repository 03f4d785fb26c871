"""Reading typed results out of a success envelope's `data`, tolerantly.

Tolerant where the contract (docs/kairo-connect-api.md) is loose (extra fields ignored,
`expiredAt` or `expiresAt`, unknown status strings kept raw, optional fields missing),
strict where a wrong value would mislead (a required field missing or of the wrong type
raises `Malformed` with the field path, never the value).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consultations.kairo.client.values import (
    Consultation,
    OrganizationProfile,
    RemoteProvider,
    SessionInfo,
)


@dataclass(frozen=True)
class Reply:
    """A success envelope: its `data`, `metadata.requestId` and the rate-limit header."""

    data: Any
    request_id: str
    rate_limit_remaining: int | None


class Malformed(Exception):
    """A success body we cannot read; the message is the field path (never the value)."""


class ResultReader:
    """Builds results; `parse_datetime` is the client's (organization time zone)."""

    def __init__(self, parse_datetime: Callable[[str], datetime]) -> None:
        self._parse_datetime = parse_datetime

    def consultation(self, reply: Reply) -> Consultation:
        data = _object(reply.data, "data")
        access = _object(data.get("participantAccess"), "data.participantAccess")
        # Contract "Create a consultation": the create answer names the expiry
        # `expiredAt`, the detail answer `expiresAt`; accept either.
        expiry_field = "expiresAt" if "expiresAt" in data else "expiredAt"
        try:
            consultation_id = uuid.UUID(_string(data.get("consultationId"), "data.consultationId"))
        except ValueError:
            raise Malformed("data.consultationId") from None
        duration = data.get("durationMinutes")
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise Malformed("data.durationMinutes")
        # Contract "Lifecycle" (Decision): an unknown status is kept raw, not an error.
        status = _string(data.get("status"), "data.status")
        session = data.get("sessionInfo")
        return Consultation(
            consultation_id=consultation_id,
            access_pin=_string(data.get("accessPin"), "data.accessPin"),
            patient_url=_string(access.get("patientUrl"), "data.participantAccess.patientUrl"),
            provider_url=_string(access.get("providerUrl"), "data.participantAccess.providerUrl"),
            expires_at=self._datetime(data.get(expiry_field), f"data.{expiry_field}"),
            status=status,
            scheduled_at=self._optional_datetime(data.get("scheduledAt"), "data.scheduledAt"),
            duration_minutes=duration,
            created_at=self._optional_datetime(data.get("createdAt"), "data.createdAt"),
            updated_at=self._optional_datetime(data.get("updatedAt"), "data.updatedAt"),
            consultation_link=_optional_string(
                data.get("consultationLink"), "data.consultationLink"
            ),
            notes=_optional_string(data.get("notes"), "data.notes"),
            session_info=None if session is None else self._session_info(session),
            request_id=reply.request_id,
        )

    def providers(self, reply: Reply) -> list[RemoteProvider]:
        # Contract "Endpoints" does not show this answer: a list, or a list under
        # "providers".
        data = reply.data
        if isinstance(data, dict):
            data = data.get("providers", data.get("items"))
        if not isinstance(data, list):
            raise Malformed("data")
        return [self._provider(row, f"data[{index}]") for index, row in enumerate(data)]

    def organization_profile(self, reply: Reply) -> OrganizationProfile:
        data = _object(reply.data, "data")
        settings_block = data.get("settings")
        settings_block = settings_block if isinstance(settings_block, dict) else {}
        zone = data.get("timezone", data.get("timeZone", settings_block.get("timezone")))
        organization_id = data.get("organizationId", data.get("id"))
        return OrganizationProfile(
            name=_string(data.get("name"), "data.name"),
            timezone=_string(zone, "data.timezone"),
            request_id=reply.request_id,
            rate_limit_remaining=reply.rate_limit_remaining,
            organization_id=None if organization_id is None else str(organization_id),
        )

    def _session_info(self, value: Any) -> SessionInfo:
        info = _object(value, "data.sessionInfo")
        path = "data.sessionInfo."
        return SessionInfo(
            started_at=self._optional_datetime(info.get("startedAt"), path + "startedAt"),
            provider_joined_at=self._optional_datetime(
                info.get("providerJoinedAt"), path + "providerJoinedAt"
            ),
            patient_joined_at=self._optional_datetime(
                info.get("patientJoinedAt"), path + "patientJoinedAt"
            ),
            call_quality=_optional_string(info.get("callQuality"), path + "callQuality"),
        )

    def _provider(self, value: Any, path: str) -> RemoteProvider:
        row = _object(value, path)
        provider_id = row.get("providerId", row.get("id"))

        def text(*keys: str) -> str | None:
            found = next((row[key] for key in keys if row.get(key) is not None), None)
            return _optional_string(found, f"{path}.{keys[0]}")

        return RemoteProvider(
            name=_string(row.get("name"), f"{path}.name"),
            provider_id=None if provider_id is None else str(provider_id),
            document_type=text("documentType"),
            document_number=text("documentNumber"),
            professional_type=text("professionalType"),
            professional_type_name=text("professionalTypeName"),
            medical_specialty_code=text("specialtyCode", "medicalSpecialtyCode"),
            specialty_name=text("specialtyName"),
            phone=text("phone"),
            email=text("email"),
        )

    def _datetime(self, value: Any, path: str) -> datetime:
        try:
            return self._parse_datetime(value)
        except (TypeError, ValueError):
            raise Malformed(path) from None

    def _optional_datetime(self, value: Any, path: str) -> datetime | None:
        return None if value is None else self._datetime(value, path)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(path)
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise Malformed(path)
    return value


def _optional_string(value: Any, path: str) -> str | None:
    return None if value is None else _string(value, path)
