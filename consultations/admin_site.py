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


def _forged(request: HttpRequest) -> bool:
    """Parameters no admin page sends that Django's views do not check before using.

    - ticked rows ("_selected_action") that are not row ids: Django filters `pk__in`
      them unchecked, and the query fails;
    - an empty "_to_field": Django refuses a field it does not allow (400) but looks
      an empty one up as a field name (FieldDoesNotExist);
    - a NUL byte in any parameter name or value: a changelist's filters ("?status=")
      and search reach the query unchecked, and PostgreSQL cannot hold NUL in text.
    """
    if request.method == "POST" and not all(
        _is_row_id(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    ):
        return True
    data = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    if any(TO_FIELD_VAR in fields and not fields[TO_FIELD_VAR] for fields in data):
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
