"""WSGI entry point (gunicorn clinic.wsgi, or any WSGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()

# A WSGI server runs no system checks: with debug off, refuse a misconfigured production
# here, before the first request (consultations/checks.py).
from consultations.checks import production_refusals  # noqa: E402

production_refusals()
