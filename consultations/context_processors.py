"""Template context every page needs: the organization's time zone, named."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def organization(request: HttpRequest) -> dict[str, str]:
    return {"ORGANIZATION_TIME_ZONE": settings.ORGANIZATION_TIME_ZONE}
