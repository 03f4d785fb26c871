"""Consultations and their emails in the admin: read-only, since the booking workflows
own them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from consultations.admin.audited import AuditedAdminMixin
from consultations.admin.changelists import (
    PERSON_SEARCH_HELP,
    BoundedCountMixin,
    EstimatedCountPaginator,
    consultation_person_search,
    date_range_filter,
)
from consultations.kairo_texts import kairo_status_text
from consultations.models import AuditEntry, Consultation, Delivery
from consultations.timeline import delivery_error_text


class ReadOnlyAdminMixin:
    """A record kept for the record: shown in the admin, never added, changed or deleted
    there (the desk's own pages and services write it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# What staff may see of a delivery: never the full address (masked), link or PIN.
DELIVERY_FIELDS = (
    "recipient",
    "kind",
    "reminder_offset_minutes",
    "state",
    "attempts",
    "error_shown",
    "masked_address",
    "sent_at",
    "next_attempt_at",
    "requested_by",
    "created_at",
)


class DeliveryErrorColumn:
    """A delivery's stored error as staff read it (`delivery_error_text`)."""

    @admin.display(description=_("last error"))
    def error_shown(self, obj: Delivery) -> str:
        if not obj.last_error:
            return ""
        text, detail = delivery_error_text(obj.last_error)
        if not detail:
            return text
        return format_html('{} <span lang="en">({})</span>', text, detail)


class DeliveryInline(DeliveryErrorColumn, admin.TabularInline):
    """The consultation's emails, as the desk shows them: read-only, address masked."""

    model = Delivery
    extra = 0
    can_delete = False
    fields = readonly_fields = DELIVERY_FIELDS
    ordering = ("created_at", "id")

    @admin.display(description=_("sent to"))
    def masked_address(self, obj: Delivery) -> str:
        return obj.masked_address

    def has_add_permission(self, request: HttpRequest, obj: Consultation | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Consultation | None = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, BoundedCountMixin, admin.ModelAdmin):
    inlines = [DeliveryInline]
    # Its page shows every field, the PIN and the room links included.
    audit_views = AuditEntry.Action.CONSULTATION_VIEWED
    list_display = (
        "id",
        "starts_at",
        "patient",
        "provider",
        "consultation_type",
        "duration",
        "status",
        "kairo_status_shown",
    )
    list_filter = (
        date_range_filter("starts_at", _("start")),
        "status",
        "consultation_type",
        "duration",
    )
    # The desk's person search on the patient and the provider (`get_search_results`).
    search_fields = ("patient__name_search",)
    search_help_text = PERSON_SEARCH_HELP
    list_select_related = ("patient", "provider", "consultation_type", "duration")
    # Newest first on the (created_at, id) index (migration 0026); only indexed columns
    # are sortable, no second count of the whole table, and a search or filter counted
    # only a few pages ahead (`BoundedCountMixin`).
    ordering = ("-created_at", "-id")
    sortable_by = ("id", "starts_at")
    # Internal bookkeeping, meaningless to an admin.
    hidden_fields: tuple[str, ...] = ("id", "booking_token")
    # Kairo's wire status ("Pending") is shown in the staff language instead.
    exclude = ("kairo_status",)

    def get_readonly_fields(self, request: HttpRequest, obj: Consultation | None = None):
        return [
            "kairo_status_shown" if field.name == "kairo_status" else field.name
            for field in self.model._meta.concrete_fields
            if field.name not in self.hidden_fields
        ]

    def get_ordering(self, request: HttpRequest):
        # Within a range of start days, newest start first: on the `consultation_start`
        # index the range is read directly, where the creation order would walk past
        # every consultation created since.
        if any(key.startswith("starts_at__") for key in request.GET):
            return ("-starts_at", "-id")
        return super().get_ordering(request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if not search_term.strip():
            return queryset, False
        condition = consultation_person_search(search_term)
        return (queryset.none() if condition is None else queryset.filter(condition)), False

    @admin.display(description=_("Kairo status"), ordering="kairo_status")
    def kairo_status_shown(self, obj: Consultation) -> str:
        return kairo_status_text(obj.kairo_status)


@admin.register(Delivery)
class DeliveryAdmin(DeliveryErrorColumn, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email across consultations, to find the failed ones; read-only (Resend is on
    the consultation page)."""

    list_display = (
        "id",
        "consultation",
        "recipient",
        "kind",
        "state",
        "attempts",
        "error_shown",
        "sent_at",
        "created_at",
    )
    list_filter = (date_range_filter("created_at", _("created")), "state", "kind", "recipient")
    list_select_related = ("consultation",)
    # Newest first on the (created_at, id) index (migration 0026).
    ordering = ("-created_at", "-id")
    sortable_by = ("id", "created_at")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    exclude = ("to_address",)
    readonly_fields = ("consultation", *DELIVERY_FIELDS, "attempt_started_at")

    @admin.display(description=_("sent to"))
    def masked_address(self, obj: Delivery) -> str:
        return obj.masked_address
