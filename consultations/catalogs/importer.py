"""Import of the official catalog tables that a clinic receives from Kairo Connect, as CSV.

docs/kairo-connect-api.md "Catalogs" (Decision): the catalogs live in the database and are
importable from the official tables. Every row goes through the model's own validation
(`full_clean`), so a rule such as "55 minutes is not allowed" lives on the model once.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from typing import IO

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consultations.catalogs.kinds import CATALOG_KINDS, CatalogKind, Column, normalise, parse_text
from consultations.catalogs.report import ImportReport, Problem, RowOutcome
from consultations.catalogs.writing import (
    BatchWriter,
    UniqueValues,
    python_unique_checks,
    stored_rows,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class _FileError(Exception):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(message)
        self.problem = Problem(code=code, message=str(message))


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (rejected rows or dry run)."""


def _read(file: IO | bytes | str | os.PathLike) -> bytes | str:
    if isinstance(file, bytes):
        return file
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return handle.read(MAX_IMPORT_BYTES + 1)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(MAX_IMPORT_BYTES + 1)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if len(data) > MAX_IMPORT_BYTES:
        raise _FileError(
            "too_large",
            _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // 2**20},
        )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _FileError(
            "spreadsheet",
            _(
                "This is a spreadsheet workbook, not a CSV file. Save it as "
                "“CSV UTF-8 (comma delimited)” and import that file."
            ),
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _FileError(
            "not_utf8", _("The file is UTF-16 text. Save it as “CSV UTF-8” and import that file.")
        )
    if b"\x00" in data:
        raise _FileError("not_text", _("The file contains binary data; it is not a CSV text file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _FileError(
            "not_utf8",
            _(
                "The file is not UTF-8 text: line %(line)d has a byte (0x%(byte)02X) that is not "
                "valid UTF-8. Save it as “CSV UTF-8” and import that file."
            )
            % {"line": data[: error.start].count(b"\n") + 1, "byte": data[error.start]},
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each non-blank CSV record."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header names hold no quotes or separators, so the separator the header uses
    # most is the file's: Excel in a Spanish locale writes ';', most tools write ','.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        raise _FileError(
            "malformed_csv",
            _("The file is not valid CSV near line %(line)d (%(error)s).")
            % {"line": reader.line_num, "error": error},
        ) from None


def _header(spec: CatalogKind, cells: list[str]) -> dict[int, tuple[Column, str]]:
    """Map each header cell's position to its column, or raise _FileError."""
    by_name = {alias: column for column in spec.columns for alias in (column.name, *column.aliases)}
    found: dict[int, tuple[Column, str]] = {}
    seen: set[str] = set()
    unknown = []
    for position, cell in enumerate(cells):
        column = by_name.get(normalise(cell))
        if column is None:
            if cell.strip():
                unknown.append(cell.strip())
            continue
        if column.name in seen:
            raise _FileError(
                "duplicate_columns",
                _("The column “%(column)s” appears twice in the header row.")
                % {"column": column.name},
            )
        seen.add(column.name)
        found[position] = (column, cell.strip())
    expected = _("Expected columns for %(kind)s: %(required)s; optional: %(optional)s.") % {
        "kind": spec.kind,
        "required": ", ".join(spec.required_columns),
        "optional": ", ".join(spec.optional_columns),
    }
    missing = [name for name in spec.required_columns if name not in seen]
    if missing:
        raise _FileError(
            "missing_columns",
            _("The header row lacks the column(s) %(missing)s. %(expected)s")
            % {"missing": ", ".join(missing), "expected": expected},
        )
    if unknown:
        raise _FileError(
            "unknown_columns",
            _("The header row has unknown column(s) %(unknown)s. %(expected)s")
            % {"unknown": ", ".join(unknown), "expected": expected},
        )
    return found


def _problems(error: ValidationError, headers: dict[str, str]) -> list[Problem]:
    if not hasattr(error, "error_dict"):
        return [
            Problem(code=e.code or "invalid", message=" ".join(e.messages))
            for e in error.error_list
        ]
    problems = []
    for field_name, errors in error.error_dict.items():
        column = "" if field_name == NON_FIELD_ERRORS else headers.get(field_name, field_name)
        for e in errors:
            problems.append(
                Problem(code=e.code or "invalid", message=" ".join(e.messages), column=column)
            )
    return problems


def catalog_import(
    *, kind: str, file: IO | bytes | str | os.PathLike, user=None, dry_run: bool = False
) -> ImportReport:
    """Create or update one catalog's rows from an official table in CSV.

    `file` is a path, bytes, or a binary file object (an upload). The CSV is UTF-8 (a BOM
    is fine), comma- or semicolon-separated, with a header row naming the columns in
    English or Spanish (see `CATALOG_KINDS`). Rows are matched by code (minutes for
    durations); every row is checked with the model's `full_clean()` and imported rows
    become confirmed. All or nothing: a broken file or any rejected row leaves the
    database untouched, and so does `dry_run`. With `user`, each created or changed row
    gets an admin history entry in their name.

    Returns the report; problems with the file or its rows are reported, not raised.
    Raises ValueError for an unknown `kind`.
    """
    try:
        spec = CATALOG_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"Unknown catalog kind {kind!r}; expected one of {', '.join(CATALOG_KINDS)}."
        ) from None
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        records = list(_records(_decode(_read(file))))
        if not records:
            raise _FileError("empty", _("The file is empty."))
        _header_line, header_cells = records[0]
        columns = _header(spec, header_cells)
        if len(records) == 1:
            raise _FileError("no_rows", _("The file has a header row but no data rows."))
    except _FileError as error:
        report.file_error = error.problem
        return report

    try:
        with transaction.atomic():
            _import_rows(spec, columns, records[1:], report, user)
            if report.rejected or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _import_rows(
    spec: CatalogKind,
    columns: dict[int, tuple[Column, str]],
    records: list[tuple[int, list[str]]],
    report: ImportReport,
    user,
) -> None:
    """Check every row against the stored rows (read once) and the rows before it, and
    save the accepted ones in batches (`writing`); the caller's transaction makes it
    all or nothing."""
    model = spec.model
    # Problems and changes name the columns as the file wrote them.
    headers = {column.model_field: written for column, written in columns.values()}
    headers.setdefault("is_confirmed", "confirmed")
    key_position, (key_column, _written) = next(
        (position, pair) for position, pair in columns.items() if pair[0].model_field == spec.key
    )
    stored = stored_rows(model, spec.key)
    in_python = python_unique_checks(model)
    unique = UniqueValues(model, stored, key=spec.key)
    writer = BatchWriter(model, report, user)
    first_seen: dict[object, int] = {}
    width = max(columns) + 1
    for line, cells in records:
        values, problems = _row_values(columns, cells, headers, width)
        key = values.get(spec.key)
        # The key as the file wrote it, even when it could not be read (e.g. "abc" minutes).
        key_text = cells[key_position].strip() if key_position < len(cells) else ""
        if key not in (None, "") and key in first_seen:
            problems.append(
                Problem(
                    "duplicate_in_file",
                    str(_("Already on line %(line)d of this file.") % {"line": first_seen[key]}),
                    headers[key_column.model_field],
                )
            )
        elif key not in (None, ""):
            first_seen[key] = line
        if problems:
            report.rejected.append(RowOutcome(line=line, key=key_text, problems=tuple(problems)))
            continue

        instance = stored.get(key) if key not in (None, "") else None
        is_new = instance is None
        if instance is None:
            instance = model()
        tracked = [*values, "is_confirmed"] if hasattr(instance, "is_confirmed") else [*values]
        before = {name: getattr(instance, name) for name in tracked}
        before_unique = {f.name: getattr(instance, f.attname) for f in unique.fields}
        for name, value in values.items():
            setattr(instance, name, value)
        if hasattr(instance, "is_confirmed"):
            instance.is_confirmed = True  # the official table confirms the row
        problems = _row_validate(instance, headers, unique=unique if in_python else None, key=key)
        if problems:
            for name, value in before.items():  # the stored copy stays as stored
                setattr(instance, name, value)
            report.rejected.append(RowOutcome(line=line, key=key_text, problems=tuple(problems)))
            continue
        changed = tuple(
            headers.get(name, name) for name in tracked if getattr(instance, name) != before[name]
        )
        if not is_new and not changed:
            report.unchanged.append(RowOutcome(line=line, key=key_text))
            continue
        unique.accept(instance, key=key, before=before_unique)
        outcome = RowOutcome(line=line, key=key_text, changed=() if is_new else changed)
        writer.add(outcome, instance, is_new=is_new)
    writer.flush()
    # A batch the database refused reports its rows when it is written, after the rows
    # checked since: the report lists them by line.
    report.rejected.sort(key=lambda row: row.line)


def _row_values(
    columns: dict[int, tuple[Column, str]],
    cells: list[str],
    headers: dict[str, str],
    width: int,
) -> tuple[dict[str, object], list[Problem]]:
    """One record's cells parsed into model field values, and the problems found."""
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for position, (column, written) in columns.items():
        raw = cells[position].strip() if position < len(cells) else ""
        if not raw:
            # An empty optional cell keeps the current value (or the default for a new
            # row); an empty required text cell is left to the model to refuse.
            if column.required and column.parse is parse_text:
                values[column.model_field] = ""
            elif column.required:
                problems.append(Problem("required", str(_("This column needs a value.")), written))
            continue
        try:
            values[column.model_field] = column.parse(raw)
        except ValidationError as error:
            problems.extend(_problems(ValidationError({column.model_field: error}), headers))
    if any(cell.strip() for cell in cells[width:]):
        problems.append(
            Problem("extra_values", str(_("The row has more values than the header has columns.")))
        )
    return values, problems


def _row_validate(
    instance: Model, headers: dict[str, str], *, unique: UniqueValues | None, key: object
) -> list[Problem]:
    """The model's own checks (`full_clean`); with `unique`, its unique fields are
    checked against that in-memory copy rather than a query per field."""
    errors: dict = {}
    try:
        instance.full_clean(validate_unique=unique is None)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if unique is not None:
        failed = unique.errors(instance, key=key, skip=set(errors))
        if failed is not None:
            errors = failed.update_error_dict(errors)
    return _problems(ValidationError(errors), headers) if errors else []
