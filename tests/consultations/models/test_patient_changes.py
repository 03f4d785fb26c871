"""The masks a patient's recorded changes use."""

from __future__ import annotations

import pytest

from consultations.models.patient_changes import masked_email, masked_name, masked_phone

pytestmark = pytest.mark.django_db


# --- Masks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (masked_name, "Juan Camilo Gómez", "J. C. G."),
        (masked_name, "  ana   ruiz ", "A. R."),
        (masked_email, "juan.gomez@correo.example", "j***@c***.example"),
        (masked_email, "x@mail.clinica.example.co", "x***@m***.clinica.example.co"),
        (masked_email, "not-an-address", "***"),
        (masked_phone, "+573001234567", "•••567"),
    ],
)
def test_masks(mask, value, expected):
    assert mask(value) == expected
