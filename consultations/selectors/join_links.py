"""The join page's queries: a link by its token, the live links of a consultation, and
what the page shows for a link now (`join_page_state`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from consultations.models import Consultation, ConsultationStatus, JoinLink

Status = ConsultationStatus


class JoinState:
    """What the join page says, by the consultation's status and the clock."""

    # Booked or in progress, with a room link and a PIN: the Join button (enabled once
    # `opens_at` has come).
    READY = "ready"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    # Still being sent to Kairo Connect, or its answer unknown: no room yet.
    NOT_CONFIRMED = "not_confirmed"
    # Rejected by Kairo Connect: there never was a room.
    NOT_AVAILABLE = "not_available"


@dataclass(frozen=True)
class JoinPage:
    """The join page of one link at one moment."""

    link: JoinLink
    state: str
    # When the Join button opens (None: at once, an immediate consultation).
    opens_at: dt.datetime | None
    # True when Join may be pressed now (READY and `opens_at` has come).
    joinable: bool

    @property
    def consultation(self) -> Consultation:
        return self.link.consultation

    @property
    def room_url(self) -> str:
        """Kairo's room link for this recipient, "" unless the page is READY: a
        cancelled or finished consultation's page must never carry it."""
        if self.state != JoinState.READY:
            return ""
        return self.consultation.join_url_for(self.link.recipient)

    def seconds_until_open(self, now: dt.datetime) -> int:
        if self.opens_at is None or self.joinable:
            return 0
        return max(0, int((self.opens_at - now).total_seconds()) + 1)


def join_link_by_token(token: str) -> JoinLink | None:
    """The live link with `token`, its consultation, patient and provider; None when
    no link has this token or it was revoked.

    Unknown and revoked tokens take one path: the same single query by the unique
    token, then a check of the row in memory, so the two answers cannot be told apart
    by their timing (no second query, no early return on the token's shape)."""
    # PostgreSQL refuses NUL in a string, and a URL may carry one (%00): such a token
    # names no link, and still takes the same query.
    token = token.replace("\x00", "")
    link = (
        JoinLink.objects.select_related(
            "consultation__patient", "consultation__provider__specialty"
        )
        .filter(token=token)
        .first()
    )
    if link is None or link.revoked_at is not None:
        return None
    return link


def join_links_live(*, consultation: Consultation) -> dict[str, JoinLink]:
    """The consultation's live links by recipient ("patient", "provider")."""
    return {
        link.recipient: link
        for link in JoinLink.objects.filter(consultation=consultation, revoked_at__isnull=True)
    }


def join_page_state(link: JoinLink, *, now: dt.datetime) -> JoinPage:
    """What `link`'s page shows at `now`.

    Booked or in progress with a room link and a PIN: READY; the button opens
    JOIN_OPENS_MINUTES_BEFORE the start (an immediate consultation: at once). A booked
    consultation past its expiry, which Kairo Connect expires unused
    (docs/kairo-connect-api.md "Lifecycle"; expiry = start + duration, "Create a
    consultation"), reads EXPIRED even before the status here has caught up; an
    in-progress one stays joinable as long as it runs.
    """
    consultation = link.consultation
    status = consultation.status
    opens_at: dt.datetime | None = None
    if status in (Status.BOOKED, Status.IN_PROGRESS):
        has_room = bool(consultation.join_url_for(link.recipient) and consultation.access_pin)
        if not has_room:
            state = JoinState.NOT_CONFIRMED
        elif status == Status.BOOKED and now >= (
            consultation.kairo_expires_at or consultation.ends_at
        ):
            state = JoinState.EXPIRED
        else:
            state = JoinState.READY
            if not consultation.is_immediate and status == Status.BOOKED:
                opens_at = consultation.starts_at - dt.timedelta(
                    minutes=settings.JOIN_OPENS_MINUTES_BEFORE
                )
    elif status == Status.CANCELLED:
        state = JoinState.CANCELLED
    elif status == Status.COMPLETED:
        state = JoinState.COMPLETED
    elif status == Status.EXPIRED:
        state = JoinState.EXPIRED
    elif status == Status.REJECTED:
        state = JoinState.NOT_AVAILABLE
    else:
        state = JoinState.NOT_CONFIRMED
    joinable = state == JoinState.READY and (opens_at is None or now >= opens_at)
    return JoinPage(link=link, state=state, opens_at=opens_at, joinable=joinable)
