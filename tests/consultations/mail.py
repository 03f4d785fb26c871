"""Emails as they go on the wire, parsed back: the message and its calendar file."""

from __future__ import annotations

import email
import email.policy

import icalendar


def wire(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def calendar_of(message) -> tuple[icalendar.Calendar, icalendar.Event, email.message.Message]:
    (part,) = [p for p in wire(message).walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    return calendar, event, part


def clinic_link(consultation, recipient: str = "patient") -> str:
    """The clinic's join link (SITE_URL/j/<token>) the messages to `recipient` carry: the
    live one, issued when the first message was built."""
    from consultations.models import JoinLink

    return JoinLink.objects.get(consultation=consultation, recipient=recipient, revoked_at=None).url
