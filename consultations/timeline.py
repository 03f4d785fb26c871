"""A consultation's timeline as sentences in the staff language.

Each `ConsultationEvent` kind has one function that reads the facts its writer records
in `detail` (see `services.events.event_record` and the services that call it) and
words them. Unknown keys are ignored, a missing or mistyped one is left out of the
sentence, and a kind without a function is shown by its label: an old or odd row never
breaks the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consultations.clock import short_moment
from consultations.kairo_texts import kairo_error_text, kairo_status_text
from consultations.models import ConsultationEvent, ConsultationStatus, Delivery

Kind = ConsultationEvent.Kind


@dataclass(frozen=True)
class TimelineLine:
    """One event and its sentence, for the detail page."""

    event: ConsultationEvent
    text: str


def timeline_lines(events: list[ConsultationEvent]) -> list[TimelineLine]:
    """The events (oldest first, as `selectors.booking.consultation_timeline` gives
    them), each with its sentence in the active language."""
    return [TimelineLine(event=event, text=event_sentence(event)) for event in events]


def event_sentence(event: ConsultationEvent) -> str:
    """What `event` says, as one or two sentences in the active language."""
    detail = event.detail if isinstance(event.detail, Mapping) else {}
    user = event.actor.get_username() if event.actor is not None else ""
    sentence = _SENTENCES.get(event.kind)
    if sentence is None:
        return str(event.get_kind_display())
    return sentence(detail, user)


def delivery_error_text(last_error: str) -> tuple[str, str]:
    """What a delivery's stored `last_error` (English, technical: see
    services.deliveries.sending) means for staff, in the active language, and the
    technical detail to show beside it as it is ("" when the sentence says it all)."""
    skipped = "Skipped: consultation "
    if last_error == skipped + "already started":
        return _("Not sent: the consultation had already started."), ""
    if last_error == skipped + "already over":
        return _("Not sent: the consultation was already over."), ""
    if last_error.startswith(skipped):
        status = last_error.removeprefix(skipped)
        label = dict(ConsultationStatus.choices).get(status, status)
        return _("Not sent (consultation: %(status)s).") % {"status": label}, ""
    if last_error.startswith("Not sent: "):
        return (
            _("Not sent: there is no link, PIN or valid address to send."),
            last_error.removeprefix("Not sent: "),
        )
    return _("The mail server did not accept it or could not be reached."), last_error


# --- Reading `detail` ----------------------------------------------------------------------


def _text(detail: Mapping[str, Any], key: str) -> str:
    value = detail.get(key)
    return value if isinstance(value, str) else ""


def _count(detail: Mapping[str, Any], key: str) -> int | None:
    value = detail.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _status_label(value: str) -> str:
    return str(dict(ConsultationStatus.choices).get(value, value))


def _status_phrase(detail: Mapping[str, Any]) -> str:
    """ "Booked → In progress", or the status it stayed in ("" when neither is known)."""
    before, after = _text(detail, "from"), _text(detail, "to")
    if before and after:
        return _("%(from)s → %(to)s") % {
            "from": _status_label(before),
            "to": _status_label(after),
        }
    status = _text(detail, "status")
    return _status_label(status) if status else ""


def _kairo_status_phrase(detail: Mapping[str, Any]) -> str:
    status = _text(detail, "kairo_status")
    if not status:
        return ""
    return " " + _("(In Kairo Connect: %(status)s.)") % {"status": kairo_status_text(status)}


def _fields_phrase(detail: Mapping[str, Any]) -> str:
    fields = detail.get("fields")
    if not isinstance(fields, list) or not fields:
        return ""
    names = ", ".join(str(field) for field in fields)
    return " " + _("Fields it named: %(fields)s.") % {"fields": names}


# --- One function per kind -------------------------------------------------------------------


def _booking_started(detail: Mapping[str, Any], user: str) -> str:
    immediate = detail.get("immediate") is True
    if user:
        if immediate:
            return _("Immediate consultation sent to Kairo Connect by %(user)s.") % {"user": user}
        return _("Sent to Kairo Connect by %(user)s.") % {"user": user}
    if immediate:
        return _("Immediate consultation sent to Kairo Connect.")
    return _("Sent to Kairo Connect.")


def _booked(detail: Mapping[str, Any], user: str) -> str:
    return _("Kairo Connect confirmed the booking.") + _kairo_status_phrase(detail)


def _rejected(detail: Mapping[str, Any], user: str) -> str:
    return _("Kairo Connect refused the booking: %(reason)s") % {
        "reason": kairo_error_text(_text(detail, "code"))
    } + _fields_phrase(detail)


def _configuration_error(detail: Mapping[str, Any], user: str) -> str:
    return _("Kairo Connect refused the clinic's credentials or address: %(reason)s") % {
        "reason": kairo_error_text(_text(detail, "code"))
    }


def _unconfirmed(detail: Mapping[str, Any], user: str) -> str:
    return _("Kairo Connect's answer is unknown: %(reason)s The request was not sent again.") % {
        "reason": kairo_error_text(_text(detail, "code"))
    }


def _stuck_swept(detail: Mapping[str, Any], user: str) -> str:
    return _(
        "The booking was interrupted before Kairo Connect's answer was recorded; "
        "marked unconfirmed."
    )


def _refreshed(detail: Mapping[str, Any], user: str) -> str:
    status = _status_phrase(detail)
    if user and status:
        text = _("Refreshed from Kairo Connect by %(user)s; status: %(status)s.") % {
            "user": user,
            "status": status,
        }
    elif user:
        text = _("Refreshed from Kairo Connect by %(user)s.") % {"user": user}
    elif status:
        text = _("Refreshed from Kairo Connect; status: %(status)s.") % {"status": status}
    else:
        text = _("Refreshed from Kairo Connect.")
    text += _kairo_status_phrase(detail)
    if detail.get("time_changed") is True:
        text += " " + _("Kairo Connect moved it to a new time.")
    if detail.get("time_clash"):
        text += " " + _(
            "Kairo Connect reported a new time that overlaps another booking here; the "
            "time here was kept."
        )
    return text


def _refresh_failed(detail: Mapping[str, Any], user: str) -> str:
    return _("Refresh from Kairo Connect failed: %(reason)s") % {
        "reason": kairo_error_text(_text(detail, "code"))
    }


def _status_changed(detail: Mapping[str, Any], user: str) -> str:
    status = _status_phrase(detail)
    if not status:
        return _("Status changed.")
    return _("Status changed: %(status)s.") % {"status": status}


def _cancelled(detail: Mapping[str, Any], user: str) -> str:
    if user:
        text = _("Cancelled here by %(user)s.") % {"user": user}
    else:
        text = _("Cancelled here.")
    if detail.get("kairo_notified") is False:
        text += " " + _("Kairo Connect has no cancel: its room stays open until it expires.")
    return text


_RECIPIENTS: dict[str, Callable[[], str]] = {
    Delivery.Recipient.PATIENT: lambda: _("Email to the patient"),
    Delivery.Recipient.PROVIDER: lambda: _("Email to the provider"),
}


def _email(detail: Mapping[str, Any], user: str) -> str:
    recipient = _RECIPIENTS.get(_text(detail, "recipient"))
    to = recipient() if recipient is not None else _("Email")
    kinds = dict(Delivery.Kind.choices)
    kind = _text(detail, "kind")
    kind_label = str(kinds.get(kind, "")).lower()
    minutes = _count(detail, "minutes_before")
    if kind_label and minutes:
        kind_label = ngettext(
            "%(kind)s, %(minutes)s minute before",
            "%(kind)s, %(minutes)s minutes before",
            minutes,
        ) % {"kind": kind_label, "minutes": minutes}
    states = dict(Delivery.State.choices)
    state = str(states.get(_text(detail, "state"), "")).lower()
    head = _("%(to)s (%(kind)s)") % {"to": to, "kind": kind_label} if kind_label else to
    text = _("%(head)s: %(state)s") % {"head": head, "state": state} if state else head
    attempts = _count(detail, "attempts")
    if attempts:
        text += ngettext(", %(count)s attempt", ", %(count)s attempts", attempts) % {
            "count": attempts
        }
    if detail.get("requested") is True and user:
        text += " " + _("(asked by %(user)s)") % {"user": user}
    return text + "."


_WEBHOOK_SENTENCES: dict[tuple[str, str], Callable[[], str]] = {
    ("session_started", "patient"): lambda: _("The patient joined the video call."),
    ("session_started", "provider"): lambda: _("The provider joined the video call."),
    ("session_ended", "patient"): lambda: _("The patient left the video call."),
    ("session_ended", "provider"): lambda: _("The provider left the video call."),
    ("consultation.created", ""): lambda: _("Kairo Connect confirmed it created the consultation."),
    ("consultation.completed", ""): lambda: _("Kairo Connect reported the consultation completed."),
    ("consultation.expired", ""): lambda: _("Kairo Connect reported the consultation expired."),
}


def _moment_phrase(detail: Mapping[str, Any]) -> str:
    """ " At 2026-12-02 10:03." for the moment a session event happened (`detail["at"]`,
    ISO 8601), on the organization's clock, to the minute as Kairo gives it
    (docs/kairo-connect-api.md "Dates and times"); "" when absent or unreadable."""
    value = _text(detail, "at")
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return ""
    if moment is None or moment.tzinfo is None:
        return ""
    return " " + _("At %(moment)s.") % {"moment": short_moment(moment)}


def _webhook(detail: Mapping[str, Any], user: str) -> str:
    event = _text(detail, "event")
    sentence = _WEBHOOK_SENTENCES.get((event, _text(detail, "participant")))
    if detail.get("healed") is True:
        text = _(
            "Kairo Connect confirmed it created this booking, whose answer had been lost; "
            "its PIN and links are now stored."
        )
    elif sentence is not None:
        text = sentence()
    elif event in _SESSION_FALLBACK:
        text = _SESSION_FALLBACK[event]()
    elif event:
        text = _("Kairo Connect reported the event %(event)s.") % {"event": event}
    else:
        return _("Kairo Connect sent a notice.")
    text += _moment_phrase(detail)
    if _text(detail, "from") and _text(detail, "to"):
        text += " " + _("Status: %(status)s.") % {"status": _status_phrase(detail)}
    return text


# A session event whose participant is missing or unknown still says what happened.
_SESSION_FALLBACK: dict[str, Callable[[], str]] = {
    "session_started": lambda: _("Someone joined the video call."),
    "session_ended": lambda: _("Someone left the video call."),
}


def unconfirmed_action_text(*, kairo_id_known: bool) -> str:
    """What staff can do about a booking still unconfirmed: the timeline's
    needs-attention sentence without Kairo's id, "Check again" with it (the
    "Needs attention" page shows the same words)."""
    if not kairo_id_known:
        return _(
            "Still unconfirmed and Kairo Connect's id is unknown, so it cannot be looked up "
            "from here: give the requestId to Kairo Connect support to find out whether it "
            "was created, or cancel it here if the patient no longer needs it."
        )
    return _(
        'Still unconfirmed, but Kairo Connect\'s id is known: use "Check again" on its page '
        "to ask Kairo Connect, or cancel it here if the patient no longer needs it."
    )


_JOIN_OPENED: dict[str, Callable[[], str]] = {
    Delivery.Recipient.PATIENT: lambda: _("The patient opened the clinic's join page."),
    Delivery.Recipient.PROVIDER: lambda: _("The provider opened the clinic's join page."),
}
_JOIN_PRESSED: dict[str, Callable[[], str]] = {
    Delivery.Recipient.PATIENT: lambda: _(
        "The patient pressed Join and was sent to Kairo Connect's room."
    ),
    Delivery.Recipient.PROVIDER: lambda: _(
        "The provider pressed Join and was sent to Kairo Connect's room."
    ),
}


def _join_page_opened(detail: Mapping[str, Any], user: str) -> str:
    sentence = _JOIN_OPENED.get(_text(detail, "recipient"))
    return sentence() if sentence is not None else _("The clinic's join page was opened.")


def _join_pressed(detail: Mapping[str, Any], user: str) -> str:
    sentence = _JOIN_PRESSED.get(_text(detail, "recipient"))
    return sentence() if sentence is not None else _("Join was pressed on the clinic's join page.")


def _join_links_reissued(detail: Mapping[str, Any], user: str) -> str:
    if user:
        text = _("Join links revoked and reissued by %(user)s.") % {"user": user}
    else:
        text = _("Join links revoked and reissued.")
    return text + " " + _("The old links no longer open the page.")


def _needs_attention(detail: Mapping[str, Any], user: str) -> str:
    return unconfirmed_action_text(kairo_id_known=False)


_SENTENCES: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    Kind.BOOKING_STARTED: _booking_started,
    Kind.BOOKED: _booked,
    Kind.REJECTED: _rejected,
    Kind.CONFIGURATION_ERROR: _configuration_error,
    Kind.UNCONFIRMED: _unconfirmed,
    Kind.STUCK_SWEPT: _stuck_swept,
    Kind.REFRESHED: _refreshed,
    Kind.REFRESH_FAILED: _refresh_failed,
    Kind.STATUS_CHANGED: _status_changed,
    Kind.CANCELLED: _cancelled,
    Kind.EMAIL: _email,
    Kind.WEBHOOK: _webhook,
    Kind.NEEDS_ATTENTION: _needs_attention,
    Kind.JOIN_PAGE_OPENED: _join_page_opened,
    Kind.JOIN_PRESSED: _join_pressed,
    Kind.JOIN_LINKS_REISSUED: _join_links_reissued,
}
