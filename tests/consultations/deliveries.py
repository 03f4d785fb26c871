"""What the tests read of a consultation's deliveries."""

from __future__ import annotations

from consultations.models import Consultation


def reminders(consultation: Consultation) -> list[tuple[int, str]]:
    return list(
        consultation.deliveries.filter(kind="reminder")
        .order_by("-reminder_offset_minutes")
        .values_list("reminder_offset_minutes", "state")
    )
