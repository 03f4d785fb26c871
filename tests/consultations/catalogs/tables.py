"""The catalog tables in tests: the CSV files under tests/fixtures/catalogs/, and every
row, to prove that an import changed nothing."""

from __future__ import annotations

from pathlib import Path

from consultations.models import ConsultationType, Duration, MedicalSpecialty, ProfessionalType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalogs"
CATALOG_MODELS = (ProfessionalType, MedicalSpecialty, ConsultationType, Duration)


def snapshot() -> dict[str, list[dict]]:
    """Every catalog row, to prove that an import changed nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in CATALOG_MODELS}
