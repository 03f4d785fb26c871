"""The language a staff account works in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from consultations.auth_backend import DESK_LANGUAGE_ATTR
from consultations.models import StaffPreference

_UNREAD = object()


def staff_language(*, user: AbstractBaseUser) -> str:
    """`user`'s saved language, or the desk's default (settings.LANGUAGE_CODE, Spanish)
    when they never chose one or the saved one is no longer offered."""
    # Read with the account when the desk's backend loaded it (`auth_backend`).
    saved: Any = getattr(user, DESK_LANGUAGE_ATTR, _UNREAD)
    if saved is _UNREAD:
        saved = (
            StaffPreference.objects.filter(user_id=user.pk)
            .values_list("language", flat=True)
            .first()
        )
    return str(saved) if saved in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
