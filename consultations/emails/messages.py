"""The messages: patient and provider emails with the join link, and the cancellation.

Builds messages; sends nothing itself (delivery, retries and reminders live in the
services and tasks that call `message_build`). Nothing here logs: a message holds a PIN,
a join link and an address, none of which may reach a log (house style, the client).

Safety rules every builder here keeps:
- Header text (subjects) is built from our own wording plus names squeezed to one line
  (`_single_line`), so a name holding CR/LF can neither add a header nor make Django
  raise `BadHeaderError`; the recipient address must be a single valid address.
- The HTML part is rendered with autoescaping; the text part with it off, so the text
  carries each link exactly as stored (in HTML `&` correctly becomes `&amp;`).
- Each recipient's message, HTML and calendar file carry only that recipient's link:
  the patient link and the provider link open the same room as different participants
  (contract: `participantAccess`), so one must never reach the other party.
- A cancellation carries neither the PIN nor a link: Kairo Connect has no cancel
  operation (contract "Endpoints"), so the room stays joinable until it expires, and a
  message saying "cancelled" is no place to hand out its key.
- Patients are told to reply only when the clinic has a reply-to address
  (CLINIC_EMAIL); without one, to call CLINIC_PHONE, or nothing.

The calendar files themselves are built in `consultations.emails.calendar`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consultations.dates import long_date
from consultations.emails.calendar import (
    CALENDAR_METHOD,
    CANCEL_METHOD,
    calendar_filename,
    calendar_part,
    cancel_ics,
    publish_ics,
)
from consultations.models import Consultation, ConsultationStatus, Delivery
from consultations.rules import organization_zone

# Names in a subject are cut to this many characters: a subject is a preview line.
_SUBJECT_NAME_MAX = 60


def message_build(
    *,
    consultation: Consultation,
    recipient: str,
    kind: str,
    to_address: str,
    reminder_offset_minutes: int | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """The message for `recipient` ("patient" | "provider") about `consultation`.

    `kind` is "booking", "resend" (the same message, its subject marked as a copy),
    "reminder" (patient only, scheduled consultations only, `reminder_offset_minutes`
    before the start) or "time_changed" (scheduled consultations only: the booking
    message announcing the new time; its calendar file, with the same UID and the raised
    SEQUENCE, replaces the event of the earlier one). Plain text plus an HTML alternative, in the patient's preferred
    language (providers: settings.LANGUAGE_CODE), with the calendar file attached for a
    scheduled consultation. Sends nothing.

    `kind` "cancelled" (a consultation cancelled here) says so, with neither the PIN nor
    a link, and attaches, for a scheduled consultation, the calendar file that removes
    the event (METHOD:CANCEL, the same UID, the consultation's raised SEQUENCE).

    Raises ValueError for an unknown recipient or kind, a provider reminder, a reminder
    without a positive offset or for an immediate consultation, a new time for an
    immediate consultation, a consultation without
    this recipient's join link or a PIN (nothing to send), a cancellation of a
    consultation that is not cancelled, or a `to_address` that is not
    one valid address. The error text never holds the address, link or PIN.
    """
    _check_recipient(recipient)
    # The kinds and recipients are the delivery model's choices: every delivery row
    # names one, and nothing else can be built.
    if kind not in Delivery.Kind.values:
        raise ValueError(
            f"unknown message kind {kind!r}; expected one of {tuple(Delivery.Kind.values)}"
        )
    if kind == "reminder":
        if recipient != "patient":
            raise ValueError("reminders go to the patient only")
        if consultation.is_immediate:
            raise ValueError("an immediate consultation has no reminder")
        if not isinstance(reminder_offset_minutes, int) or reminder_offset_minutes <= 0:
            raise ValueError("a reminder needs reminder_offset_minutes > 0")
    if kind == "time_changed" and consultation.is_immediate:
        raise ValueError("an immediate consultation has no time to change")
    cancelled = kind == Delivery.Kind.CANCELLED
    if cancelled and consultation.status != ConsultationStatus.CANCELLED:
        raise ValueError("a cancellation message needs a cancelled consultation")
    # A cancellation carries no link (nor PIN): nothing of the room is needed or given.
    join_url = "" if cancelled else _join_url(consultation, recipient)
    address = _address_check(to_address)
    template = f"{recipient}_cancelled" if cancelled else recipient

    language = _language(consultation, recipient)
    with translation.override(language):
        context = _context(
            consultation,
            recipient=recipient,
            kind=kind,
            join_url=join_url,
            reminder_offset_minutes=reminder_offset_minutes,
        )
        subject = _subject(context)
        text = _text_tidy(render_to_string(f"consultations/emails/{template}.txt", context))
        html = render_to_string(f"consultations/emails/{template}.html", context)
        other_party_name = context["provider_name" if recipient == "patient" else "patient_name"]
        if consultation.is_immediate:
            ics = None
        elif cancelled:
            ics = cancel_ics(
                consultation,
                summary=_cancelled_summary(recipient, other_party_name),
                attendee_address=address,
                attendee_name=context[f"{recipient}_name"],
                organizer_name=context["clinic_name"],
            )
        else:
            ics = _calendar_ics(
                consultation,
                recipient=recipient,
                join_url=join_url,
                other_party_name=other_party_name,
                consultation_type_name=context["consultation_type_name"],
            )

    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        # Only a real reply-to: without CLINIC_EMAIL a reply would reach the sender,
        # often an unread mailbox, and the message does not invite one (`contact_line`).
        reply_to=[settings.CLINIC_EMAIL] if settings.CLINIC_EMAIL else None,
        headers={
            "Content-Language": language,
            # RFC 3834: an automatic message; vacation responders should not answer it.
            "Auto-Submitted": "auto-generated",
        },
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if ics is not None:
        message.attach(
            calendar_part(
                ics,
                method=CANCEL_METHOD if cancelled else CALENDAR_METHOD,
                filename=calendar_filename(language, cancelled=cancelled),
            )
        )
    return message


def calendar_file_build(consultation: Consultation, *, recipient: str = "patient") -> bytes:
    """The RFC 5545 calendar file (.ics bytes) of a scheduled consultation for `recipient`.

    One VEVENT: UID `calendar_uid(consultation)`, times in UTC, the recipient's own join
    link as URL and LOCATION, SEQUENCE = `consultation.calendar_sequence`, text in the
    recipient's language. Raises ValueError for an immediate consultation (it gets no
    calendar file), an unknown recipient, or no join link or PIN for the recipient.
    """
    _check_recipient(recipient)
    if consultation.is_immediate:
        raise ValueError("an immediate consultation has no calendar file")
    join_url = _join_url(consultation, recipient)
    other_party = consultation.provider if recipient == "patient" else consultation.patient
    with translation.override(_language(consultation, recipient)):
        return _calendar_ics(
            consultation,
            recipient=recipient,
            join_url=join_url,
            other_party_name=_single_line(other_party.name),
            consultation_type_name=_single_line(consultation.consultation_type.name),
        )


def _calendar_ics(
    consultation: Consultation,
    *,
    recipient: str,
    join_url: str,
    other_party_name: str,
    consultation_type_name: str,
) -> bytes:
    """The .ics of `calendar_file_build`, worded in the active language, from what the
    caller has already checked and put on one line (`message_build` passes the values of
    the message context it has just built)."""
    if recipient == "patient":
        summary = _("Video consultation with %(provider)s") % {"provider": other_party_name}
    else:
        summary = _("Video consultation with %(patient)s") % {"patient": other_party_name}
    # The PIN goes in the description: it is needed to join, the calendar entry is
    # what people open at the time of the consultation, and the message that carries
    # this file already holds the same PIN beside the same link (URL below), so the
    # file discloses nothing the message does not.
    description = "\n".join(
        [
            consultation_type_name,
            _("Join: %(url)s") % {"url": join_url},
            _("PIN: %(pin)s") % {"pin": consultation.access_pin},
            _("Join a few minutes early. The room asks for the PIN when you join."),
        ]
    )
    return publish_ics(
        consultation,
        summary=summary,
        description=description,
        join_url=join_url,
        organizer_name=_single_line(settings.CLINIC_NAME),
    )


def _cancelled_summary(recipient: str, other_party_name: str) -> str:
    """The cancelling calendar file's SUMMARY, in the active language."""
    if recipient == "patient":
        return _("Cancelled: video consultation with %(provider)s") % {"provider": other_party_name}
    return _("Cancelled: video consultation with %(patient)s") % {"patient": other_party_name}


# --- Building blocks -----------------------------------------------------------------------


def _check_recipient(recipient: str) -> None:
    if recipient not in Delivery.Recipient.values:
        raise ValueError(
            f"unknown recipient {recipient!r}; expected one of {tuple(Delivery.Recipient.values)}"
        )


def _join_url(consultation: Consultation, recipient: str) -> str:
    """The recipient's own join link, as stored; raises ValueError if it or the PIN is
    missing (an unconfirmed or rejected booking has nothing to send)."""
    url = consultation.join_url_for(recipient)
    if not url or not consultation.access_pin:
        raise ValueError(f"consultation {consultation.pk} has no {recipient} join link or PIN")
    return url


def _address_check(to_address: str) -> str:
    """The address itself, refused (ValueError) unless it is one valid address: line
    breaks or a second address must not reach the To header or the SMTP envelope."""
    address = (to_address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValueError("to_address is not a single valid email address") from None
    if any(unicodedata.category(char).startswith("C") for char in address):
        raise ValueError("to_address is not a single valid email address")
    return address


def _language(consultation: Consultation, recipient: str) -> str:
    if recipient == "patient":
        preferred = consultation.patient.preferred_language
        if preferred in dict(settings.LANGUAGES):
            return preferred
    return settings.LANGUAGE_CODE


def _single_line(value: str) -> str:
    """`value` on one line: control and format characters dropped, every run of
    whitespace (CR, LF, tab, Unicode line separators) made one space."""
    cleaned = "".join(
        " " if char.isspace() else char
        for char in str(value or "")
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    return " ".join(cleaned.split())


def _shortened(value: str, limit: int = _SUBJECT_NAME_MAX) -> str:
    """`value` cut to `limit` characters, the last one "…", with no space before it.
    (Not Django's Truncator: it leaves that space, and it NFC-normalizes every name,
    shortened or not.)"""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _zone_label(local: dt.datetime) -> str:
    """`America/New_York (EDT, UTC-04:00)` or `America/Bogota (UTC-05:00)`: the zone's
    name and its offset at that moment (which daylight saving time changes)."""
    offset = local.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    abbreviation = local.tzname() or ""
    # Zones without a real abbreviation (Bogotá) report "-05": the offset says that.
    if abbreviation.isalpha():
        return f"{local.tzinfo.key} ({abbreviation}, {utc})"
    return f"{local.tzinfo.key} ({utc})"


def _reminder_phrase(offset_minutes: int) -> str:
    if offset_minutes % 60 == 0:
        hours = offset_minutes // 60
        return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}
    return ngettext("in %(count)d minute", "in %(count)d minutes", offset_minutes) % {
        "count": offset_minutes
    }


def _context(
    consultation: Consultation,
    *,
    recipient: str,
    kind: str,
    join_url: str,
    reminder_offset_minutes: int | None,
) -> dict:
    """Everything the templates show, already worded in the active language; templates
    only place it. Names are on one line."""
    zone = organization_zone()
    start = timezone.localtime(consultation.starts_at, zone)
    end = timezone.localtime(consultation.ends_at, zone)
    specialty = consultation.provider.specialty
    context = {
        "recipient": recipient,
        "kind": kind,
        "is_booking": kind == "booking",
        "is_resend": kind == "resend",
        "is_reminder": kind == "reminder",
        "is_time_changed": kind == "time_changed",
        "is_cancelled": kind == "cancelled",
        "is_immediate": consultation.is_immediate,
        "join_url": join_url,
        # Never in a cancellation: its templates do not show it, and it is not even here.
        "pin": "" if kind == "cancelled" else consultation.access_pin,
        "patient_name": _single_line(consultation.patient.name),
        "provider_name": _single_line(consultation.provider.name),
        "specialty_name": _single_line(specialty.name) if specialty else "",
        "consultation_type_name": _single_line(consultation.consultation_type.name),
        "clinic_name": _single_line(settings.CLINIC_NAME),
        "clinic_phone": _single_line(settings.CLINIC_PHONE),
        "zone_label": _zone_label(start),
        "date_text": long_date(start),
        "start_time": dateformat.format(start, "H:i"),
        "end_time": dateformat.format(end, "H:i"),
        "reminder_phrase": (
            _reminder_phrase(reminder_offset_minutes) if kind == "reminder" else ""
        ),
    }
    context["provider_line"] = (
        f"{context['provider_name']} ({context['specialty_name']})"
        if context["specialty_name"]
        else context["provider_name"]
    )
    context["when_text"] = (
        _("Now: the consultation is ready to join")
        if consultation.is_immediate and not context["is_cancelled"]
        else _("%(date)s, %(start)s–%(end)s %(zone)s")
        % {
            "date": context["date_text"],
            "start": context["start_time"],
            "end": context["end_time"],
            "zone": context["zone_label"],
        }
    )
    context["greeting"] = (
        _("Hello %(patient_name)s,") % {"patient_name": context["patient_name"]}
        if recipient == "patient"
        else _("Hello %(provider_name)s,") % {"provider_name": context["provider_name"]}
    )
    context["intro"] = _intro(context)
    context["contact_line"] = _contact_line(context) if recipient == "patient" else ""
    context["duration_text"] = ngettext(
        "%(minutes)s minute", "%(minutes)s minutes", consultation.duration_id
    ) % {"minutes": consultation.duration_id}
    if consultation.is_immediate:
        context["calendar_note"] = ""
    elif kind == "cancelled":
        context["calendar_note"] = _(
            "The attached calendar file removes the consultation from your calendar."
        )
    elif kind == "time_changed":
        context["calendar_note"] = _(
            "The attached calendar file moves the consultation in your calendar to the new time."
        )
    else:
        context["calendar_note"] = _(
            "The attached calendar file adds the consultation to your calendar."
        )
    return context


def _contact_line(context: dict) -> str:
    """How a patient reaches the clinic, saying only what is true: "reply" only with a
    real reply-to address (CLINIC_EMAIL), "call" only with CLINIC_PHONE; "" with
    neither. Led by the question this message raises."""
    if context["is_cancelled"]:
        lead = _("Would you like another time?")
    elif context["is_immediate"]:
        lead = _("Questions?")
    else:
        lead = _("Questions, or need to change the time?")
    names = {"clinic_name": context["clinic_name"], "clinic_phone": context["clinic_phone"]}
    if context["clinic_phone"] and settings.CLINIC_EMAIL:
        how = _("Call %(clinic_name)s at %(clinic_phone)s, or reply to this email.") % names
    elif context["clinic_phone"]:
        how = _("Call %(clinic_name)s at %(clinic_phone)s.") % names
    elif settings.CLINIC_EMAIL:
        how = _("Reply to this email to reach %(clinic_name)s.") % names
    else:
        return ""
    return f"{lead} {how}"


def _intro(context: dict) -> str:
    """The message's opening line: what happened, for this recipient."""
    if context["is_cancelled"]:
        if context["recipient"] == "patient":
            return _("Your video consultation has been cancelled.")
        return _("This video consultation has been cancelled.")
    if context["recipient"] == "patient":
        if context["is_reminder"]:
            return _("Reminder: your video consultation is %(reminder_phrase)s.") % {
                "reminder_phrase": context["reminder_phrase"]
            }
        if context["is_time_changed"]:
            return _(
                "The time of your video consultation has changed. New time: %(when_text)s."
            ) % {"when_text": context["when_text"]}
        if context["is_resend"]:
            return _(
                "Here is a copy of your video consultation details. "
                "The link and the PIN have not changed."
            )
        if context["is_immediate"]:
            return _("Your video consultation is ready. Join now with the link and the PIN below.")
        return _("Your video consultation is booked.")
    if context["is_time_changed"]:
        return _("The time of this video consultation has changed. New time: %(when_text)s.") % {
            "when_text": context["when_text"]
        }
    if context["is_resend"]:
        return _(
            "Here is a copy of the video consultation details. "
            "The link and the PIN have not changed."
        )
    if context["is_immediate"]:
        return _("A video consultation is ready to start now.")
    return _("A video consultation has been booked with you.")


def _subject(context: dict) -> str:
    """The subject line, from our wording and one-line, shortened names only."""
    moment = {
        "date": context["date_text"],
        "time": context["start_time"],
        "zone": context["zone_label"],
    }
    if context["recipient"] == "patient":
        provider = _shortened(context["provider_name"])
        if context["is_cancelled"]:
            subject = _(
                "Cancelled: your video consultation with %(provider)s on "
                "%(date)s, %(time)s %(zone)s"
            ) % {"provider": provider, **moment}
        elif context["is_reminder"]:
            subject = _(
                "Reminder: your video consultation with %(provider)s is %(in_time)s "
                "(%(date)s, %(time)s %(zone)s)"
            ) % {"provider": provider, "in_time": context["reminder_phrase"], **moment}
        elif context["is_time_changed"]:
            subject = _(
                "New time for your video consultation with %(provider)s: "
                "%(date)s, %(time)s %(zone)s"
            ) % {"provider": provider, **moment}
        elif context["is_immediate"]:
            subject = _("Your video consultation with %(provider)s is ready: join now") % {
                "provider": provider
            }
        else:
            subject = _(
                "Your video consultation with %(provider)s: %(date)s, %(time)s %(zone)s"
            ) % {"provider": provider, **moment}
    else:
        patient = _shortened(context["patient_name"])
        if context["is_cancelled"]:
            subject = _(
                "Cancelled: video consultation with %(patient)s on %(date)s, %(time)s %(zone)s"
            ) % {"patient": patient, **moment}
        elif context["is_time_changed"]:
            subject = _(
                "New time for the video consultation with %(patient)s: %(date)s, %(time)s %(zone)s"
            ) % {"patient": patient, **moment}
        elif context["is_immediate"]:
            subject = _("Video consultation with %(patient)s: now") % {"patient": patient}
        else:
            subject = _("Video consultation with %(patient)s: %(date)s, %(time)s %(zone)s") % {
                "patient": patient,
                **moment,
            }
    if context["is_resend"]:
        subject = _("Copy: %(subject)s") % {"subject": subject}
    return _single_line(subject)


def _text_tidy(text: str) -> str:
    """The rendered text part without trailing spaces or runs of blank lines that the
    template tags leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
