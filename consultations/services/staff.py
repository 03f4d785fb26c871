"""Staff accounts: the language each one works in, and ending an account's sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone
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


def staff_sessions_end(*, user: AbstractBaseUser) -> int:
    """Delete every unexpired session logged in as `user` (database sessions,
    settings.SESSION_ENGINE): their next request finds them logged out. Returns how many
    ended. Reads each live session once; a clinic has a few dozen."""
    user_key = str(user.pk)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_key
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
