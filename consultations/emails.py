"""The join-link messages: patient and provider emails and their calendar file.

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
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from email.charset import Charset
from email.mime.text import MIMEText
from email.utils import parseaddr
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consultations.dates import long_date
from consultations.models import Consultation, Delivery
from consultations.rules import organization_zone

CALENDAR_FILENAME = "consulta.ics"
# PUBLISH, not REQUEST (RFC 5546): REQUEST makes the patient an attendee whose client
# offers Accept/Decline and mails the answer to the organizer. Nobody reads those
# answers, and a patient pressing "Decline" would believe the consultation cancelled.
# PUBLISH just puts the event in the calendar; a later file with the same UID and a
# higher SEQUENCE replaces it when the time changes.
CALENDAR_METHOD = "PUBLISH"
CALENDAR_PRODID = "-//Kairo Connect clinic booking desk//consultations//EN"

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

    Raises ValueError for an unknown recipient or kind, a provider reminder, a reminder
    without a positive offset or for an immediate consultation, a new time for an
    immediate consultation, a consultation without
    this recipient's join link or a PIN (nothing to send), or a `to_address` that is not
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
    join_url = _join_url(consultation, recipient)
    address = _address_check(to_address)

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
        text = _text_tidy(render_to_string(f"consultations/emails/{recipient}.txt", context))
        html = render_to_string(f"consultations/emails/{recipient}.html", context)
        ics = (
            None
            if consultation.is_immediate
            else _calendar_ics(
                consultation,
                recipient=recipient,
                join_url=join_url,
                other_party_name=context[
                    "provider_name" if recipient == "patient" else "patient_name"
                ],
                consultation_type_name=context["consultation_type_name"],
            )
        )

    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        reply_to=[settings.CLINIC_EMAIL or settings.DEFAULT_FROM_EMAIL],
        headers={
            "Content-Language": language,
            # RFC 3834: an automatic message; vacation responders should not answer it.
            "Auto-Submitted": "auto-generated",
        },
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if ics is not None:
        message.attach(_calendar_part(ics))
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

    calendar = icalendar.Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", CALENDAR_METHOD)

    event = icalendar.Event()
    event.add("uid", calendar_uid(consultation))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", consultation.starts_at.astimezone(dt.UTC))
    event.add("dtend", consultation.ends_at.astimezone(dt.UTC))
    # RFC 5546 wants SEQUENCE present once it is above 0; always writing it is simpler.
    event.add("sequence", consultation.calendar_sequence)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", join_url)
    event.add("location", join_url)
    event.add("status", "CONFIRMED")
    # RFC 5546 requires an ORGANIZER in a PUBLISH: the clinic, at its reply-to address.
    organizer_address = parseaddr(settings.CLINIC_EMAIL or settings.DEFAULT_FROM_EMAIL)[1]
    if organizer_address:
        organizer = icalendar.vCalAddress(f"mailto:{organizer_address}")
        organizer.params["cn"] = icalendar.vText(_single_line(settings.CLINIC_NAME))
        event.add("organizer", organizer)
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_uid(consultation: Consultation) -> str:
    """The consultation's calendar UID: the same in every file sent for it (booking,
    resends, a changed time), so calendar programs update one event instead of adding
    another. Scoped by the site's host name, as RFC 5545 recommends."""
    if consultation.pk is None:
        raise ValueError("an unsaved consultation has no calendar UID")
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"consultation-{consultation.pk}@{host}"


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
        "is_immediate": consultation.is_immediate,
        "join_url": join_url,
        "pin": consultation.access_pin,
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
        if consultation.is_immediate
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
    context["duration_text"] = ngettext(
        "%(minutes)s minute", "%(minutes)s minutes", consultation.duration_id
    ) % {"minutes": consultation.duration_id}
    if consultation.is_immediate:
        context["calendar_note"] = ""
    elif kind == "time_changed":
        context["calendar_note"] = _(
            "The attached calendar file moves the consultation in your calendar to the new time."
        )
    else:
        context["calendar_note"] = _(
            "The attached calendar file adds the consultation to your calendar."
        )
    return context


def _intro(context: dict) -> str:
    """The message's opening line: what happened, for this recipient."""
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
        if context["is_reminder"]:
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
        if context["is_time_changed"]:
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


def _calendar_part(ics: bytes) -> MIMEText:
    """The .ics as a `text/calendar; method=PUBLISH` attachment (RFC 6047 wants the
    Content-Type's method to match the file's METHOD)."""
    # 8bit rather than MIME's default base64 for UTF-8, as Django does for the text
    # parts: RFC 5545 folds lines at 75 octets, and the file stays readable in the
    # console backend's output and in the mail server's logs of the message structure.
    charset = Charset("utf-8")
    charset.body_encoding = None
    part = MIMEText(ics.decode("utf-8"), "calendar", charset)
    part.set_param("method", CALENDAR_METHOD)
    part.add_header("Content-Disposition", "attachment", filename=CALENDAR_FILENAME)
    return part
