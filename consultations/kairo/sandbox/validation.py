"""Validation of `POST /consultations` bodies, exactly as the contract states it.

docs/kairo-connect-api.md, "Create a consultation" and "Errors". Every problem is
collected, keyed by the request field path (`provider.name`, `scheduledAt`); the
envelope's `code` is the code of the first problem in the contract's field order, and
`details` holds them all. Messages never repeat the submitted value (it may be patient
data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from consultations.kairo import contract

_PHONE = re.compile(contract.INTERNATIONAL_PHONE_PATTERN)
# Deliberately simple: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WIRE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


@dataclass(frozen=True)
class Catalogs:
    """The sandbox's own catalogs: the codes of contract "Catalogs" plus the starter rows."""

    professional_types: dict[str, contract.CatalogRow]
    consultation_types: dict[str, contract.CatalogRow]
    specialties: dict[str, tuple[int, contract.CatalogRow]]  # code -> (Kairo id, row)

    @classmethod
    def starter(cls) -> Catalogs:
        return cls(
            professional_types={row.code: row for row in contract.PROFESSIONAL_TYPES},
            consultation_types={row.code: row for row in contract.CONSULTATION_TYPES},
            specialties={
                row.code: (row.kairo_id or index, row)
                for index, row in enumerate(contract.MEDICAL_SPECIALTIES, start=1)
            },
        )


@dataclass
class CreateCheck:
    """The outcome of validating one create body."""

    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (code, path, message)
    scheduled_at: datetime | None = None

    def add(self, code: str, path: str, message: str) -> None:
        self.errors.append((code, path, message))

    @property
    def code(self) -> str:
        return self.errors[0][0]

    @property
    def details(self) -> dict[str, list[str]]:
        details: dict[str, list[str]] = {}
        for _code, path, message in self.errors:
            details.setdefault(path, []).append(message)
        return details


def validate_create(
    payload: Any, *, now: datetime, timezone: ZoneInfo, catalogs: Catalogs
) -> CreateCheck:
    """Check a create body against every rule of the contract; never raises."""
    check = CreateCheck()
    if not isinstance(payload, dict):
        check.add(contract.ERROR_VALIDATION, "body", "The body must be a JSON object.")
        return check

    provider = _section(payload, "provider", check)
    if provider is not None:
        name = _text(provider, "provider.name", check)
        if name is not None and not (
            contract.PROVIDER_NAME_MIN <= len(name) <= contract.PROVIDER_NAME_MAX
        ):
            check.add(
                contract.ERROR_VALIDATION,
                "provider.name",
                f"Must be {contract.PROVIDER_NAME_MIN} to {contract.PROVIDER_NAME_MAX} characters.",
            )
        _document(provider, "provider", check)
        professional_type = _text(provider, "provider.professionalType", check)
        row = catalogs.professional_types.get(professional_type or "")
        if professional_type is not None and row is None:
            check.add(
                contract.ERROR_VALIDATION,
                "provider.professionalType",
                "Unknown professional type code.",
            )
        _specialty(provider, row, catalogs, check)
        _contact(provider, "provider", check)
        license_number = provider.get("professionalLicense")
        if license_number is not None and not isinstance(license_number, str):
            check.add(
                contract.ERROR_VALIDATION, "provider.professionalLicense", "Must be a string."
            )

    patient = _section(payload, "patient", check)
    if patient is not None:
        _document(patient, "patient", check)
        _text(patient, "patient.name", check)
        _contact(patient, "patient", check)

    consultation_type = _text(payload, "consultationType", check)
    if consultation_type is not None and consultation_type not in catalogs.consultation_types:
        check.add(contract.ERROR_VALIDATION, "consultationType", "Unknown consultation type code.")

    # Contract "Create a consultation" (Decision): a missing duration is refused, not
    # defaulted to 30.
    duration = payload.get("durationMinutes")
    if duration is None:
        check.add(contract.ERROR_VALIDATION, "durationMinutes", "This field is required.")
    elif (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or duration not in contract.ALLOWED_DURATIONS
    ):
        allowed = ", ".join(str(minutes) for minutes in contract.ALLOWED_DURATIONS)
        check.add(contract.ERROR_VALIDATION, "durationMinutes", f"Must be one of {allowed}.")

    check.scheduled_at = _scheduled_at(payload.get("scheduledAt"), now, timezone, check)
    return check


def _section(payload: dict[str, Any], name: str, check: CreateCheck) -> dict[str, Any] | None:
    value = payload.get(name)
    if value is None:
        check.add(contract.ERROR_VALIDATION, name, "This field is required.")
        return None
    if not isinstance(value, dict):
        check.add(contract.ERROR_VALIDATION, name, "Must be an object.")
        return None
    return value


def _text(section: dict[str, Any], path: str, check: CreateCheck) -> str | None:
    """A required, non-blank string at `path` (its last segment is the key)."""
    value = section.get(path.rsplit(".", 1)[-1])
    if value is None or (isinstance(value, str) and not value.strip()):
        check.add(contract.ERROR_VALIDATION, path, "This field is required.")
        return None
    if not isinstance(value, str):
        check.add(contract.ERROR_VALIDATION, path, "Must be a string.")
        return None
    return value


def _document(section: dict[str, Any], prefix: str, check: CreateCheck) -> None:
    document_type = _text(section, f"{prefix}.documentType", check)
    if document_type is not None and document_type not in contract.DOCUMENT_TYPE_CODES:
        codes = ", ".join(code for code, _ in contract.DOCUMENT_TYPES)
        check.add(contract.ERROR_VALIDATION, f"{prefix}.documentType", f"Must be one of {codes}.")
    number = _text(section, f"{prefix}.documentNumber", check)
    if number is not None and not (
        contract.DOCUMENT_NUMBER_MIN <= len(number) <= contract.DOCUMENT_NUMBER_MAX
    ):
        check.add(
            contract.ERROR_VALIDATION,
            f"{prefix}.documentNumber",
            f"Must be {contract.DOCUMENT_NUMBER_MIN} to {contract.DOCUMENT_NUMBER_MAX} characters.",
        )


def _contact(section: dict[str, Any], prefix: str, check: CreateCheck) -> None:
    phone = _text(section, f"{prefix}.phone", check)
    if phone is not None and not _PHONE.match(phone):
        check.add(
            contract.ERROR_VALIDATION,
            f"{prefix}.phone",
            "Must be in international format, e.g. +573001234567.",
        )
    email = _text(section, f"{prefix}.email", check)
    if email is not None and not _EMAIL.match(email):
        check.add(contract.ERROR_VALIDATION, f"{prefix}.email", "Must be a valid email address.")


def _specialty(
    provider: dict[str, Any],
    row: contract.CatalogRow | None,
    catalogs: Catalogs,
    check: CreateCheck,
) -> None:
    path = "provider.medicalSpecialtyCode"
    code = provider.get("medicalSpecialtyCode")
    # An explicit null or empty string counts as absent.
    present = code is not None and code != ""
    if row is None:
        return  # unknown professional type: already reported
    if row.requires_specialty:
        if not present:
            check.add(
                contract.ERROR_SPECIALTY_REQUIRED, path, "A specialist needs a specialty code."
            )
        elif not isinstance(code, str) or code not in catalogs.specialties:
            check.add(contract.ERROR_VALIDATION, path, "Unknown medical specialty code.")
    elif present:
        check.add(
            contract.ERROR_INVALID_SPECIALTY,
            path,
            "Only a specialist professional type takes a specialty code.",
        )


def _scheduled_at(
    value: Any, now: datetime, timezone: ZoneInfo, check: CreateCheck
) -> datetime | None:
    """Contract "Create a consultation": absent = immediate; else `yyyy-MM-dd HH:mm` in
    the organization's zone, in the future, and at least 15 minutes ahead (Decision:
    exactly 15 is accepted)."""
    path = "scheduledAt"
    if value is None:
        return None
    if not isinstance(value, str) or not _WIRE_DATETIME.match(value):
        check.add(contract.ERROR_INVALID_DATE_FORMAT, path, "Must be yyyy-MM-dd HH:mm.")
        return None
    try:
        naive = datetime.strptime(value, contract.WIRE_DATETIME_FORMAT)  # noqa: DTZ007
    except ValueError:
        check.add(contract.ERROR_INVALID_DATE_FORMAT, path, "Must be a real date and time.")
        return None
    # In UTC from here on: adding a duration to a zone-aware datetime is wall-clock
    # arithmetic, wrong across a daylight-saving change.
    scheduled = naive.replace(tzinfo=timezone).astimezone(UTC)
    if scheduled <= now:
        check.add(contract.ERROR_INVALID_DATE_PAST, path, "Must be in the future.")
    elif scheduled - now < contract.MIN_NOTICE:
        minutes = int(contract.MIN_NOTICE.total_seconds() // 60)
        check.add(
            contract.ERROR_INVALID_DATE_TOO_SOON, path, f"Must be at least {minutes} minutes ahead."
        )
    return scheduled
