"""The desk's account backend: Django's `ModelBackend` with fewer round trips per page.

Every page reads the logged-in account (`get_user`), its saved language
(`StaffLanguageMiddleware`) and its permissions (each view's `permission_required`).
Django's backend spends a query on each, and two on the permissions (the account's own,
then its groups'). Here, on PostgreSQL, the account comes with its language and its
permissions, own and by group (an array subquery over django.contrib.auth's tables), in
one query; on SQLite the permissions take one more. Nothing is cached beyond the
request: a permission or language changed now applies from the next page on, as before.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

# The account's saved language, read with the account (None: never chosen); the
# middleware reads it from here instead of asking again (`selectors.staff`).
DESK_LANGUAGE_ATTR = "desk_language"
# The account's permissions as "app_label.codename", read with the account (PostgreSQL).
_PERMISSIONS_ATTR = "desk_permissions"


def _permission_names(permissions: QuerySet[Permission]) -> QuerySet[Permission]:
    return permissions.values_list(
        Concat(F("content_type__app_label"), Value("."), F("codename")), flat=True
    )


# PostgreSQL: the account's permissions, own and by group, as an array column of the
# account's row (django.contrib.auth's own tables). Written out because the ORM's form
# of it (an OR over two many-to-many joins, then DISTINCT) costs more to plan and run
# than the whole account query; a UNION of the two link tables takes a fraction of that.
_PERMISSIONS_ARRAY = """ARRAY(
    SELECT ct.app_label || '.' || p.codename
    FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE p.id IN (
        SELECT up.permission_id FROM auth_user_user_permissions up
        WHERE up.user_id = auth_user.id
        UNION
        SELECT gp.permission_id FROM auth_group_permissions gp
        JOIN auth_user_groups ug ON ug.group_id = gp.group_id
        WHERE ug.user_id = auth_user.id
    )
)"""


class DeskBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        User = get_user_model()
        extra: dict[str, Any] = {DESK_LANGUAGE_ATTR: F("staff_preference__language")}
        if connection.vendor == "postgresql":
            extra[_PERMISSIONS_ATTR] = RawSQL(_PERMISSIONS_ARRAY, [])  # noqa: S611 - constant
        user = User._default_manager.annotate(**extra).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            read = getattr(user_obj, _PERMISSIONS_ATTR, None)
            if read is not None and not user_obj.is_superuser:
                user_obj._perm_cache = set(read)
            else:
                permissions = Permission.objects.all()
                if not user_obj.is_superuser:
                    permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
                user_obj._perm_cache = set(_permission_names(permissions).distinct())
        return user_obj._perm_cache
