"""`rehearsal_panel` for the consultation page's sandbox panel
(templates/consultations/partials/sandbox_simulate.html)."""

from __future__ import annotations

from typing import Any

from django import template

from consultations import services
from consultations.models import Consultation
from consultations.services.rehearsal import ACTION_LABELS

register = template.Library()


@register.simple_tag
def rehearsal_panel(consultation: Consultation) -> dict[str, Any] | None:
    """{% rehearsal_panel consultation as rehearsal %}: None unless the desk runs on the
    in-process sandbox; else the simulate steps allowed now, as (value, label) pairs."""
    if not services.rehearsal_available():
        return None
    actions = services.rehearsal_actions(consultation)
    return {
        "has_id": consultation.kairo_consultation_id is not None,
        "actions": [(action.value, ACTION_LABELS[action]) for action in actions],
    }


@register.simple_tag
def rehearsal_on() -> bool:
    """{% rehearsal_on as sandbox %}: whether the desk runs on the in-process sandbox."""
    return services.rehearsal_available()
