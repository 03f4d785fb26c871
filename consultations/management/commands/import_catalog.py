"""`python manage.py import_catalog KIND FILE.csv [--dry-run]`: import an official catalog table."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations.catalogs import CATALOG_KINDS, catalog_import

# Exit statuses: 0 imported (or a clean dry run), 1 rows rejected, 2 the file is unusable.
EXIT_REJECTED = 1
EXIT_BROKEN_FILE = 2


class Command(BaseCommand):
    help = (
        "Create or update one catalog's rows from the official table in CSV (UTF-8, comma or "
        "semicolon separated, header row in English or Spanish). All or nothing: if any row "
        "is rejected, nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(CATALOG_KINDS), help="Which catalog to import.")
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without saving anything.",
        )

    def handle(self, *args, kind: str, file: Path, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file.", returncode=EXIT_BROKEN_FILE)
        report = catalog_import(kind=kind, file=file, dry_run=dry_run)
        summary, *rows = report.as_lines()
        for line in rows:
            self.stdout.write(line)
        if report.file_error is not None:
            raise CommandError(
                f"{file}: {summary} [{report.file_error.code}]", returncode=EXIT_BROKEN_FILE
            )
        if report.rejected:
            raise CommandError(f"{file}: {summary}", returncode=EXIT_REJECTED)
        self.stdout.write(self.style.SUCCESS(summary))
