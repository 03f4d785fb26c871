"""Kairo's webhook deliveries in the admin, read-only: what arrived, when, and what came
of it (those for an unknown event or consultation are the ones to look into)."""

from __future__ import annotations

from django.contrib import admin

from consultations.admin.consultations import ReadOnlyAdminMixin
from consultations.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "event", "outcome", "consultation", "delivery_id")
    list_filter = ("outcome", "event")
    list_select_related = ("consultation",)
    search_fields = ("delivery_id",)
    date_hierarchy = "received_at"
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
