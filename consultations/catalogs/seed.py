"""The starter rows every new clinic gets (docs/kairo-connect-api.md "Catalogs"), loaded
by the data migration."""

from __future__ import annotations

from django.apps import apps as global_apps

from consultations.kairo import contract


def catalogs_seed(*, apps=global_apps) -> int:
    """Fill each empty catalog table with its starter rows; leave a table with rows alone.

    The rule is per table: once a table has any row, the clinic owns it, so a starter
    row an admin deleted is never re-created and an edited one never overwritten (a
    get-or-create per code would bring a deleted row back on every `make run`).
    Returns how many rows were created. Used by the data migration and `load_catalogs`.
    """
    ProfessionalType = apps.get_model("consultations", "ProfessionalType")
    MedicalSpecialty = apps.get_model("consultations", "MedicalSpecialty")
    ConsultationType = apps.get_model("consultations", "ConsultationType")
    Duration = apps.get_model("consultations", "Duration")
    starter_rows = {
        ProfessionalType: [
            ProfessionalType(
                code=row.code,
                name=row.name,
                requires_specialty=row.requires_specialty,
                is_confirmed=row.confirmed,
            )
            for row in contract.PROFESSIONAL_TYPES
        ],
        MedicalSpecialty: [
            MedicalSpecialty(
                code=row.code, name=row.name, is_confirmed=row.confirmed, kairo_id=row.kairo_id
            )
            for row in contract.MEDICAL_SPECIALTIES
        ],
        ConsultationType: [
            ConsultationType(
                code=row.code,
                name=row.name,
                description=row.description,
                is_confirmed=row.confirmed,
            )
            for row in contract.CONSULTATION_TYPES
        ],
        Duration: [
            Duration(minutes=minutes, recommended_use=use) for minutes, use in contract.DURATIONS
        ],
    }
    created = 0
    for model, rows in starter_rows.items():
        if not model.objects.exists():
            created += len(model.objects.bulk_create(rows))
    return created
