"""Writing the audit trail (`consultations.models.audit`): one call per audited act.

`audit_record` names the act, the account, the object and the patient it concerns, and
the client's address; never personal data (the caller passes ids and field names, not
values). It writes in the caller's transaction when there is one, so an act that rolls
back leaves no audit row claiming it happened; a read (a page view) writes its own.

A service that audits on its own (a patient saved by a booking) has no request to name
the client's address: the view runs it inside `audit_request_scope(request)`, and
`audit_record` takes the address (and the account, when none is given) from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

from consultations.client_address import client_address
from consultations.models import AuditEntry, Consultation, Patient

Action = AuditEntry.Action

_scope_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


@contextmanager
def audit_request_scope(request: HttpRequest) -> Iterator[None]:
    """Audit rows written inside this block without a request name `request`'s client."""
    token = _scope_request.set(request)
    try:
        yield
    finally:
        _scope_request.reset(token)


def audit_record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    target: models.Model | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    username: str = "",
    object_type: str = "",
) -> AuditEntry:
    """Add one row to the audit trail and return it.

    `actor` defaults to the request's signed-in user; `username` is for an act with no
    account (a failed sign-in names what was typed, cut to the field's length). The
    patient concerned is `target` itself when it is a patient, the consultation's patient
    when it is a consultation, else `patient_id`. `object_type` names a kind of object
    for an act on no one row of it (a catalog's import).
    """
    if request is None:
        request = _scope_request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    actor_id: int | None = None
    if actor is not None and actor.is_authenticated:
        actor_id = actor.pk
        username = actor.get_username()
    object_id = ""
    if target is not None:
        object_type = target._meta.model_name or ""
        object_id = str(target.pk)
        if isinstance(target, Patient):
            patient_id = target.pk
        elif isinstance(target, Consultation):
            patient_id = target.patient_id
    address = client_address(request) if request is not None else ""
    return AuditEntry.objects.create(
        action=action,
        actor_id=actor_id,
        actor_username=username[: AuditEntry._meta.get_field("actor_username").max_length],
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        address=address or None,
        detail=detail or {},
    )


def booking_recorded_late(consultation: Consultation, *, healed_by: str) -> None:
    """The "booked" row of a booking whose result page nobody saw (its answer reached the
    desk later, by `healed_by`), in the booker's name, unless its page had recorded one
    (a booking left unconfirmed is recorded when it shows)."""
    already = AuditEntry.objects.filter(
        action=Action.BOOKED, object_type="consultation", object_id=str(consultation.pk)
    )
    if not already.exists():
        audit_record(
            Action.BOOKED,
            actor=consultation.booked_by,
            target=consultation,
            detail={"status": consultation.status, "healed_by": healed_by},
        )
