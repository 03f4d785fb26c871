"""The language a staff account works in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from consultations.models import StaffPreference


def staff_language(*, user: AbstractBaseUser) -> str:
    """`user`'s saved language, or the desk's default (settings.LANGUAGE_CODE, Spanish)
    when they never chose one or the saved one is no longer offered."""
    saved = (
        StaffPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    )
    return saved if saved in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
