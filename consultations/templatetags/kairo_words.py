"""`kairo_status` for templates: Kairo Connect's status in the staff language."""

from __future__ import annotations

from django import template

from consultations.kairo_texts import kairo_status_text

register = template.Library()


@register.filter
def kairo_status(value: str | None) -> str:
    """{{ consultation.kairo_status|kairo_status }} -> "en espera de iniciar"."""
    return kairo_status_text(value)
