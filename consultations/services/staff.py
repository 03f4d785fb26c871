"""Staff accounts' own choices: the language each one works in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consultations.models import StaffPreference


def staff_language_save(*, user: AbstractBaseUser, language: str) -> StaffPreference:
    """Save `language` as `user`'s language for the desk and the admin (from the next
    page on). Raises ValidationError `unknown_language` for a language the desk does not
    offer (settings.LANGUAGES), with nothing saved."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("The desk is not available in that language."), code="unknown_language"
        )
    preference, _created = StaffPreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference
