"""Kairo's webhook deliveries in the admin, read-only: what arrived, when, and what came
of it (those for an unknown event or consultation are the ones to look into)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consultations.admin.changelists import EstimatedCountPaginator, date_range_filter
from consultations.admin.consultations import ReadOnlyAdminMixin
from consultations.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "event", "outcome", "consultation", "delivery_id")
    list_filter = (date_range_filter("received_at", _("received")), "outcome", "event")
    list_select_related = ("consultation",)
    # A delivery id exactly (its unique index), not a scan for a fragment of it.
    search_fields = ("delivery_id__exact",)
    # Newest first on the (received_at, id) index (migration 0026).
    ordering = ("-received_at", "-id")
    sortable_by = ("received_at",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = (
        "delivery_id",
        "event",
        "received_at",
        "outcome",
        "consultation",
        "candidates",
        "handled_at",
        "handled_by",
        "payload",
    )
