"""The catalogs' admin: the active toggle, deletion only of unused rows, and an
"Import CSV" page for each official table.

Catalog rows in use are never deleted (the foreign keys are PROTECT): the admin refuses
with a message that says to deactivate them instead, rather than Django's list of
protected objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from consultations.admin.audited import AuditedAdminMixin
from consultations.catalogs import (
    ImportReport,
    catalog_import,
    catalog_kind_for_model,
    catalog_row_usage,
)
from consultations.models import (
    AuditEntry,
    ConsultationType,
    Duration,
    MedicalSpecialty,
    ProfessionalType,
)
from consultations.services.audit import audit_record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _in_use_message(row: Model, usage: dict[type[Model], int]) -> str:
    counts = [
        f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
        for model, count in usage.items()
    ]
    return gettext(
        "“%(row)s” cannot be deleted: it is used by %(usage)s. Deactivate it instead; "
        "records that use it keep showing it."
    ) % {"row": row, "usage": get_text_list(counts, gettext("and"))}


def delete_selected_unless_in_use(
    modeladmin: CatalogAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """Django's "delete selected", refused with a message while any selected row is in use."""
    in_use = [(row, usage) for row in queryset if (usage := catalog_row_usage(row))]
    if not in_use:
        try:
            return delete_selected(modeladmin, request, queryset)
        except (ProtectedError, RestrictedError):
            # Someone started using a row between the check and the delete.
            in_use = [(row, usage) for row in queryset if (usage := catalog_row_usage(row))]
    for row, usage in in_use:
        modeladmin.message_user(request, _in_use_message(row, usage), messages.ERROR)
    return None


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, with a header row."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (dry run): save nothing"), required=False
    )


class CatalogAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """What every catalog's admin has: the active toggle, deletion only of unused rows,
    and an "Import CSV" page for the official table; each change in the audit trail."""

    audit_actions = {
        "add": AuditEntry.Action.CATALOG_CHANGED,
        "change": AuditEntry.Action.CATALOG_CHANGED,
        "delete": AuditEntry.Action.ADMIN_DELETED,
    }

    list_display: tuple[str, ...] = ("name", "code", "is_active", "is_confirmed")
    list_filter: ClassVar[tuple[str, ...]] = ("is_active", "is_confirmed")
    search_fields: ClassVar[tuple[str, ...]] = ("code", "name")
    ordering: ClassVar[tuple[str, ...]] = ("name",)
    actions = ["activate", "deactivate", "mark_confirmed"]
    change_list_template = "admin/consultations/catalog_change_list.html"
    import_template = "admin/consultations/catalog_import.html"

    def _selected_update(
        self, request: HttpRequest, queryset: QuerySet, done: StrOrPromise, **values: object
    ) -> None:
        """Set `values` on the selected rows; `done` (an ngettext_lazy keyed on "count")
        tells the admin how many."""
        rows = list(queryset)
        count = queryset.update(**values)
        for row in rows:  # a catalog is small: one audit row per catalog row
            audit_record(
                AuditEntry.Action.CATALOG_CHANGED,
                request=request,
                target=row,
                detail={"source": "admin", "fields": sorted(values)},
            )
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Activate selected rows"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d row activated.", "%(count)d rows activated.", "count")
        self._selected_update(request, queryset, done, is_active=True)

    @admin.action(
        description=_("Deactivate selected rows (no longer offered; old records keep them)"),
        permissions=["change"],
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d row deactivated.", "%(count)d rows deactivated.", "count")
        self._selected_update(request, queryset, done, is_active=False)

    @admin.action(
        description=_("Mark selected rows as confirmed against the official table"),
        permissions=["change"],
    )
    def mark_confirmed(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy(
            "%(count)d row marked confirmed.", "%(count)d rows marked confirmed.", "count"
        )
        self._selected_update(request, queryset, done, is_confirmed=True)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if (action := actions.get("delete_selected")) is not None:
            _func, name, description = action
            actions["delete_selected"] = (delete_selected_unless_in_use, name, description)  # type: ignore[assignment]  # the stubs say an action returns str; Django's return a response or None
        return actions

    # Not left to Django's own refusal: for a PROTECT-ed row, the admin's delete page
    # and "delete selected" say only "Deleting the ... would require deleting the
    # following protected related objects:" (in Spanish too) and list every one of them,
    # possibly thousands of consultations, without saying what to do instead. So both
    # are refused here, back on the row's page, with the message that says to
    # deactivate the row (`_in_use_message`), the one thing staff can do.
    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        row = self.get_object(request, unquote(object_id))
        if row is not None and self.has_delete_permission(request, row):
            usage = catalog_row_usage(row)
            if not usage:
                try:
                    return super().delete_view(request, object_id, extra_context)
                except (ProtectedError, RestrictedError):
                    usage = catalog_row_usage(row)  # started being used meanwhile
            self.message_user(request, _in_use_message(row, usage), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(row.pk)],
                    current_app=self.admin_site.name,
                )
            )
        return super().delete_view(request, object_id, extra_context)

    # Import of the official table ------------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self) -> list:
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """A small form for the CSV; shows the import's report on the same page."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        kind = catalog_kind_for_model(self.model)
        assert kind is not None, "every catalog admin is for an importable catalog"
        report = None
        if request.method == "POST":
            form = CatalogImportForm(request.POST, request.FILES)
            if form.is_valid():
                report = catalog_import(
                    kind=kind.kind,
                    file=form.cleaned_data["file"],
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
                if report.applied:
                    audit_record(
                        AuditEntry.Action.CATALOG_IMPORTED,
                        request=request,
                        object_type=self.model._meta.model_name or "",
                        detail={
                            "created": len(report.created),
                            "updated": len(report.updated),
                            "unchanged": len(report.unchanged),
                        },
                    )
        else:
            form = CatalogImportForm()
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import %(catalog)s from CSV") % {"catalog": opts.verbose_name_plural},
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "form": form,
            "kind": kind,
            "report": report,
            **_report_rows_shown(report),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.import_template, context)


# Rows the import page lists: an official table can have tens of thousands, and a page
# listing all of them took longer to draw than the import. The summary counts them all.
ACCEPTED_ROWS_SHOWN = 200
REJECTED_ROWS_SHOWN = 500


def _report_rows_shown(report: ImportReport | None) -> dict:
    """The first rows of each table of the report page, and how many are left out."""
    if report is None:
        return {}
    created = report.created[:ACCEPTED_ROWS_SHOWN]
    updated = report.updated[: ACCEPTED_ROWS_SHOWN - len(created)]
    rejected = report.rejected[:REJECTED_ROWS_SHOWN]
    return {
        "created_shown": created,
        "updated_shown": updated,
        "accepted_hidden": len(report.created) + len(report.updated) - len(created) - len(updated),
        "rejected_shown": rejected,
        "rejected_hidden": len(report.rejected) - len(rejected),
    }


@admin.register(ProfessionalType)
class ProfessionalTypeAdmin(CatalogAdmin):
    list_display = ("name", "code", "requires_specialty", "is_active", "is_confirmed")
    list_filter = ("requires_specialty", "is_active", "is_confirmed")
    fields = ("code", "name", "requires_specialty", "is_active", "is_confirmed")

    def get_readonly_fields(self, request: HttpRequest, obj: ProfessionalType | None = None):
        # Providers of this type have (or lack) a specialty to match: changing the flag
        # would contradict them (and the database constraint on providers).
        if obj is not None and obj.requires_specialty_locked():
            return ("requires_specialty",)
        return ()


@admin.register(MedicalSpecialty)
class MedicalSpecialtyAdmin(CatalogAdmin):
    list_display = ("name", "code", "kairo_id", "is_active", "is_confirmed")
    fields = ("code", "name", "kairo_id", "is_active", "is_confirmed")


@admin.register(ConsultationType)
class ConsultationTypeAdmin(CatalogAdmin):
    fields = ("code", "name", "description", "is_active", "is_confirmed")


@admin.register(Duration)
class DurationAdmin(CatalogAdmin):
    # All ten durations come from docs/kairo-connect-api.md "Catalogs", so there is no
    # "confirmed" flag here.
    list_display = ("minutes", "recommended_use", "is_active")
    list_filter = ("is_active",)
    search_fields = ("recommended_use",)
    ordering = ("minutes",)
    actions = ["activate", "deactivate"]
    fields = ("minutes", "recommended_use", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: Duration | None = None):
        # Consultations refer to a duration by its minutes: a row is its minutes.
        return ("minutes",) if obj is not None else ()
