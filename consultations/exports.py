"""The consultations list as a CSV file: its rows, cells a spreadsheet will not run, and
the streamed text.

Two flavours, chosen by the link staff follow: semicolons for Excel with Colombian
settings, commas for everything else. Times are on the organization's clock; documents
are masked; no PIN, join link or full document ever goes in a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from consultations.clock import SHORT_MOMENT_FORMAT, organization_zone
from consultations.models import Consultation, ConsultationStatus, document_masked

# The cell separator of each export format. Excel reads a CSV with the list separator of
# the computer's regional settings: ";" in Colombia (where "," is the decimal mark), ","
# in the United States and for most other programs.
CSV_DELIMITERS = {"excel": ";", "csv": ","}

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# tab and carriage return are in OWASP's list too.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Text of one CSV cell, quoted with a leading apostrophe if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


# What a row of the export reads: plain columns (no model instances, so no phone or
# other field of the four tables is parsed per row), in the order of the header.
_EXPORT_COLUMNS = (
    "pk",
    "starts_at",
    "ends_at",
    "immediate",
    "status",
    "provider__name",
    "patient__name",
    "patient__document_type",
    "patient__document_number",
    "consultation_type__name",
    "duration_id",
    "kairo_consultation_id",
    "created_at",
)

# `Consultation.is_immediate` as the database computes it: a flag is cheaper to read
# than the moment it is derived from.
_IMMEDIATE = ExpressionWrapper(Q(scheduled_for__isnull=True), output_field=BooleanField())

# Rows read from the database per round trip (a server-side cursor on PostgreSQL).
FETCH_ROWS = 2000

# The streamed body is sent in pieces of about this many characters, not a line at a
# time: a line per write would be tens of thousands of small writes for a month.
STREAM_PIECE_CHARS = 64 * 1024


def consultation_export_rows(queryset: QuerySet[Consultation]) -> Iterator[list[str]]:
    """The header and one row per consultation, documents masked, times in the clinic's
    zone. Streams from the database in chunks; no PIN, join link or full document.

    Labels (yes/no, statuses) are translated once, in the language active when the
    rows are read, and every moment is put on the one organization zone."""
    yield [
        _("Consultation"),
        _("Starts"),
        _("Ends"),
        _("Time zone"),
        _("Immediate"),
        _("Status"),
        _("Provider"),
        _("Patient"),
        _("Patient document"),
        _("Consultation type"),
        _("Minutes"),
        _("Kairo consultation id"),
        _("Booked at"),
    ]
    zone = organization_zone()
    zone_name = csv_cell(settings.ORGANIZATION_TIME_ZONE)
    immediate_labels = {True: csv_cell(_("yes")), False: csv_cell(_("no"))}
    status_labels = {value: csv_cell(label) for value, label in ConsultationStatus.choices}

    def local(moment: dt.datetime | None) -> str:
        return "" if moment is None else moment.astimezone(zone).strftime(SHORT_MOMENT_FORMAT)

    for (
        pk,
        starts_at,
        ends_at,
        immediate,
        status,
        provider_name,
        patient_name,
        document_type,
        document_number,
        type_name,
        minutes,
        kairo_id,
        created_at,
    ) in (
        queryset.annotate(immediate=_IMMEDIATE)
        .values_list(*_EXPORT_COLUMNS)
        .iterator(chunk_size=FETCH_ROWS)
    ):
        yield [
            str(pk),
            local(starts_at),
            local(ends_at),
            zone_name,
            immediate_labels[bool(immediate)],
            status_labels.get(status) or csv_cell(status),
            csv_cell(provider_name),
            csv_cell(patient_name),
            csv_cell(document_masked(document_type, document_number)),
            csv_cell(type_name),
            str(minutes),
            "" if kairo_id is None else str(kairo_id),
            local(created_at),
        ]


def csv_stream(rows: Iterator[list[str]], *, language: str, delimiter: str) -> Iterator[str]:
    """The text of the file, in pieces, for a streaming response: `rows` written with
    `delimiter`, in `language` (the body is produced after the view returns). The first
    piece is the header alone, so the download starts before the rows are read."""
    # The byte-order mark lets Excel, which the clinic uses, read accents as UTF-8. No
    # "sep=;" first line: Excel then ignores the byte-order mark and garbles the accents,
    # and other programs read the line as data; the format is chosen by the link instead.
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    with translation.override(language):
        buffer.write("\ufeff")
        for number, row in enumerate(rows):
            writer.writerow(row)
            if number == 0 or buffer.tell() >= STREAM_PIECE_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()
