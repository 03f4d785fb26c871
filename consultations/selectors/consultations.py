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

# What a row of the desk's lists of consultations shows (consultation_list.html and
# partials/directory_consultations.html), and all a page of them reads: the other
# columns (the Kairo request, the join links, a dozen moments, the patient's whole
# record) were decoded and built into each of the 25 rows for nothing, more than the
# query itself cost. A template that shows another field adds it here, or reads it row
# by row (the statement budgets of tests/consultations/views say so).
_ROW_FIELDS = ("starts_at", "scheduled_for", "status", "duration", "consultation_type__name")
LIST_ROW_FIELDS = (
    *_ROW_FIELDS,
    "patient__name",
    "patient__document_type",
    "patient__document_number",
    "provider__name",
)
# A provider's page: the other side of each consultation is the patient.
PROVIDER_ROW_FIELDS = (*_ROW_FIELDS, "provider", "patient__name")


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
