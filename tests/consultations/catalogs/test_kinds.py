"""The importable catalogs and their columns."""

from __future__ import annotations

import pytest

from consultations.catalogs import CATALOG_KINDS

pytestmark = pytest.mark.django_db


def test_every_kind_names_its_required_columns():
    assert {kind: spec.required_columns for kind, spec in CATALOG_KINDS.items()} == {
        "professional-types": ("code", "name", "requires_specialty"),
        "specialties": ("code", "name"),
        "consultation-types": ("code", "name"),
        "durations": ("minutes", "recommended_use"),
    }
