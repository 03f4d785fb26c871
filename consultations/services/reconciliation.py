"""Reconciliation without webhooks: ask Kairo (GET detail) about the consultations whose
state may have moved on there, within a request budget, and show staff the unconfirmed
bookings nobody can look up.

Webhooks get lost; `consultations_reconcile` is what a cron job runs every few minutes
(`manage.py reconcile_consultations`). Each question goes through `consultation_refresh`,
so a reconciled consultation changes exactly as a "Refresh from Kairo" would change it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from consultations.kairo import client as kairo
from consultations.kairo import contract
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from consultations.selectors.attention import with_outcome_request_id
from consultations.selectors.reconciliation import (
    not_asked_since,
    reconcile_candidates,
    reconcile_reason,
)
from consultations.services.events import event_record
from consultations.services.kairo_mapping import kairo_client
from consultations.services.lifecycle import RefreshTimeClash, consultation_refresh

logger = logging.getLogger("consultations.reconciliation")

Status = ConsultationStatus
Kind = ConsultationEvent.Kind

# Why a run stopped before asking about every candidate.
STOP_CAP = "cap"  # the run's request budget is spent
STOP_RESERVE = "reserve"  # X-RateLimit-Remaining fell below the reserve
STOP_RATE_LIMITED = "rate_limited"  # Kairo answered 429
STOP_UNREACHABLE = "unreachable"  # no answer from Kairo (connection, timeout, 5xx)
STOP_CONFIGURATION = "configuration"  # credentials or base URL refused

# The failures that say Kairo cannot be asked now, so asking about the next one is pointless.
UNREACHABLE_CODES = frozenset(
    {kairo.CONNECTION_FAILED, kairo.CONNECTION_LOST, kairo.TIMEOUT, kairo.SERVER_ERROR}
)


@dataclass
class AttentionItem:
    """An unconfirmed booking without Kairo's id, shown to staff: which one, since when,
    and the requestId Kairo Connect support can look it up by (no personal data)."""

    consultation_id: int
    created_at: dt.datetime
    request_id: str


@dataclass
class ReconcileReport:
    """What one run did. `asked` counts GET detail calls by reason; `stopped` says why
    the run ended early ("" when every candidate due was asked about)."""

    asked: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    failed: int = 0
    clashes: int = 0
    rate_limit_remaining: int | None = None
    stopped: str = ""
    attention: list[AttentionItem] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.asked.values())

    @property
    def kairo_failed(self) -> bool:
        """Kairo could not be reached or refused the configuration: the run's exit
        status should say so."""
        return self.stopped in (STOP_UNREACHABLE, STOP_CONFIGURATION)


def consultation_reconcile_claim(
    *, consultation: Consultation, now: dt.datetime, interval: dt.timedelta
) -> bool:
    """Take `consultation` for this run: True when no other run took it (or refreshed
    it) within `interval`. One conditional UPDATE: on PostgreSQL a concurrent one waits
    for ours and then finds the row no longer due; SQLite runs writers one at a time."""
    claimed = (
        Consultation.objects.filter(pk=consultation.pk)
        .filter(not_asked_since(now - interval))
        .update(reconcile_claimed_at=now)
    )
    return claimed == 1


def consultations_reconcile(
    *,
    max_requests: int,
    reserve: int,
    interval: dt.timedelta,
    attention_after: dt.timedelta,
    client: kairo.KairoClient | None = None,
) -> ReconcileReport:
    """Ask Kairo about the consultations `reconcile_candidates` names, at most
    `max_requests` GET detail calls, and stop early once an answer's
    X-RateLimit-Remaining is below `reserve` (docs/kairo-connect-api.md "Access"),
    at a 429, or when Kairo is unreachable or refuses the configuration. Each one is
    claimed first, so concurrent runs never ask about the same consultation. Then
    surface (once each) the unconfirmed bookings without Kairo's id older than
    `attention_after`. Returns the report; raises nothing for a Kairo failure.
    """
    client = client or kairo_client()
    report = ReconcileReport()
    now = timezone.now()
    # A few more than the budget: another run may claim some first.
    candidates = list(reconcile_candidates(now=now, interval=interval)[: max_requests * 2])
    for candidate in candidates:
        if report.requests >= max_requests:
            report.stopped = STOP_CAP
            break
        if not consultation_reconcile_claim(consultation=candidate, now=now, interval=interval):
            continue
        reason = reconcile_reason(candidate, now=now)
        report.asked[reason] = report.asked.get(reason, 0) + 1
        before = candidate.status
        try:
            after = consultation_refresh(consultation=candidate, actor=None, client=client)
        except RefreshTimeClash as clash:
            report.clashes += 1
            after = clash.consultation
        except kairo.KairoError as error:
            report.failed += 1
            after = None
            report.stopped = _stop_for(error)
            if report.stopped:
                logger.warning("Reconciliation stopped: %s", error)
        if after is not None and after.status != before:
            report.changed += 1
        # The client keeps the X-RateLimit-Remaining of the latest answer that carried
        # it, a refusal's included.
        report.rate_limit_remaining = client.last_rate_limit_remaining
        if report.stopped:
            break
        if report.rate_limit_remaining is not None and report.rate_limit_remaining < reserve:
            report.stopped = STOP_RESERVE
            break
    report.attention = unconfirmed_attention_surface(now=now, older_than=attention_after)
    logger.info(
        "Reconciliation: %s request(s), %s changed, %s failed, stopped=%s",
        report.requests,
        report.changed,
        report.failed,
        report.stopped or "no",
    )
    return report


def _stop_for(error: kairo.KairoError) -> str:
    if error.outcome == kairo.KairoOutcome.CONFIGURATION:
        return STOP_CONFIGURATION
    if error.code == contract.ERROR_RATE_LIMITED:
        return STOP_RATE_LIMITED
    if error.code in UNREACHABLE_CODES or (error.status or 0) >= 500:
        return STOP_UNREACHABLE
    return ""  # about this consultation only (e.g. not found): go on with the next


def unconfirmed_attention_surface(
    *, now: dt.datetime, older_than: dt.timedelta
) -> list[AttentionItem]:
    """The unconfirmed bookings without Kairo's id booked more than `older_than` ago:
    nothing can look them up, so a person must (Kairo Connect support, with the
    requestId) or cancel them. Each gets one `needs_attention` event, the first time it
    is found; all are returned, every run, for the command's output."""
    stale = list(
        with_outcome_request_id(
            Consultation.objects.filter(
                status=Status.UNCONFIRMED,
                kairo_consultation_id__isnull=True,
                created_at__lt=now - older_than,
            ).order_by("created_at", "pk")
        )
    )
    items = []
    for consultation in stale:
        request_id = getattr(consultation, "attention_request_id", None) or ""
        items.append(
            AttentionItem(
                consultation_id=consultation.pk,
                created_at=consultation.created_at,
                request_id=request_id,
            )
        )
        with transaction.atomic():
            locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
            if locked.events.filter(kind=Kind.NEEDS_ATTENTION).exists():
                continue
            event_record(
                locked,
                Kind.NEEDS_ATTENTION,
                request_id=request_id,
                detail={
                    "status": locked.status,
                    "minutes": int(older_than.total_seconds() // 60),
                },
            )
    return items
