"""The CSV export's cells: formulas neutralized."""

from __future__ import annotations

import pytest

from consultations.exports import csv_cell

pytestmark = pytest.mark.django_db


# --- CSV export -----------------------------------------------------------------------------------


def test_csv_cell_guard():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("\tx") == "'\tx"
    assert csv_cell("Ana") == "Ana"
    assert csv_cell(12) == "12"
    assert csv_cell(None) == ""
