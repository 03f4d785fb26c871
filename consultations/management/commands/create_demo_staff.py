"""Demo staff accounts and demo providers for a local install (`make run`).

With debug off it creates nothing: it says so and exits successfully, so that
`DJANGO_DEBUG=0 make run` still goes on to serve the app.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from consultations.access import CLINIC_ADMIN, RECEPTION, staff_groups_ensure
from consultations.models import DocumentType, MedicalSpecialty, ProfessionalType, Provider

DEMO_ACCOUNTS = (
    ("recepcion", RECEPTION, False, "Recepción"),
    ("admin", CLINIC_ADMIN, True, "Administración"),
)

# So that a new install can book at once against the sandbox: (name, document number,
# professional type code, specialty code or None). Created once; never overwritten.
DEMO_PROVIDERS = (
    ("Dra. Camila Restrepo Gómez", "52111222", "MedicoGeneral", None),
    ("Dr. Andrés Felipe Cardona", "80333444", "MedicoEspecialista", "CA003"),
    ("Ps. Laura Marcela Ospina", "1015555666", "Psicologo", None),
)


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo accounts 'recepcion' and 'admin' with fresh random "
        "passwords, and print them. With DJANGO_DEBUG off, creates nothing and says so."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            # Demo accounts exist only while debug is on: off, there is nothing to do,
            # and that is not an error.
            self.stdout.write("DJANGO_DEBUG is off: no demo accounts or providers created.")
            return
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
        created = self._demo_providers()
        if created:
            self.stdout.write(f"Demo providers created: {created}.")

    def _demo_providers(self) -> int:
        created = 0
        for index, (name, number, type_code, specialty_code) in enumerate(DEMO_PROVIDERS, 1):
            _, was_created = Provider.objects.get_or_create(
                document_type=DocumentType.CC,
                document_number=number,
                defaults={
                    "name": name,
                    "professional_type": ProfessionalType.objects.get(code=type_code),
                    "specialty": (
                        MedicalSpecialty.objects.get(code=specialty_code)
                        if specialty_code
                        else None
                    ),
                    "phone": f"+5730000000{index:02d}",
                    "email": f"profesional{index}@clinica.example",
                },
            )
            created += was_created
        return created
