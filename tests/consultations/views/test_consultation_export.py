"""The consultations export read as plain columns: every cell as the model shows it,
streamed in pieces, and a statement budget that does not grow with the rows."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import uuid
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations import exports
from consultations.models import ConsultationStatus
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BOGOTA)


def _body(response) -> tuple[list[bytes], list[list[str]]]:
    """The streamed pieces and the rows they make (the BOM dropped)."""
    assert response.status_code == 200
    pieces = list(response.streaming_content)
    raw = b"".join(pieces)
    assert raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8")[1:]
    return pieces, list(csv.reader(io.StringIO(text, newline="")))


def test_every_cell_is_what_the_consultation_shows(reception_client):
    kairo_id = uuid.uuid4()
    scheduled = ConsultationFactory(
        starts_at=at(2026, 3, 10, 9, 0),
        minutes=20,
        provider=ProviderFactory(name="Dra. Celda Completa"),
        patient=PatientFactory(name="Ana Celda", document_type="PA", document_number="AB12345"),
        kairo_consultation_id=kairo_id,
        status=ConsultationStatus.CANCELLED,
    )
    immediate = ConsultationFactory(starts_at=at(2026, 3, 10, 8, 0), immediate=True)
    _pieces, rows = _body(reception_client.get(reverse("consultation_export")))
    by_id = {row[0]: row for row in rows[1:]}
    row = by_id[str(scheduled.pk)]
    scheduled.refresh_from_db()
    assert row == [
        str(scheduled.pk),
        "2026-03-10 09:00",
        "2026-03-10 09:20",
        "America/Bogota",
        "no",
        "Cancelada",
        "Dra. Celda Completa",
        "Ana Celda",
        "PA •••2345",
        scheduled.consultation_type.name,
        "20",
        str(kairo_id),
        scheduled.created_at.astimezone(BOGOTA).strftime("%Y-%m-%d %H:%M"),
    ]
    other = by_id[str(immediate.pk)]
    assert other[4] == "sí"
    assert other[11] == ""


def test_the_header_is_sent_before_the_rows_and_the_rows_in_pieces(reception_client, monkeypatch):
    monkeypatch.setattr(exports, "STREAM_PIECE_CHARS", 300)
    start = at(2026, 3, 10, 7, 0)
    for n in range(12):
        ConsultationFactory(starts_at=start + dt.timedelta(minutes=30 * n))
    response = reception_client.get(reverse("consultation_export"))
    assert "no-store" in response["Cache-Control"]
    pieces, rows = _body(response)
    header = pieces[0].decode("utf-8")
    assert header.count("\n") == 1 and header.startswith("\ufeffConsulta,")
    # Several rows per piece, not a write per line, and every row arrives.
    assert 2 < len(pieces) < 13
    assert len(rows) == 13 and all(len(row) == 13 for row in rows)


def test_export_statements_do_not_grow_with_the_rows_or_the_fetches(reception_client, monkeypatch):
    """Read in fetches of 4 rows: 2 rows or 40, the same statements."""
    monkeypatch.setattr(exports, "FETCH_ROWS", 4)
    start = at(2026, 3, 10, 7, 0)

    def statements() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            _pieces, rows = _body(reception_client.get(reverse("consultation_export")))
        return len(queries), len(rows)

    for n in range(2):
        ConsultationFactory(starts_at=start + dt.timedelta(minutes=30 * n))
    statements()  # the session's first page reads warm it
    few, few_rows = statements()
    for n in range(2, 40):
        ConsultationFactory(
            starts_at=start + dt.timedelta(minutes=30 * n), patient=PatientFactory()
        )
    many, many_rows = statements()
    assert (few_rows, many_rows) == (3, 41)
    assert few == many
