"""Builds the messages (text, HTML, .ics); sends nothing itself.

`messages` builds the emails (join link, reminders, new time, cancellation), `wording`
words them (the templates' context, the subject), `calendar` builds the calendar files
they carry. Every public name is importable from here.
"""

from consultations.emails.calendar import (
    CALENDAR_FILENAMES,
    CALENDAR_METHOD,
    CALENDAR_PRODID,
    CANCEL_METHOD,
    CANCELLATION_FILENAMES,
    calendar_filename,
    calendar_uid,
)
from consultations.emails.messages import calendar_file_build, message_build
from consultations.emails.wording import message_context, message_subject, single_line

__all__ = [
    "CALENDAR_FILENAMES",
    "CALENDAR_METHOD",
    "CALENDAR_PRODID",
    "CANCELLATION_FILENAMES",
    "CANCEL_METHOD",
    "calendar_file_build",
    "calendar_filename",
    "calendar_uid",
    "message_build",
    "message_context",
    "message_subject",
    "single_line",
]
