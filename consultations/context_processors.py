"""Template context every page needs: the organization's time zone, named; the live
status's poll interval; whether this is a training install; and, for a signed-in
account, the "Needs attention" badge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import ngettext

from consultations.selectors.attention import BADGE_CAP, attention_total


def organization(request: HttpRequest) -> dict[str, Any]:
    return {
        "ORGANIZATION_TIME_ZONE": settings.ORGANIZATION_TIME_ZONE,
        "STATUS_POLL_SECONDS": settings.STATUS_POLL_SECONDS,
    }


def training(request: HttpRequest) -> dict[str, Any]:
    """`TRAINING_MODE`: every page (staff, admin, the public join page, login) shows the
    training banner (templates/includes/training_banner.html) when it is on."""
    return {"TRAINING_MODE": settings.KAIRO_TRAINING_MODE}


# What the badge adds to a page that shows the navigation: one query, whatever the data.
ATTENTION_BADGE_QUERIES = 1


class AttentionBadge:
    """The navigation's "Needs attention" item. Lazy: the permission check (the account's
    permissions, cached on it for the request) and the one query
    (`attention_total`, ATTENTION_BADGE_QUERIES) run only when a template reads it, once
    per page, so JSON answers and the webhook receiver never pay for them."""

    def __init__(self, user: Any) -> None:
        self._user = user

    @cached_property
    def allowed(self) -> bool:
        return bool(self._user.has_perm("consultations.view_consultation"))

    @cached_property
    def count(self) -> int:
        return attention_total() if self.allowed else 0

    @property
    def shown(self) -> str:
        """The badge's text: the count, or "99+" past BADGE_CAP."""
        return f"{BADGE_CAP}+" if self.count > BADGE_CAP else str(self.count)

    @property
    def words(self) -> str:
        """The badge for screen readers: "3 items need attention"."""
        return ngettext(
            "%(count)s item needs attention", "%(count)s items need attention", self.count
        ) % {"count": self.shown}


def attention(request: HttpRequest) -> dict[str, Any]:
    """`attention`: the badge, for a signed-in account only (anonymous pages get none)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"attention": AttentionBadge(user)}
