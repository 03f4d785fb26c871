"""What the "Needs attention" page lists, and how many there are (the navigation's
badge): webhook deliveries that changed nothing, bookings still unconfirmed, and
emails that failed for a consultation still to come.

Each list has a queryset (`*_pending`) that both the page and `attention_count` read,
so the badge counts exactly what the page shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from consultations.models import (
    ACTIVE_STATUSES,
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    WebhookDelivery,
)
from consultations.selectors.booking import OUTCOME_KINDS

Status = ConsultationStatus

# Stored by the delivery service when a message was not sent on purpose (the
# consultation had started, was over or cancelled): nothing for staff to do.
SKIPPED_PREFIX = "Skipped: "


def webhook_deliveries_pending() -> QuerySet[WebhookDelivery]:
    """Webhook deliveries that did not apply (unmatched `consultation.created`, unknown
    event, unknown consultation) and nobody has marked handled, newest first."""
    return WebhookDelivery.objects.filter(
        outcome__in=WebhookDelivery.NOT_APPLIED, handled_at__isnull=True
    ).order_by("-received_at", "-id")


def unconfirmed_pending(*, now: dt.datetime | None = None) -> QuerySet[Consultation]:
    """Bookings still unconfirmed, or stuck sending, booked more than
    KAIRO_UNCONFIRMED_ATTENTION_MINUTES ago: those without Kairo's id (only a person
    can settle them) and those with it that reconciliation has not yet resolved.
    Oldest first."""
    now = now or timezone.now()
    older_than = dt.timedelta(minutes=settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES)
    return Consultation.objects.filter(
        status__in=(Status.UNCONFIRMED, Status.SENDING), created_at__lt=now - older_than
    ).order_by("created_at", "pk")


def failed_deliveries_pending(*, now: dt.datetime | None = None) -> QuerySet[Delivery]:
    """Failed emails of consultations not over, cancelled or rejected, with no email of
    the same recipient sent after them (a successful resend settles it). Messages
    skipped on purpose are left out. Newest first."""
    now = now or timezone.now()
    sent_later = Delivery.objects.filter(
        consultation=OuterRef("consultation"),
        recipient=OuterRef("recipient"),
        state=Delivery.State.SENT,
        created_at__gt=OuterRef("created_at"),
    )
    return (
        Delivery.objects.filter(
            state=Delivery.State.FAILED,
            consultation__status__in=ACTIVE_STATUSES,
            consultation__ends_at__gt=now,
        )
        .exclude(last_error__startswith=SKIPPED_PREFIX)
        .filter(~Exists(sent_later))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class AttentionCounts:
    webhooks: int
    unconfirmed: int
    emails: int

    @property
    def total(self) -> int:
        return self.webhooks + self.unconfirmed + self.emails


def attention_counts(*, now: dt.datetime | None = None) -> AttentionCounts:
    """How many items each section lists (the page's headings): three COUNT queries,
    whatever the data."""
    now = now or timezone.now()
    return AttentionCounts(
        webhooks=webhook_deliveries_pending().count(),
        unconfirmed=unconfirmed_pending(now=now).count(),
        emails=failed_deliveries_pending(now=now).count(),
    )


# The badge counts up to this many items; past it, it says "99+".
BADGE_CAP = 99


def attention_total(*, now: dt.datetime | None = None) -> int:
    """How many items the page lists in all, up to BADGE_CAP + 1, in ONE query: the
    three lists' ids joined with UNION ALL, LIMIT BADGE_CAP + 1 (no COUNT, so however
    large the tables grow, it reads at most a hundred index entries, through the
    indexes on each list's state). What the navigation's badge shows, on every page.

    The statement is the three querysets' own SQL, compiled once per process
    (`_badge_statement`): only its moments change from call to call, so the badge
    counts exactly what the page lists without paying the ORM's compilation on every
    page (most of what it cost)."""
    now = now or timezone.now()
    older_than = dt.timedelta(minutes=settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES)
    statement = _badge_statement(older_than)
    if statement is None:  # the query's moments could not be told apart: the ORM's way
        return len(_badge_union(now)[: BADGE_CAP + 1])
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [_bound(param, now) for param in params])
        return len(cursor.fetchall())


def _badge_union(now: dt.datetime) -> QuerySet:
    webhooks, unconfirmed, emails = (
        queryset.order_by().values_list("pk")
        for queryset in (
            webhook_deliveries_pending(),
            unconfirmed_pending(now=now),
            failed_deliveries_pending(now=now),
        )
    )
    return webhooks.union(unconfirmed, emails, all=True)


# A parameter of the badge's statement: a constant, or `now` plus an offset.
_Param = tuple[bool, Any]
# The compiled statement by (database vendor, unconfirmed delay): None when it cannot be
# cached (the sample moments did not each appear as one parameter).
_statements: dict[tuple[str, dt.timedelta], tuple[str, list[_Param]] | None] = {}
# A moment no real query holds, to find where `now` goes in the compiled parameters.
_SAMPLE_NOW = dt.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def _badge_statement(older_than: dt.timedelta) -> tuple[str, list[_Param]] | None:
    key = (connection.vendor, older_than)
    if key not in _statements:
        sql, raw = _badge_union(_SAMPLE_NOW)[: BADGE_CAP + 1].query.sql_with_params()
        adapt = connection.ops.adapt_datetimefield_value
        offsets: dict[Any, dt.timedelta] = {
            adapt(_SAMPLE_NOW + offset): offset for offset in (dt.timedelta(0), -older_than)
        }
        params: list[_Param] = []
        found: list[dt.timedelta] = []
        for value in raw:
            offset = offsets.get(value) if isinstance(value, dt.datetime | str) else None
            if offset is None:
                params.append((False, value))
            else:
                params.append((True, offset))
                found.append(offset)
        # Each moment exactly once, as the querysets put them; else not cached.
        _statements[key] = (sql, params) if sorted(found) == sorted(offsets.values()) else None
    return _statements[key]


def _bound(param: _Param, now: dt.datetime) -> Any:
    is_moment, value = param
    if not is_moment:
        return value
    assert isinstance(value, dt.timedelta)
    return connection.ops.adapt_datetimefield_value(now + value)


# --- The page's rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookRow:
    """A pending delivery as the page shows it: Kairo's consultation id read from the
    stored body, and the candidates' ids (never the rest of the body: the patient's
    masked data stays in the admin)."""

    delivery: WebhookDelivery
    kairo_consultation_id: str
    candidate_ids: list[int]


def webhook_delivery_rows(*, limit: int) -> list[WebhookRow]:
    """The newest `limit` pending webhook deliveries."""
    rows = []
    for delivery in webhook_deliveries_pending()[:limit]:
        payload = delivery.payload if isinstance(delivery.payload, dict) else {}
        data = payload.get("data")
        kairo_id = data.get("consultationId") if isinstance(data, dict) else None
        candidates = delivery.candidates if isinstance(delivery.candidates, list) else []
        rows.append(
            WebhookRow(
                delivery=delivery,
                kairo_consultation_id=kairo_id if isinstance(kairo_id, str) else "",
                candidate_ids=[
                    pk for pk in candidates if isinstance(pk, int) and not isinstance(pk, bool)
                ],
            )
        )
    return rows


def with_outcome_request_id(consultations: QuerySet[Consultation]) -> QuerySet[Consultation]:
    """`consultations`, each with `attention_request_id`: the requestId of its booking
    outcome (what Kairo Connect support finds it by), else the last requestId it had
    (None when it has neither)."""
    outcome_request = (
        ConsultationEvent.objects.filter(consultation=OuterRef("pk"), kind__in=OUTCOME_KINDS)
        .exclude(kairo_request_id="")
        .order_by("-created_at", "-id")
        .values("kairo_request_id")[:1]
    )
    return consultations.annotate(
        attention_request_id=Coalesce(
            Subquery(outcome_request), NullIf(F("kairo_last_request_id"), Value(""))
        )
    )


def unconfirmed_rows(*, limit: int, now: dt.datetime | None = None) -> list[Consultation]:
    """The oldest `limit` unconfirmed bookings, with patient and provider, each with
    `attention_request_id` (`with_outcome_request_id`)."""
    pending = unconfirmed_pending(now=now).select_related("patient", "provider")
    return list(with_outcome_request_id(pending)[:limit])


def failed_delivery_rows(*, limit: int, now: dt.datetime | None = None) -> list[Delivery]:
    """The newest `limit` failed emails still worth resending, with their consultation."""
    return list(
        failed_deliveries_pending(now=now).select_related(
            "consultation", "consultation__patient", "consultation__provider"
        )[:limit]
    )
