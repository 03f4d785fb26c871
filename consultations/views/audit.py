"""The desk's acts in the audit trail (`consultations.models.audit`): what a view writes
once its act has been done, in one call per view.

A view writes after the service it called has committed, so an act refused or rolled
back (a rule failed, Kairo refused, a stale form) writes nothing. Services take no
request (house style) and the row wants the client's address, hence here rather than
inside the services' transactions; the act's own record (the consultation's timeline,
the patient's change history) is written by the service itself.

Only names and ids go in: field names, never their values; the names of the filters an
export used, never what was typed in them (a document number, a name).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.forms import BaseForm
from django.http import HttpRequest

from consultations.models import AuditEntry, Consultation, ConsultationStatus
from consultations.services.audit import audit_record

Action = AuditEntry.Action


def consultation_viewed(
    request: HttpRequest,
    consultation: Consultation,
    *,
    page: str,
    join_links: Iterable[dict] = (),
) -> None:
    """A consultation's page was shown (`page`: "detail" or "result"), and with it what
    of its access the page carries: the PIN and Kairo's room links, and the clinic's
    live join links (`join_links`: the page's, as `join_links_context` lists them). Both
    pages show the patient's name and masked document too."""
    shown = []
    if consultation.access_pin:
        shown += ["pin", "kairo_links"]
    if any(link["url"] for link in join_links):
        shown.append("join_links")
    audit_record(
        Action.CONSULTATION_VIEWED,
        request=request,
        target=consultation,
        detail={"page": page, "shown": shown},
    )


# A booking's status once the desk's submission is done: booked, or unconfirmed when
# Kairo's answer was lost. A double click's second submission, when it meets the first
# still *sending*, writes nothing: the first writes the row.
_BOOKED_STATUSES = (ConsultationStatus.BOOKED, ConsultationStatus.UNCONFIRMED)


def consultation_booked(request: HttpRequest, consultation: Consultation) -> None:
    if consultation.status in _BOOKED_STATUSES:
        audit_record(
            Action.BOOKED,
            request=request,
            target=consultation,
            detail={"status": consultation.status},
        )


def consultation_act(
    request: HttpRequest, action: str, consultation: Consultation, **detail: str
) -> None:
    """Refreshed, cancelled, resent, join links reissued."""
    audit_record(action, request=request, target=consultation, detail=detail)


def consultations_exported(
    request: HttpRequest, *, rows: int, export_format: str, filters: dict
) -> None:
    """The export's row count and format, and which filters it used: their names only."""
    used = sorted(name for name, value in filters.items() if value not in (None, ""))
    audit_record(
        Action.EXPORTED,
        request=request,
        object_type="consultation",
        detail={"rows": rows, "format": export_format, "filters": used},
    )


def record_viewed(request: HttpRequest, record: models.Model, *, page: str) -> None:
    """A patient's data was shown (name, document, phone, email): "detail" their page
    with their history, "edit" its form, "booking" the booking form filled with them."""
    audit_record(Action.PATIENT_VIEWED, request=request, target=record, detail={"page": page})


# A directory record saved from the desk: the action for a new one, for a changed one.
_SAVED_ACTIONS = {
    "patient": (Action.PATIENT_CREATED, Action.PATIENT_CHANGED),
    "provider": (Action.PROVIDER_CREATED, Action.PROVIDER_CHANGED),
}


def record_saved(
    request: HttpRequest, record: models.Model, *, created: bool, form: BaseForm
) -> None:
    """A patient or provider created or changed on the desk, with the names of the form's
    fields that changed (never their values)."""
    created_action, changed_action = _SAVED_ACTIONS[record._meta.model_name or ""]
    audit_record(
        created_action if created else changed_action,
        request=request,
        target=record,
        detail={"fields": field_names(form.changed_data)},
    )


def field_names(names: Iterable[str]) -> list[str]:
    return sorted(set(names))
