"""The language switch: Django's `set_language`, which also saves the choice for the
logged-in account (before login it only sets the cookie the login page reads)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language

from consultations import services


@login_not_required
def language_set(request: HttpRequest) -> HttpResponse:
    """POST language=<code>, next=<url>: switch, and remember it for this account. An
    unknown language changes nothing (Django's view ignores it too)."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.staff_language_save(
                user=request.user, language=request.POST.get("language", "")
            )
        except ValidationError:
            pass
    return response
