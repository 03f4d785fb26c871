"""A staff member's language, as saved."""

from __future__ import annotations

import pytest

from consultations.models import StaffPreference
from consultations.selectors.staff import staff_language

pytestmark = pytest.mark.django_db


def test_a_language_no_longer_offered_falls_back_to_spanish(receptionist):
    StaffPreference.objects.create(user=receptionist, language="pt")
    assert staff_language(user=receptionist) == "es"
