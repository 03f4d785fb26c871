"""What `KairoClient` sends: the create request's JSON body and the query parameters,
in the wire's camelCase names (docs/kairo-connect-api.md "Endpoints", and "Create a
consultation" for the body)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from consultations.kairo.client.values import CreateConsultationRequest


def create_body(
    request: CreateConsultationRequest, *, scheduled_at: Callable[[datetime], str]
) -> dict[str, Any]:
    """The JSON body of POST /consultations for `request`; `scheduled_at` writes its
    moment in the wire format (the client's `format_datetime`, which raises ValueError
    for a naive or non-whole-minute time)."""
    provider = request.provider
    provider_body: dict[str, Any] = {
        "name": provider.name,
        "documentType": provider.document_type,
        "documentNumber": provider.document_number,
        "professionalType": provider.professional_type,
        "phone": provider.phone,
        "email": provider.email,
    }
    # Contract "Create a consultation": the specialty must be absent for every
    # non-specialist type.
    if provider.medical_specialty_code:
        provider_body["medicalSpecialtyCode"] = provider.medical_specialty_code
    if provider.professional_license:
        provider_body["professionalLicense"] = provider.professional_license
    patient = request.patient
    body: dict[str, Any] = {
        "provider": provider_body,
        "patient": {
            "documentType": patient.document_type,
            "documentNumber": patient.document_number,
            "name": patient.name,
            "phone": patient.phone,
            "email": patient.email,
        },
        "consultationType": request.consultation_type,
        # Contract "Create a consultation" (Decision): always sent, although the guide
        # once says it defaults.
        "durationMinutes": request.duration_minutes,
    }
    if request.scheduled_at is not None:
        body["scheduledAt"] = scheduled_at(request.scheduled_at)
    return body


def query_params(filters: Mapping[str, Any]) -> dict[str, Any]:
    """`filters` given in snake_case (`document_number=...`) as camelCase query
    parameters; None values are left out."""
    return {_camel(name): value for name, value in filters.items() if value is not None}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
