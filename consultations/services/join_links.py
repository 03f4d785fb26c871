"""The clinic's join links: issuing them, revoking and reissuing them, recording the
join page's use on the timeline, and counting guessed tokens.

A link is issued the first time a message for its recipient is built
(`consultations.emails.message_build`, the one place), so the booking, reminders,
resends, new-time messages and the calendar file all carry the same live link, and a
resend after "Revoke and reissue" carries the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.models import Consultation, ConsultationEvent, Delivery, JoinLink
from consultations.services.events import event_record

Kind = ConsultationEvent.Kind

# Repeated opens of one recipient's page (a patient reloading while waiting, a mail
# scanner fetching the link) make one timeline line per this long: the timeline says
# the page was opened, not how often.
OPENED_COALESCE = dt.timedelta(minutes=10)


def join_link_issue(*, consultation: Consultation, recipient: str) -> JoinLink:
    """The live link of `consultation` for `recipient`, created when there is none.

    Two builders racing create one: the partial unique constraint (one live link per
    consultation and recipient) refuses the second, which then reads the first's.
    Raises ValueError for an unknown recipient."""
    if recipient not in Delivery.Recipient.values:
        raise ValueError(f"unknown recipient {recipient!r}")
    live = JoinLink.objects.filter(
        consultation=consultation, recipient=recipient, revoked_at__isnull=True
    ).first()
    if live is not None:
        return live
    try:
        with transaction.atomic():
            return JoinLink.objects.create(consultation=consultation, recipient=recipient)
    except IntegrityError:
        return JoinLink.objects.get(
            consultation=consultation, recipient=recipient, revoked_at__isnull=True
        )


def join_links_reissue(*, consultation: Consultation, actor: User) -> list[JoinLink]:
    """ "Revoke and reissue join links": revoke every live link of `consultation` (their
    pages then answer 404) and issue a new one for the patient and the provider.
    Records a `join_links_reissued` event by `actor`. Returns the new links. Sends
    nothing: a resend carries the new link."""
    with transaction.atomic():
        Consultation.objects.select_for_update().filter(pk=consultation.pk).first()
        now = timezone.now()
        revoked = JoinLink.objects.filter(
            consultation=consultation, revoked_at__isnull=True
        ).update(revoked_at=now)
        links = [
            JoinLink.objects.create(consultation=consultation, recipient=recipient)
            for recipient in Delivery.Recipient.values
        ]
        event_record(
            consultation, Kind.JOIN_LINKS_REISSUED, actor=actor, detail={"revoked": revoked}
        )
    return links


def join_page_opened_record(*, link: JoinLink) -> ConsultationEvent | None:
    """Record that `link`'s page was opened: a `join_page_opened` event naming the
    recipient, unless one for the same recipient was recorded within OPENED_COALESCE.
    Returns the event recorded (None when coalesced)."""
    since = timezone.now() - OPENED_COALESCE
    recent = ConsultationEvent.objects.filter(
        consultation_id=link.consultation_id,
        kind=Kind.JOIN_PAGE_OPENED,
        created_at__gte=since,
        detail__recipient=link.recipient,
    ).exists()
    if recent:
        return None
    return event_record(
        link.consultation, Kind.JOIN_PAGE_OPENED, detail={"recipient": link.recipient}
    )


def join_pressed_record(*, link: JoinLink) -> ConsultationEvent:
    """Record that Join was pressed on `link`'s page (each press: it is what sends the
    person to the room)."""
    return event_record(link.consultation, Kind.JOIN_PRESSED, detail={"recipient": link.recipient})


# --- Guessing ---------------------------------------------------------------------------
# A fixed window per client address in Django's cache: `add` starts it, `incr` counts
# (atomic in every cache backend Django ships). The cache must be shared by every
# process (docs/operations.md), or each one counts its own share.


def _guess_key(address: str) -> str:
    # The address is hashed: the cache holds no client address.
    return "join-guess:" + hashlib.sha256(address.encode()).hexdigest()


def join_guesses_exceeded(*, address: str) -> bool:
    """Whether `address` has already tried JOIN_GUESS_LIMIT unknown or revoked tokens in
    the current window."""
    return (cache.get(_guess_key(address)) or 0) >= settings.JOIN_GUESS_LIMIT


def join_guess_record(*, address: str) -> int:
    """Count one unknown or revoked token from `address`; the count so far."""
    key = _guess_key(address)
    cache.add(key, 0, timeout=settings.JOIN_GUESS_WINDOW_MINUTES * 60)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between `add` and `incr`: this try starts the next one.
        cache.add(key, 1, timeout=settings.JOIN_GUESS_WINDOW_MINUTES * 60)
        return 1
