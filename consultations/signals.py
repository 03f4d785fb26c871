"""Receivers for Django's auth signals: a login's session times, a deactivated staff
account's sessions ended, and sign-ins, failed sign-ins and sign-outs in the audit
trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from consultations.middleware import session_times_start
from consultations.models import AuditEntry
from consultations.services.audit import audit_record
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


@receiver(user_logged_in, dispatch_uid="desk_audit_login")
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(AuditEntry.Action.LOGIN, request=request, actor=user, target=user)


@receiver(user_logged_out, dispatch_uid="desk_audit_logout")
def _audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(AuditEntry.Action.LOGOUT, request=request, actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="desk_audit_login_failed")
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # What was typed as the username (Django has already masked the password); never
    # the password itself.
    username = credentials.get("username")
    audit_record(
        AuditEntry.Action.LOGIN_FAILED,
        request=request,
        username=username if isinstance(username, str) else "",
    )
