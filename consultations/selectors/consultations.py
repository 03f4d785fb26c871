"""The consultations list: consultations matching the desk's filters, latest first.

Days are calendar days in the organization's time zone (settings.ORGANIZATION_TIME_ZONE),
the zone Kairo Connect and the clinic both use.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from consultations.clock import organization_day_bounds
from consultations.models import Consultation
from consultations.selectors.directory import patient_search_condition


def consultation_filtered(
    *,
    name_fragment: str = "",
    document_number: str = "",
    provider_id: int | None = None,
    consultation_type_id: int | None = None,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    patient_id: int | None = None,
) -> QuerySet[Consultation]:
    """Consultations matching the list's filters, by consultation time, latest first.

    Dates are days in the organization's zone and include the whole `date_to` day. The
    order is by the consultation's window start (indexed) rather than booking time.
    """
    queryset = Consultation.objects.select_related("patient", "provider", "consultation_type")
    if name_fragment or document_number:
        queryset = queryset.filter(
            patient_search_condition(
                name_fragment=name_fragment, document_number=document_number, prefix="patient__"
            )
        )
    if provider_id is not None:
        queryset = queryset.filter(provider_id=provider_id)
    if consultation_type_id is not None:
        queryset = queryset.filter(consultation_type_id=consultation_type_id)
    if status:
        queryset = queryset.filter(status=status)
    if date_from is not None:
        queryset = queryset.filter(starts_at__gte=organization_day_bounds(date_from)[0])
    if date_to is not None:
        queryset = queryset.filter(starts_at__lt=organization_day_bounds(date_to)[1])
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    return queryset.order_by("-starts_at", "-id")
