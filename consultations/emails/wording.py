"""What the messages say: everything their templates show, worded in the active
language (`message_context`), and the subject line (`message_subject`).

Names are put on one line (`single_line`) before they reach a subject, a calendar file
or a template: a name holding CR/LF must never add a header. Nothing here logs.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consultations.clock import long_date, organization_zone
from consultations.models import Consultation

# Names in a subject are cut to this many characters: a subject is a preview line.
_SUBJECT_NAME_MAX = 60


def single_line(value: str) -> str:
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


def _zone_label(local: dt.datetime, zone: ZoneInfo) -> str:
    """`America/New_York (EDT, UTC-04:00)` or `America/Bogota (UTC-05:00)`: the zone's
    name and its offset at that moment (which daylight saving time changes); `local` is
    a time in `zone`."""
    offset = local.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    abbreviation = local.tzname() or ""
    # Zones without a real abbreviation (Bogotá) report "-05": the offset says that.
    if abbreviation.isalpha():
        return f"{zone.key} ({abbreviation}, {utc})"
    return f"{zone.key} ({utc})"


def _reminder_phrase(offset_minutes: int) -> str:
    if offset_minutes % 60 == 0:
        hours = offset_minutes // 60
        return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}
    return ngettext("in %(count)d minute", "in %(count)d minutes", offset_minutes) % {
        "count": offset_minutes
    }


def message_context(
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
        "patient_name": single_line(consultation.patient.name),
        "provider_name": single_line(consultation.provider.name),
        "specialty_name": single_line(specialty.name) if specialty else "",
        "consultation_type_name": single_line(consultation.consultation_type.name),
        "clinic_name": single_line(settings.CLINIC_NAME),
        # A training install (KAIRO_TRAINING_MODE) says so in the subject and both bodies.
        "training_notice": (
            _("TRAINING — not real consultations") if settings.KAIRO_TRAINING_MODE else ""
        ),
        "clinic_phone": single_line(settings.CLINIC_PHONE),
        "zone_label": _zone_label(start, zone),
        "date_text": long_date(start),
        "start_time": dateformat.format(start, "H:i"),
        "end_time": dateformat.format(end, "H:i"),
        # `message_build` refuses a reminder without its offset.
        "reminder_phrase": (
            _reminder_phrase(reminder_offset_minutes)
            if kind == "reminder" and reminder_offset_minutes is not None
            else ""
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


def message_subject(context: dict) -> str:
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
    if context["training_notice"]:
        subject = _("[TRAINING] %(subject)s") % {"subject": subject}
    return single_line(subject)
