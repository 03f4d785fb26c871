"""A patient on file and what staff type for them, for the tests of each entry point that
guards a patient's identity (booking service and page, patient page, admin)."""

from __future__ import annotations

from consultations.models import Patient
from tests.factories import ProfessionalTypeFactory

STORED_NAME = "Jorge Iván Pérez"
TYPED_NAME = "Juan Camilo Gómez"


def snapshot(patient: Patient) -> tuple:
    patient.refresh_from_db()
    return (
        patient.name,
        str(patient.phone),
        patient.email,
        patient.preferred_language,
        patient.updated_at,
    )


TYPED_DOCUMENTS = [
    "1.020.304.050",
    "1020 304 050",
    "1020-304-050",
    "1 020.304-050",
    "１０２０３０４０５０",  # full-width digits (an East Asian keyboard)
    "1020\u200b304\u00a0050",  # a zero-width and a no-break space, pasted from a document
]


def new_patient_post(document_number: str) -> dict:
    """A new patient's form POST with `document_number` as typed."""
    return {
        "document_type": "CC",
        "document_number": document_number,
        "name": TYPED_NAME,
        "phone": "300 123 4567",
        "email": "juan@correo.example",
        "preferred_language": "es",
    }


def provider_post(typed: str) -> dict:
    return {
        "name": "Dr. Camilo Andrés Torres",
        "document_type": "CC",
        "document_number": typed,
        "professional_type": ProfessionalTypeFactory().pk,
        "specialty": "",
        "phone": "+57 310 555 0101",
        "email": "camilo@clinic.test",
        "professional_license": "",
        "is_active": "on",
    }
