"""The username django-axes records for a login attempt (settings.AXES_USERNAME_CALLABLE)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

# axes' AccessAttempt, AccessFailureLog and AccessLog keep the username in 255 characters.
AXES_USERNAME_LENGTH = 255


def login_attempt_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username typed, as axes' own default reads it, cut to what its tables hold.

    A longer one (no account has one: Django's usernames are 150 characters at most)
    would make axes' insert fail in the database and the login page answer 500; cut, it
    is recorded and refused as any other failed login.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return None if username is None else str(username)[:AXES_USERNAME_LENGTH]
