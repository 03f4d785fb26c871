"""The consultations list as a CSV file: its rows, cells a spreadsheet will not run, and
the streamed text.

Two flavours, chosen by the link staff follow: semicolons for Excel with Colombian
settings, commas for everything else. Times are on the organization's clock; documents
are masked; no PIN, join link or full document ever goes in a file.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from consultations.clock import short_moment
from consultations.models import Consultation

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


def consultation_export_rows(queryset: QuerySet[Consultation]) -> Iterator[list[str]]:
    """The header and one row per consultation, documents masked, times in the clinic's
    zone. Streams from the database in chunks; no PIN, join link or full document."""
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
    for consultation in queryset.iterator(chunk_size=500):
        yield [
            csv_cell(value)
            for value in (
                consultation.pk,
                _local_text(consultation.starts_at),
                _local_text(consultation.ends_at),
                settings.ORGANIZATION_TIME_ZONE,
                _("yes") if consultation.is_immediate else _("no"),
                consultation.get_status_display(),
                consultation.provider.name,
                consultation.patient.name,
                consultation.patient.masked_document,
                consultation.consultation_type.name,
                consultation.duration_id,
                consultation.kairo_consultation_id or "",
                _local_text(consultation.created_at),
            )
        ]


def csv_stream(rows: Iterator[list[str]], *, language: str, delimiter: str) -> Iterator[str]:
    """The text of the file, a line at a time, for a streaming response: `rows` written
    with `delimiter`, in `language` (the body is produced after the view returns)."""
    # The byte-order mark lets Excel, which the clinic uses, read accents as UTF-8. No
    # "sep=;" first line: Excel then ignores the byte-order mark and garbles the accents,
    # and other programs read the line as data; the format is chosen by the link instead.
    writer = csv.writer(_Echo(), delimiter=delimiter)
    with translation.override(language):
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _local_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else short_moment(moment)
