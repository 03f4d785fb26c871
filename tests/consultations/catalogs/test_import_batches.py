"""catalog_import in batches: statements grow with the batches, not the rows; each row
still sees the rows before it; a batch the database refuses is reported row by row."""

from __future__ import annotations

import math

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.catalogs import catalog_import, writing
from consultations.models import MedicalSpecialty
from tests.consultations.catalogs.tables import snapshot
from tests.factories import MedicalSpecialtyFactory, UserFactory

pytestmark = pytest.mark.django_db

BATCH = 100


def specialties(count: int, *, suffix: str = "") -> bytes:
    rows = "".join(f"ZZ{n:05d},Especialidad {n}{suffix},{70000 + n},si\n" for n in range(count))
    return ("code,name,kairo_id,active\n" + rows).encode()


def statements(data: bytes, user) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        report = catalog_import(kind="specialties", file=data, user=user)
    assert report.ok, report.rejected[:3]
    return len(queries), report


@pytest.mark.parametrize("suffix", ["", " (corregida)"], ids=["created", "updated"])
def test_statements_grow_with_the_batches_not_the_rows(monkeypatch, suffix):
    monkeypatch.setattr(writing, "BATCH_ROWS", BATCH)
    user = UserFactory()
    if suffix:  # the rows exist: the import updates them
        catalog_import(kind="specialties", file=specialties(1000))
    few, few_report = statements(specialties(10, suffix=suffix), user)
    if suffix:  # changed again, so that all 1,000 are updates
        MedicalSpecialty.objects.update(name="otro")
    else:  # gone again, so that all 1,000 are new
        MedicalSpecialty.objects.filter(code__startswith="ZZ").delete()
    many, many_report = statements(specialties(1000, suffix=suffix), user)

    done = "updated" if suffix else "created"
    assert len(getattr(few_report, done)) == 10
    assert len(getattr(many_report, done)) == 1000
    # A savepoint, the rows' one statement, its release and the history's insert.
    extra_batches = math.ceil(1000 / BATCH) - 1
    assert many - few <= 4 * extra_batches
    assert many < 1000 / 10
    assert (
        LogEntry.objects.filter(user=user, action_flag=CHANGE if suffix else ADDITION).count()
        == 1010
    )


def test_a_row_sees_the_rows_before_it_as_saved():
    MedicalSpecialtyFactory(code="ZZ001", name="Zeta", kairo_id=17)
    # Line 2 gives up Kairo id 17 and line 3 takes it: fine, in this order...
    report = catalog_import(
        kind="specialties",
        file=b"code,name,kairo_id\nZZ001,Zeta,18\nNE001,Neurolog\xc3\xada,17\n",
    )
    assert report.ok and report.applied
    kairo_ids = dict(MedicalSpecialty.objects.values_list("code", "kairo_id"))
    assert (kairo_ids["ZZ001"], kairo_ids["NE001"]) == (18, 17)


def test_a_kairo_id_still_held_by_a_later_line_is_refused():
    MedicalSpecialtyFactory(code="ZZ001", name="Zeta", kairo_id=17)
    before = snapshot()
    # ...but not the other way round: when line 2 is read, ZZ001 still holds 17.
    report = catalog_import(
        kind="specialties",
        file=b"code,name,kairo_id\nNE001,Neurolog\xc3\xada,17\nZZ001,Zeta,18\n",
    )
    assert [(row.line, [p.code for p in row.problems]) for row in report.rejected] == [
        (2, ["unique"])
    ]
    assert report.rejected[0].problems[0].column == "kairo_id"
    assert snapshot() == before


def test_a_batch_the_database_refuses_is_reported_by_line_and_nothing_is_saved(monkeypatch):
    """As if another session had stored CA003 after the import read the table."""
    MedicalSpecialtyFactory(code="CA003")
    monkeypatch.setattr(writing, "BATCH_ROWS", 2)
    real = writing.stored_rows
    monkeypatch.setattr(
        "consultations.catalogs.importer.stored_rows",
        lambda model, key: {k: v for k, v in real(model, key).items() if k != "CA003"},
    )
    before = snapshot()
    report = catalog_import(
        kind="specialties",
        file=b"code,name\nZZ001,Uno\nCA003,Cardio\nZZ002,Dos\nZZ003,Tres\n",
    )
    assert [(row.line, row.key, row.problems[0].code) for row in report.rejected] == [
        (3, "CA003", "integrity_error")
    ]
    assert [row.key for row in report.created] == ["ZZ001", "ZZ002", "ZZ003"]
    assert not report.applied
    assert snapshot() == before
