"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_asgi_application()

# An ASGI server runs no system checks: with debug off, refuse a misconfigured production
# here, before the first request (consultations/checks.py).
from consultations.checks import production_refusals  # noqa: E402

production_refusals()
