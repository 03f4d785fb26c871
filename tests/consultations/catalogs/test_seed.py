"""The starter rows (migration 0002, `load_catalogs`): every value the contract names."""

from __future__ import annotations

import pytest

from consultations.kairo import contract
from consultations.models import ConsultationType, Duration, MedicalSpecialty, ProfessionalType

pytestmark = pytest.mark.django_db


# --- Seeding the starter rows (`load_catalogs`, migration 0002) ----------------------------

# Every value named in docs/kairo-connect-api.md, "Create a consultation" and "Catalogs".
CONTRACT_CODES = {
    ProfessionalType: {"MedicoGeneral", "MedicoEspecialista", "Psicologo"},
    ConsultationType: {"ConsultaGeneral", "ConsultaUrgencias"},
    MedicalSpecialty: {"CA003"},
}


def test_the_seed_has_every_value_the_contract_names():
    for model, codes in CONTRACT_CODES.items():
        assert codes <= set(model.objects.values_list("code", flat=True)), model
    assert list(Duration.objects.values_list("minutes", flat=True)) == list(
        contract.ALLOWED_DURATIONS
    )
    assert not Duration.objects.filter(minutes=55).exists()
    # Named by the contract with their display names, so confirmed.
    for model in (ProfessionalType, ConsultationType):
        confirmed = model.objects.filter(code__in=CONTRACT_CODES[model], is_confirmed=True)
        assert set(confirmed.values_list("code", flat=True)) == CONTRACT_CODES[model]
    assert ProfessionalType.objects.get(code="MedicoEspecialista").requires_specialty
    assert ProfessionalType.objects.get(code="MedicoGeneral").name == "Médico General"
    # The contract names the code CA003 but not its name or Kairo id ("Catalogs"): the
    # seeded name is a guess, so the row stays unconfirmed until checked against the
    # official table.
    assert MedicalSpecialty.objects.get(code="CA003").is_confirmed is False
