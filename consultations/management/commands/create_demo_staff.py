"""Demo staff accounts for a local install (`make run`). Refuses to run with debug off."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from consultations.access import CLINIC_ADMIN, RECEPTION, staff_groups_ensure

DEMO_ACCOUNTS = (
    ("recepcion", RECEPTION, False, "Recepción"),
    ("admin", CLINIC_ADMIN, True, "Administración"),
)


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo accounts 'recepcion' and 'admin' with fresh random "
        "passwords, and print them. Only with DJANGO_DEBUG on."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only created when DJANGO_DEBUG is on.")
        staff_groups_ensure()
        User = get_user_model()
        lines = []
        for username, group_name, is_staff, first_name in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = first_name
            user.is_staff = is_staff
            user.is_active = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group_name)])
            lines.append(f"  {username:<10} {password}   ({group_name})")
        self.stdout.write("Demo logins (new passwords at every start):")
        self.stdout.write("\n".join(lines))
