"""`load_catalogs`: seeds an empty table, leaves a table with rows alone."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from consultations.kairo import contract
from consultations.models import ConsultationType, Duration, MedicalSpecialty, ProfessionalType
from tests.consultations.catalogs.tables import snapshot

pytestmark = pytest.mark.django_db


# --- Seeding the starter rows (`load_catalogs`, migration 0002) ----------------------------


def load_catalogs() -> str:
    out = io.StringIO()
    call_command("load_catalogs", stdout=out)
    return out.getvalue()


def test_load_catalogs_leaves_a_table_with_rows_alone():
    MedicalSpecialty.objects.get(code="PQ001").delete()
    ProfessionalType.objects.filter(code="Enfermero").update(name="Enfermera jefe")
    Duration.objects.filter(minutes=10).delete()
    before = snapshot()

    output = load_catalogs()

    assert "0 row(s) created" in output
    assert snapshot() == before
    assert not MedicalSpecialty.objects.filter(code="PQ001").exists()
    assert ProfessionalType.objects.get(code="Enfermero").name == "Enfermera jefe"
    assert not Duration.objects.filter(minutes=10).exists()


def test_load_catalogs_seeds_an_empty_table_and_only_that_one():
    MedicalSpecialty.objects.all().delete()
    ConsultationType.objects.filter(code="ConsultaControl").delete()

    output = load_catalogs()

    assert f"{len(contract.MEDICAL_SPECIALTIES)} row(s) created" in output
    assert set(MedicalSpecialty.objects.values_list("code", flat=True)) == {
        row.code for row in contract.MEDICAL_SPECIALTIES
    }
    assert not ConsultationType.objects.filter(code="ConsultaControl").exists()
