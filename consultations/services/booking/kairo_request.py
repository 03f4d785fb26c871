"""Our rows as the Kairo client's typed request (the Kairo package knows no models)."""

from __future__ import annotations

from consultations.kairo import client as kairo
from consultations.models import Consultation


def kairo_request_build(consultation: Consultation) -> kairo.CreateConsultationRequest:
    """Our rows as the client's typed request (the Kairo package knows no models)."""
    provider = consultation.provider
    patient = consultation.patient
    specialty = provider.specialty
    return kairo.CreateConsultationRequest(
        provider=kairo.ProviderData(
            name=provider.name,
            document_type=provider.document_type,
            document_number=provider.document_number,
            professional_type=provider.professional_type.code,
            phone=str(provider.phone),
            email=provider.email,
            medical_specialty_code=specialty.code if specialty is not None else None,
            professional_license=provider.professional_license or None,
        ),
        patient=kairo.PatientData(
            document_type=patient.document_type,
            document_number=patient.document_number,
            name=patient.name,
            phone=str(patient.phone),
            email=patient.email,
        ),
        consultation_type=consultation.consultation_type.code,
        duration_minutes=consultation.duration_id,
        scheduled_at=consultation.scheduled_for,
    )
