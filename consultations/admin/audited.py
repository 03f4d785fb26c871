"""The admin's adds, changes and deletions in the audit trail (`consultations.models.audit`),
through the hooks Django's admin calls for every one of them (`log_addition`,
`log_change`, `log_deletions`), inside the admin's own transaction: a save the admin
rolls back leaves no row. Opening a patient's page in the admin is recorded too.

A row names the object and the fields changed, never their values. Django's own admin
history (`LogEntry`) is still written as well; note that it stores each object's `str()`
(a patient's name) as `object_repr`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from consultations.models import AuditEntry
from consultations.services.audit import audit_record

Action = AuditEntry.Action

# Where `construct_change_message` leaves the names of the fields a save changed, for
# `log_addition` / `log_change` (called right after it, with the same request).
_FIELDS_ATTRIBUTE = "_audit_changed_fields"


class AuditedAdminMixin(admin.ModelAdmin):
    """Adds, changes and deletions in this admin written to the audit trail, with the
    names of the fields changed (an inline's as "model.field"). `audit_actions` says
    which action each is; `audit_views` also records opening a row's page (a patient's:
    every field of their personal data is on it)."""

    audit_actions: ClassVar[dict[str, str]] = {
        "add": Action.ADMIN_CHANGED,
        "change": Action.ADMIN_CHANGED,
        "delete": Action.ADMIN_DELETED,
    }
    audit_views: ClassVar[str | None] = None

    def construct_change_message(
        self, request: HttpRequest, form: Form, formsets: Any, add: bool = False
    ) -> list[dict]:
        message = super().construct_change_message(request, form, formsets, add)
        fields = list(form.changed_data)
        for formset in formsets or ():
            model_name = formset.model._meta.model_name
            for inline_form in formset.forms:
                fields += [f"{model_name}.{name}" for name in inline_form.changed_data]
        setattr(request, _FIELDS_ATTRIBUTE, sorted(set(fields)))
        return message

    def _audit(self, request: HttpRequest, key: str, obj: models.Model, **detail: Any) -> None:
        audit_record(
            self.audit_actions[key],
            request=request,
            target=obj,
            detail={"source": "admin", **detail},
        )

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        fields = getattr(request, _FIELDS_ATTRIBUTE, [])
        self._audit(request, "add", obj, added=True, fields=fields)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, "change", obj, fields=getattr(request, _FIELDS_ATTRIBUTE, []))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Called before the rows go (one from the delete page, many from the action).
        for obj in queryset:
            self._audit(request, "delete", obj)
        return super().log_deletions(request, queryset)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if self.audit_views and request.method == "GET" and response.status_code == 200:
            # The page as rendered for a row that exists (`original`), not a redirect.
            original = (getattr(response, "context_data", None) or {}).get("original")
            if original is not None:
                audit_record(
                    self.audit_views, request=request, target=original, detail={"source": "admin"}
                )
        return response
