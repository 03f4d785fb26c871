"""Receivers for Django's auth signals: a login's session times, and a deactivated staff
account's sessions ended."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from consultations.middleware import session_times_start
from consultations.services.staff import staff_sessions_end


@receiver(user_logged_in, dispatch_uid="desk_session_times_start")
def _session_times_start(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_times_start(request)


@receiver(post_save, sender=get_user_model(), dispatch_uid="desk_inactive_sessions_end")
def _inactive_sessions_end(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Saved as inactive anywhere (the admin, a shell, a command): logged out everywhere.
    if not instance.is_active:
        staff_sessions_end(user=instance)
