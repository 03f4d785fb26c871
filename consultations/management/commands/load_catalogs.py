from django.core.management.base import BaseCommand

from consultations.catalogs import catalogs_seed


class Command(BaseCommand):
    help = "Create any missing starter catalog row (never overwrites an admin's edits)."

    def handle(self, *args, **options) -> None:
        created = catalogs_seed()
        self.stdout.write(f"Catalogs loaded: {created} row(s) created.")
