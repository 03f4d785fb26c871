"""The audit trail in the admin, read-only: clinic admins search it by account, object,
patient and date. Nobody adds, changes or deletes a row here (nor anywhere else:
`consultations.models.audit`).

The search box takes an account's name (or its start), an object's id, or a patient:
a name fragment or a document number, as the desk's search reads them, finds the rows
about every patient it matches ("who has seen this patient's data"); `?patient_id=`
filters on one patient (the desk's patient page links there).
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from consultations.admin.changelists import EstimatedCountPaginator, date_range_filter
from consultations.admin.consultations import ReadOnlyAdminMixin
from consultations.forms.filters import SearchForm
from consultations.models import AuditEntry, Patient
from consultations.selectors.directory import patient_search_condition

# The desk's own page for a kind of object; any other kind links to its admin page.
_DESK_PAGES = {
    "consultation": "consultation_detail",
    "patient": "patient_detail",
    "provider": "provider_detail",
}


@cache
def _model_named(object_type: str) -> type[models.Model] | None:
    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return model
    return None


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kind of object a row names, by its translated name ("consulta", "paciente"),
    not the stored model name: every kind the admin manages, the audited ones among them.
    A fixed list, so the filter reads nothing from the trail itself."""

    title = _("object")
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        kinds = {
            model._meta.model_name: capfirst(model._meta.verbose_name)
            for model in model_admin.admin_site._registry
        }
        return sorted(kinds.items(), key=lambda kind: str(kind[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "actor_username",
        "action",
        "object_shown",
        "patient_id",
        "address",
    )
    list_filter = (date_range_filter("at", _("when")), "action", ObjectTypeFilter)
    # The account's exact name or its start, an object's exact id; and patients, below.
    search_fields = ("actor_username__istartswith", "object_id__exact")
    # Newest first on the (at, id) index (migration 0026).
    ordering = ("-at", "-pk")
    sortable_by = ("at",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = (
        "at",
        "actor_username",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "object_shown",
        "patient_id",
        "address",
        "detail",
    )

    @admin.display(description=_("object"), ordering="object_type")
    def object_shown(self, entry: AuditEntry) -> str:
        """ "Consultation 123", linked to its page: its kind and id, never its data."""
        model = _model_named(entry.object_type)
        if model is None:
            return entry.object_type or "—"
        label = capfirst(model._meta.verbose_name)
        if not entry.object_id:
            return str(label)
        text = f"{label} {entry.object_id}"
        if entry.object_type in _DESK_PAGES:
            name = _DESK_PAGES[entry.object_type]
        else:
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        try:
            url = reverse(name, args=[entry.object_id])
        except NoReverseMatch:
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Also the rows about the patients the term names: a name fragment (accents and
        case ignored) or a document number, read as the desk's search box reads them.
        One query: the patients are a subquery."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        search = SearchForm({"q": search_term})
        if search_term.strip() and search.is_valid():
            patients = Patient.objects.filter(
                patient_search_condition(
                    name_fragment=search.cleaned_data["name_fragment"],
                    document_number=search.cleaned_data["document_number"],
                )
            ).values("pk")
            results = results | queryset.filter(patient_id__in=patients)
        return results, may_have_duplicates
