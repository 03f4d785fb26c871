"""The starter rows every new clinic gets (contract "Catalogs"), loaded by the data migration."""

from __future__ import annotations

from django.apps import apps as global_apps

from consultations.kairo import contract


def catalogs_seed(*, apps=global_apps) -> int:
    """Create any missing starter row; never overwrite what an admin edited.

    Returns how many rows were created. Used by the data migration and `load_catalogs`.
    """
    ProfessionalType = apps.get_model("consultations", "ProfessionalType")
    MedicalSpecialty = apps.get_model("consultations", "MedicalSpecialty")
    ConsultationType = apps.get_model("consultations", "ConsultationType")
    Duration = apps.get_model("consultations", "Duration")
    created = 0
    for row in contract.PROFESSIONAL_TYPES:
        created += ProfessionalType.objects.get_or_create(
            code=row.code,
            defaults={
                "name": row.name,
                "requires_specialty": row.requires_specialty,
                "is_confirmed": row.confirmed,
            },
        )[1]
    for row in contract.MEDICAL_SPECIALTIES:
        created += MedicalSpecialty.objects.get_or_create(
            code=row.code,
            defaults={"name": row.name, "is_confirmed": row.confirmed, "kairo_id": row.kairo_id},
        )[1]
    for row in contract.CONSULTATION_TYPES:
        created += ConsultationType.objects.get_or_create(
            code=row.code,
            defaults={
                "name": row.name,
                "description": row.description,
                "is_confirmed": row.confirmed,
            },
        )[1]
    for minutes, use in contract.DURATIONS:
        created += Duration.objects.get_or_create(
            minutes=minutes, defaults={"recommended_use": use}
        )[1]
    return created
