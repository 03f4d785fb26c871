"""The admin site every model is registered on (`apps.ClinicAdminConfig.default_site`):
Django's, with each page refusing the forged parameters Django's views would fail on.

Outside the `consultations.admin` package on purpose: Django imports this to build
`admin.site`, and importing that package registers models on `admin.site`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import TO_FIELD_VAR
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponseBase
from django.views.defaults import bad_request

_ViewType = TypeVar("_ViewType", bound=Callable[..., HttpResponseBase])

# Every model here has an integer key (BigAutoField), at most 19 digits.
_ROW_ID_DIGITS = 19


def _is_row_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= _ROW_ID_DIGITS


# The date bar's parameters ("?at__year=2026&at__month=5") and the values Django can turn
# into a date range: it guards only the start's ValueError, so a year past 9998 (the
# range's end would be year 10000) or a number too large for C fails with a 500.
_DATE_PART_BOUNDS = {"year": (1, 9998), "month": (1, 12), "day": (1, 31)}


def _bad_date_part(key: str, value: str) -> bool:
    part = key.rpartition("__")[2]
    if part not in _DATE_PART_BOUNDS or "__" not in key:
        return False
    low, high = _DATE_PART_BOUNDS[part]
    return not (
        value.isascii() and value.isdigit() and len(value) <= 4 and low <= int(value) <= high
    )


def _forged(request: HttpRequest) -> bool:
    """Parameters no admin page sends that Django's views do not check before using.

    - ticked rows ("_selected_action") that are not row ids: Django filters `pk__in`
      them unchecked, and the query fails;
    - an empty "_to_field": Django refuses a field it does not allow (400) but looks
      an empty one up as a field name (FieldDoesNotExist);
    - a NUL byte in any parameter name or value: a changelist's filters ("?status=")
      and search reach the query unchecked, and PostgreSQL cannot hold NUL in text;
    - a date bar's year, month or day out of range (`_bad_date_part`).
    """
    if request.method == "POST" and not all(
        _is_row_id(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    ):
        return True
    data = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    if any(TO_FIELD_VAR in fields and not fields[TO_FIELD_VAR] for fields in data):
        return True
    if any(_bad_date_part(key, str(value)) for key, value in request.GET.items()):
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for fields in data
        for key, values in fields.lists()
    )


class ClinicAdminSite(admin.AdminSite):
    """Django's admin site, answering 400 to a request `_forged` would fail on with a
    500, on every model's pages, ours and the third-party ones (auth, axes) alike."""

    def admin_view(self, view: _ViewType, cacheable: bool = False) -> _ViewType:
        checked = super().admin_view(view, cacheable)

        @functools.wraps(view)
        def forgery_checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if _forged(request):
                return bad_request(request, SuspiciousOperation("forged admin parameters"))
            return checked(request, *args, **kwargs)

        return cast(_ViewType, forgery_checked)
