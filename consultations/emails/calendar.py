"""The calendar files the messages carry (RFC 5545), and their MIME part (RFC 6047).

Two kinds of file, both for one event per consultation, always under the same UID:

- PUBLISH (booking, resend, reminder, new time), not REQUEST (RFC 5546): REQUEST makes
  the patient an attendee whose client offers Accept/Decline and mails the answer to the
  organizer. Nobody reads those answers, and a patient pressing "Decline" would believe
  the consultation cancelled. PUBLISH just puts the event in the calendar; a later file
  with the same UID and a higher SEQUENCE replaces it when the time changes.
- CANCEL (the consultation was cancelled here): the same UID, the same ORGANIZER and
  times, a SEQUENCE above every file sent before, STATUS:CANCELLED. RFC 5546 (3.2.5)
  wants a CANCEL of the whole event to name its attendees; the PUBLISH files name none,
  so the one attendee named is the recipient, the person whose calendar holds the event
  (mail programs match the file to their user by it). A program that reads the
  `method=CANCEL` part offers to remove the event or removes it (Outlook, Apple Mail,
  Thunderbird, Gmail); one that merely imports the file still sees STATUS:CANCELLED and
  shows the event cancelled. Neither file is a REQUEST, so no reply is ever asked for.

The wording (summary, description) is the caller's, already in the recipient's
language and on one line; nothing here holds a PIN or a link it was not given, and a
cancelling file is given neither.
"""

from __future__ import annotations

import datetime as dt
from email.charset import Charset
from email.mime.text import MIMEText
from email.utils import parseaddr
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from consultations.models import Consultation

CALENDAR_METHOD = "PUBLISH"
CANCEL_METHOD = "CANCEL"
CALENDAR_PRODID = "-//Kairo Connect clinic booking desk//consultations//EN"

# The attachment's name, in the recipient's language (plain ASCII: no RFC 2231 encoding
# for mail programs to get wrong). Any other language gets the clinic language's name.
CALENDAR_FILENAMES = {"es": "consulta.ics", "en": "consultation.ics"}
CANCELLATION_FILENAMES = {"es": "consulta-cancelada.ics", "en": "consultation-cancelled.ics"}


def calendar_uid(consultation: Consultation) -> str:
    """The consultation's calendar UID: the same in every file sent for it (booking,
    resends, a changed time, the cancellation), so calendar programs update or remove
    one event instead of adding another. Scoped by the site's host name, as RFC 5545
    recommends."""
    if consultation.pk is None:
        raise ValueError("an unsaved consultation has no calendar UID")
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"consultation-{consultation.pk}@{host}"


def calendar_filename(language: str, *, cancelled: bool = False) -> str:
    """The attachment name for a message in `language` ("consulta.ics",
    "consultation-cancelled.ics", ...)."""
    names = CANCELLATION_FILENAMES if cancelled else CALENDAR_FILENAMES
    return names.get(language) or names.get(settings.LANGUAGE_CODE) or names["es"]


def publish_ics(
    consultation: Consultation,
    *,
    summary: str,
    description: str,
    join_url: str,
    organizer_name: str,
) -> bytes:
    """The PUBLISH file: the event with the recipient's join link as URL and LOCATION,
    times in UTC, SEQUENCE = `consultation.calendar_sequence`, STATUS:CONFIRMED."""
    calendar, event = _calendar_with_event(
        consultation, method=CALENDAR_METHOD, summary=summary, organizer_name=organizer_name
    )
    event.add("description", description)
    event.add("url", join_url)
    event.add("location", join_url)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def cancel_ics(
    consultation: Consultation,
    *,
    summary: str,
    attendee_address: str,
    attendee_name: str,
    organizer_name: str,
) -> bytes:
    """The CANCEL file that removes the event: same UID, ORGANIZER and times as the
    PUBLISH files, SEQUENCE = `consultation.calendar_sequence` (raised by the
    cancellation), STATUS:CANCELLED, the recipient as the one ATTENDEE (see the module
    docstring). No link, PIN or description."""
    calendar, event = _calendar_with_event(
        consultation, method=CANCEL_METHOD, summary=summary, organizer_name=organizer_name
    )
    event.add("status", "CANCELLED")
    attendee = icalendar.vCalAddress(f"mailto:{attendee_address}")
    attendee.params["cn"] = icalendar.vText(attendee_name)
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_part(ics: bytes, *, method: str, filename: str) -> MIMEText:
    """The .ics as a `text/calendar; method=...` attachment (RFC 6047 wants the
    Content-Type's method to match the file's METHOD)."""
    # 8bit rather than MIME's default base64 for UTF-8, as Django does for the text
    # parts: RFC 5545 folds lines at 75 octets, and the file stays readable in the
    # console backend's output and in the mail server's logs of the message structure.
    charset = Charset("utf-8")
    charset.body_encoding = None  # type: ignore[assignment]  # None: no encoding (8bit); typeshed lists only the int constants
    part = MIMEText(ics.decode("utf-8"), "calendar", charset)  # type: ignore[arg-type]  # MIMEText takes a Charset too (str() for the header, as is for set_payload); typeshed says str
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _calendar_with_event(
    consultation: Consultation, *, method: str, summary: str, organizer_name: str
) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = icalendar.Event()
    event.add("uid", calendar_uid(consultation))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", consultation.starts_at.astimezone(dt.UTC))
    event.add("dtend", consultation.ends_at.astimezone(dt.UTC))
    # RFC 5546 wants SEQUENCE present once it is above 0; always writing it is simpler.
    event.add("sequence", consultation.calendar_sequence)
    event.add("summary", summary)
    # RFC 5546 requires an ORGANIZER in a PUBLISH and a CANCEL: the clinic, at its
    # reply-to address (the sender when the clinic has none), the same in every file.
    organizer_address = parseaddr(settings.CLINIC_EMAIL or settings.DEFAULT_FROM_EMAIL)[1]
    if organizer_address:
        organizer = icalendar.vCalAddress(f"mailto:{organizer_address}")
        organizer.params["cn"] = icalendar.vText(organizer_name)
        event.add("organizer", organizer)
    return calendar, event
