"""The desk's account backend: Django's `ModelBackend` with fewer round trips per page.

Every page reads the logged-in account (`get_user`), its saved language
(`StaffLanguageMiddleware`) and its permissions (each view's `permission_required`).
Django's backend spends a query on each, and two on the permissions (the account's own,
then its groups'). Here the account comes with its language in one query, and its
permissions, own and by group, in one more. Nothing is cached beyond the request: a
permission or language changed now applies from the next page on, as before.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import F, Q

# The account's saved language, read with the account (None: never chosen); the
# middleware reads it from here instead of asking again (`selectors.staff`).
DESK_LANGUAGE_ATTR = "desk_language"


class DeskBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        User = get_user_model()
        user = (
            User._default_manager.annotate(**{DESK_LANGUAGE_ATTR: F("staff_preference__language")})
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).distinct()
            }
        return user_obj._perm_cache
