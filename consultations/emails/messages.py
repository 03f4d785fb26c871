"""The messages: patient and provider emails with the join link, and the cancellation.

Builds messages; sends nothing itself (delivery, retries and reminders live in the
services and tasks that call `message_build`). Nothing here logs: a message holds a PIN,
a join link and an address, none of which may reach a log (house style, the client).

Safety rules every builder here keeps:
- Header text (subjects) is built from our own wording plus names squeezed to one line
  (`wording.single_line`), so a name holding CR/LF can neither add a header nor make
  Django raise `BadHeaderError`; the recipient address must be a single valid address.
- The HTML part is rendered with autoescaping; the text part with it off, so the text
  carries each link exactly as stored (in HTML `&` correctly becomes `&amp;`).
- The link is the clinic's join page for that recipient (SITE_URL/j/<token>), which
  hands out Kairo's room link only while the consultation can be joined; with
  EMAIL_KAIRO_ROOM_LINK on, Kairo's room link itself.
- Each recipient's message, HTML and calendar file carry only that recipient's link: the
  patient link and the provider link open the same room as different participants
  (docs/kairo-connect-api.md "Create a consultation": `participantAccess`), so one must
  never reach the other party.
- A cancellation carries neither the PIN nor a link: Kairo Connect has no cancel
  operation (contract "Endpoints"), so the room stays joinable until it expires, and a
  message saying "cancelled" is no place to hand out its key.
- Patients are told to reply only when the clinic has a reply-to address
  (CLINIC_EMAIL); without one, to call CLINIC_PHONE, or nothing.

What the messages say (the templates' context, the subject) is worded in
`consultations.emails.wording`; the calendar files are built in
`consultations.emails.calendar`.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from consultations.emails.calendar import (
    CALENDAR_METHOD,
    CANCEL_METHOD,
    calendar_filename,
    calendar_part,
    cancel_ics,
    publish_ics,
)
from consultations.emails.wording import message_context, message_subject, single_line
from consultations.models import Consultation, ConsultationStatus, Delivery


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
        context = message_context(
            consultation,
            recipient=recipient,
            kind=kind,
            join_url=join_url,
            reminder_offset_minutes=reminder_offset_minutes,
        )
        subject = message_subject(context)
        text = _text_tidy(render_to_string(f"consultations/emails/{template}.txt", context))
        if context["training_notice"]:
            text = f"{context['training_notice']}\n\n{text}"
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
            other_party_name=single_line(other_party.name),
            consultation_type_name=single_line(consultation.consultation_type.name),
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
        organizer_name=single_line(settings.CLINIC_NAME),
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
    """The link the recipient's message carries: the clinic's join page for them
    (SITE_URL/j/<token>, issued here the first time, `services.join_links`), or with
    EMAIL_KAIRO_ROOM_LINK on Kairo's room link as stored. Raises ValueError if Kairo's
    link or the PIN is missing (an unconfirmed or rejected booking has nothing to send):
    the join page hands out that link, so it is needed either way."""
    url = consultation.join_url_for(recipient)
    if not url or not consultation.access_pin:
        raise ValueError(f"consultation {consultation.pk} has no {recipient} join link or PIN")
    if settings.EMAIL_KAIRO_ROOM_LINK:
        return url
    # Imported here: services import the models at load time, as this module does.
    from consultations.services.join_links import join_link_issue

    return join_link_issue(consultation=consultation, recipient=recipient).url


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
    return consultation.language_for(recipient)


def _text_tidy(text: str) -> str:
    """The rendered text part without trailing spaces or runs of blank lines that the
    template tags leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
