"""`manage.py import_catalog`: each row printed, exit 1 on rejected rows, 2 on a broken
or missing file."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from consultations.models import MedicalSpecialty
from tests.consultations.catalogs.tables import FIXTURES, snapshot

pytestmark = pytest.mark.django_db


# --- The management command ----------------------------------------------------------------


def run_command(*args: str) -> tuple[str, CommandError | None]:
    """Run the command in English (its lines are translatable), returning stdout and error."""
    out = io.StringIO()
    try:
        with translation.override("en"):
            call_command("import_catalog", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_command_imports_a_good_file_and_prints_each_row():
    out, error = run_command("specialties", str(FIXTURES / "specialties.csv"))

    assert error is None
    assert "line 3: NE001" in out
    assert "line 2: CA003" in out
    assert MedicalSpecialty.objects.get(code="NE001").kairo_id == 17


def test_command_exits_1_on_rejected_rows_listing_lines_and_codes():
    before = snapshot()

    out, error = run_command("durations", str(FIXTURES / "durations-with-55.csv"))

    assert error is not None and error.returncode == 1
    assert "line 3: 55" in out and "[invalid_choice]" in out
    assert snapshot() == before


def test_command_exits_2_on_a_broken_file(tmp_path):
    garbage = tmp_path / "table.csv"
    garbage.write_bytes(bytes(range(256)))

    out, error = run_command("specialties", str(garbage))

    assert error is not None and error.returncode == 2
    assert "[not_text]" in str(error)


def test_command_exits_2_when_the_file_does_not_exist(tmp_path):
    _out, error = run_command("specialties", str(tmp_path / "missing.csv"))

    assert error is not None and error.returncode == 2


def test_command_dry_run_saves_nothing():
    before = snapshot()

    out, error = run_command("specialties", str(FIXTURES / "specialties.csv"), "--dry-run")

    assert error is None
    assert "line 3: NE001" in out
    assert snapshot() == before


def test_command_refuses_an_unknown_kind():
    with pytest.raises(CommandError):
        call_command("import_catalog", "specialities", str(FIXTURES / "specialties.csv"))
