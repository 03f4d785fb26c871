"""The directory's queries: searching patients and providers, their consultations."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from consultations.models import (
    ACTIVE_STATUSES,
    Consultation,
    DocumentType,
    Patient,
    PatientChange,
    Provider,
    name_search_key,
)
from consultations.models.consultations import LONGEST_WINDOW

# How many of a patient's latest changes their page lists.
PATIENT_CHANGES_SHOWN = 20


def patient_search_condition(
    *, name_fragment: str = "", document_number: str = "", prefix: str = ""
) -> Q:
    """A patient (or provider) by name fragment or by exact document number.

    The name fragment ignores accents and case: it is reduced with `name_search_key`, as
    the stored `name_search` column is, and matched with `contains`, which PostgreSQL
    runs as `"name_search"::text LIKE ...`: the column the `patient_name_search_trgm`
    trigram index covers (migration 0013). A fragment that reduces to nothing (only
    combining marks) matches nobody rather than everybody. The document filter names
    every document type so that PostgreSQL can use the unique (type, number) index,
    whose leading column is the type.
    """
    if document_number:
        return Q(
            **{
                f"{prefix}document_type__in": DocumentType.values,
                f"{prefix}document_number": document_number,
            }
        )
    if name_fragment:
        key = name_search_key(name_fragment)
        if not key:
            return Q(**{f"{prefix}pk__in": []})
        return Q(**{f"{prefix}name_search__contains": key})
    return Q()


def patient_search(*, name_fragment: str = "", document_number: str = "") -> QuerySet[Patient]:
    """Patients by name fragment or document number (everyone if both are empty), by name."""
    return Patient.objects.filter(
        patient_search_condition(name_fragment=name_fragment, document_number=document_number)
    ).order_by("name", "pk")


def provider_search(*, name_fragment: str = "", document_number: str = "") -> QuerySet[Provider]:
    """Providers by name fragment or document number, active ones first, then by name."""
    return (
        Provider.objects.filter(
            patient_search_condition(name_fragment=name_fragment, document_number=document_number)
        )
        .select_related("professional_type", "specialty")
        .order_by("-is_active", "name", "pk")
    )


def patient_name(patient_id: int) -> str | None:
    return Patient.objects.filter(pk=patient_id).values_list("name", flat=True).first()


def patient_history(*, patient: Patient) -> QuerySet[Consultation]:
    """Every consultation of a patient, latest first."""
    return (
        Consultation.objects.filter(patient=patient)
        .select_related("provider", "consultation_type")
        .order_by("-starts_at", "-id")
    )


def patient_changes(*, patient: Patient) -> list[PatientChange]:
    """A patient's latest recorded changes (masked values), latest first, with who."""
    return list(
        PatientChange.objects.filter(patient=patient)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")[:PATIENT_CHANGES_SHOWN]
    )


def provider_upcoming(*, provider: Provider, now: dt.datetime) -> QuerySet[Consultation]:
    """A provider's active consultations that have not ended yet, soonest first.

    One that has not ended started at most LONGEST_WINDOW ago: that lower bound on
    `starts_at`, which changes no answer, lets the (provider, starts_at) index start
    there instead of at the provider's first consultation ever."""
    return (
        Consultation.objects.filter(
            provider=provider,
            status__in=ACTIVE_STATUSES,
            ends_at__gt=now,
            starts_at__gte=now - LONGEST_WINDOW,
        )
        .select_related("patient", "consultation_type")
        .order_by("starts_at", "id")
    )


def provider_consultations_ahead(*, provider: Provider, now: dt.datetime) -> QuerySet[Consultation]:
    """A provider's active consultations starting after `now`, soonest first: what
    deactivating the provider leaves booked with someone who no longer works here."""
    return provider_upcoming(provider=provider, now=now).filter(starts_at__gt=now)
