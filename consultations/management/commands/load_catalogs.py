from django.core.management.base import BaseCommand

from consultations.catalogs import catalogs_seed


class Command(BaseCommand):
    help = (
        "Fill each empty catalog table with its starter rows. A table that already has rows "
        "is left alone, so an admin's deletions and edits are never undone."
    )

    def handle(self, *args, **options) -> None:
        created = catalogs_seed()
        self.stdout.write(f"Catalogs loaded: {created} row(s) created.")
