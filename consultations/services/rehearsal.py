"""Rehearsing a consultation's life on the built-in sandbox: "Simulate: patient joins /
provider joins / call ends / expire" on the consultation page, sandbox mode only.

Each action plays what Kairo Connect would do (docs/kairo-connect-api.md "Lifecycle")
through the in-process sandbox's `trigger()`, which sends the event's signed webhook;
the change then reaches this app the way a real one would, through the receiver, so the
agenda and the timeline show it too. With webhook delivery off
(`KAIRO_SANDBOX_WEBHOOK_URL` empty) the change is read back with the ordinary "Refresh
from Kairo" instead, so rehearsal still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from consultations.kairo import contract
from consultations.models import Consultation
from consultations.services.kairo_mapping import kairo_client
from consultations.services.lifecycle import consultation_refresh

# How long the simulate request waits for the sandbox's webhooks to be applied, so the
# page it redirects to already shows the change. Past it the page says it is on its way.
WEBHOOK_WAIT_SECONDS = 5.0


class Action(StrEnum):
    PATIENT_JOINS = "patient_joins"
    PROVIDER_JOINS = "provider_joins"
    CALL_ENDS = "call_ends"
    EXPIRE = "expire"


# The buttons read "Simulate: <label>".
ACTION_LABELS = {
    Action.PATIENT_JOINS: _("patient joins"),
    Action.PROVIDER_JOINS: _("provider joins"),
    Action.CALL_ENDS: _("call ends"),
    Action.EXPIRE: _("expire"),
}


class RehearsalRefused(Exception):
    """The sandbox refused the step: `status` 409 (the lifecycle does not allow it now)
    or 404 (the sandbox does not know the consultation: it was reset)."""

    def __init__(self, *, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class RehearsalResult:
    # "webhook": applied through the receiver; "pending": sent, not applied yet;
    # "refresh": webhooks off, read back with a refresh.
    applied_by: str


def rehearsal_available() -> bool:
    """Whether the desk runs on the in-process sandbox (KAIRO_BASE_URL empty)."""
    return kairo_client().uses_in_process_sandbox


def rehearsal_actions(consultation: Consultation) -> list[Action]:
    """The steps the sandbox allows now for `consultation`, in the page's order; none
    without a Kairo id, or when the sandbox does not know it (or is not in use)."""
    if consultation.kairo_consultation_id is None or not rehearsal_available():
        return []
    from consultations.kairo.sandbox import default_sandbox

    view = default_sandbox().session_view(consultation.kairo_consultation_id)
    if view is None:
        return []
    status, joined = view["status"], view["joined"]
    if status not in (contract.STATUS_PENDING, contract.STATUS_IN_PROGRESS):
        return []
    actions = []
    if "patient" not in joined:
        actions.append(Action.PATIENT_JOINS)
    if "provider" not in joined:
        actions.append(Action.PROVIDER_JOINS)
    if status == contract.STATUS_IN_PROGRESS:
        actions.append(Action.CALL_ENDS)
    else:
        actions.append(Action.EXPIRE)
    return actions


def rehearsal_simulate(
    *, consultation: Consultation, action: Action, actor: User
) -> RehearsalResult:
    """Play `action` on the sandbox for `consultation` (which has a Kairo id) and wait
    briefly for its webhooks to be applied; with webhooks off, refresh instead.

    "call ends" is session_ended for each participant still in the call, then
    consultation.completed (contract "Webhooks"). Raises RehearsalRefused when the
    sandbox refuses a step; ValueError without a Kairo id; KairoError when the
    fallback refresh fails."""
    from consultations.kairo.sandbox import SandboxError, default_sandbox

    kairo_id = consultation.kairo_consultation_id
    if kairo_id is None:
        raise ValueError("This consultation has no Kairo id to simulate with.")
    sandbox = default_sandbox()
    steps: list[tuple[str, str | None]]
    if action == Action.PATIENT_JOINS:
        steps = [(contract.EVENT_SESSION_STARTED, "patient")]
    elif action == Action.PROVIDER_JOINS:
        steps = [(contract.EVENT_SESSION_STARTED, "provider")]
    elif action == Action.EXPIRE:
        steps = [(contract.EVENT_CONSULTATION_EXPIRED, None)]
    else:
        view = sandbox.session_view(kairo_id) or {"joined": [], "left": []}
        steps = [
            (contract.EVENT_SESSION_ENDED, participant)
            for participant in view["joined"]
            if participant not in view["left"]
        ]
        steps.append((contract.EVENT_CONSULTATION_COMPLETED, None))
    try:
        for event, participant in steps:
            sandbox.trigger(kairo_id, event, participant)
    except SandboxError as error:
        raise RehearsalRefused(status=error.status, code=error.code) from None
    if sandbox.webhooks.enabled:
        delivered = sandbox.wait_for_webhooks(timeout=WEBHOOK_WAIT_SECONDS)
        return RehearsalResult(applied_by="webhook" if delivered else "pending")
    consultation_refresh(consultation=consultation, actor=actor)
    return RehearsalResult(applied_by="refresh")


def rehearsal_lose_next_answer() -> None:
    """Make the sandbox lose its answer to the next booking it receives: it creates the
    consultation and sends its `consultation.created` webhook, then closes the connection
    without answering (the `drop` fault, docs/kairo-connect-api.md "Webhooks"). The
    booking shows as unconfirmed until the webhook heals it. Sandbox mode only."""
    if not rehearsal_available():
        raise RehearsalRefused(status=404, code="NOT_SANDBOX")
    from consultations.kairo.sandbox import default_sandbox

    default_sandbox().arm_fault("drop", times=1, scope="create")
