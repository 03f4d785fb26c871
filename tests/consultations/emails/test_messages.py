"""The join-link messages and their calendar file (consultations/emails/).

Messages are inspected as they would go out: `message.message().as_bytes()` parsed
back, every text part, the HTML part and the calendar attachment. Spanish tests assert
language-independent facts (headers, Django's own month and day names); English wording
is asserted under preferred_language="en".
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from html.parser import HTMLParser

import icalendar
import pytest
from django.conf import settings as django_settings
from django.core import mail

from consultations.emails import calendar_file_build, calendar_uid, message_build
from consultations.models import JoinLink
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, SpecialistFactory

UTC = dt.UTC
# The shape Kairo Connect gives (same room, ?type=...), with a second parameter so that
# an `&` must survive: exactly as stored in the text, `&amp;` inside the HTML attribute.
PATIENT_URL = "https://meet.kairo.example/room/7f3a9c2e?type=patient&lang=es"
PROVIDER_URL = "https://meet.kairo.example/room/7f3a9c2e?type=provider&lang=es"
PIN = "482915"
PATIENT_ADDRESS = "ana.paciente@correo.example"
PROVIDER_ADDRESS = "dra.prestadora@clinica.example"
# Wednesday 10 March 2027, 10:00 in Bogotá (UTC-5 all year).
BOGOTA_START = dt.datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def booked(db):
    """booked(**fields): a scheduled 30-minute consultation with both links and a PIN."""

    def make(*, starts_at: dt.datetime = BOGOTA_START, language: str = "es", **fields):
        fields.setdefault("patient", PatientFactory(preferred_language=language))
        fields.setdefault("access_pin", PIN)
        fields.setdefault("patient_join_url", PATIENT_URL)
        fields.setdefault("provider_join_url", PROVIDER_URL)
        return ConsultationFactory(starts_at=starts_at, **fields)

    return make


@pytest.fixture
def immediate(db):
    return ConsultationFactory(
        immediate=True,
        patient=PatientFactory(preferred_language="en"),
        access_pin=PIN,
        patient_join_url=PATIENT_URL,
        provider_join_url=PROVIDER_URL,
    )


def clinic_link(consultation, recipient: str = "patient") -> str:
    """The clinic's join link the messages to `recipient` carry (SITE_URL/j/<token>)."""
    return JoinLink.objects.get(consultation=consultation, recipient=recipient, revoked_at=None).url


def other_links(consultation, recipient: str) -> list[str]:
    """The clinic's join links of everyone but `recipient`, issued so far."""
    return [
        link.url
        for link in JoinLink.objects.filter(consultation=consultation).exclude(recipient=recipient)
    ]


def build(consultation, recipient: str = "patient", kind: str = "booking", **kwargs):
    kwargs.setdefault("to_address", PATIENT_ADDRESS if recipient == "patient" else PROVIDER_ADDRESS)
    if kind == "reminder":
        kwargs.setdefault("reminder_offset_minutes", 1440)
    return message_build(consultation=consultation, recipient=recipient, kind=kind, **kwargs)


def parsed(message) -> email.message.EmailMessage:
    """The message as it goes on the wire, parsed back."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def parts(message) -> dict[str, str]:
    """Decoded content of every leaf part, by content type (text/plain, text/html,
    text/calendar)."""
    found = {}
    for part in parsed(message).walk():
        if not part.is_multipart():
            assert part.get_content_type() not in found
            found[part.get_content_type()] = part.get_content()
    return found


def header_lines(message) -> list[str]:
    raw = message.message().as_bytes()
    return raw.split(b"\n\n", 1)[0].decode("ascii").splitlines()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href")


def hrefs(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def calendar_event(ics: bytes | str) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(ics)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


# --- Each party gets its own link, never the other's ----------------------------------------


@pytest.mark.parametrize("kind", ["booking", "resend", "reminder", "time_changed"])
def test_patient_message_has_the_patient_link_and_pin_never_the_provider_link(booked, kind):
    consultation = booked()
    message = build(consultation, "patient", kind)
    content = parts(message)
    link = clinic_link(consultation, "patient")

    assert set(content) == {"text/plain", "text/html", "text/calendar"}
    assert link.startswith(django_settings.SITE_URL + "/j/")
    assert link in content["text/plain"]
    assert PIN in content["text/plain"]
    assert hrefs(content["text/html"]) == [link]
    assert PIN in content["text/html"]
    event = calendar_event(content["text/calendar"])
    assert str(event["URL"]) == link
    assert str(event["LOCATION"]) == link
    assert link in str(event["DESCRIPTION"])
    raw = message.message().as_bytes().decode("utf-8", "replace")
    for text in [*content.values(), message.subject, raw]:
        assert PROVIDER_URL not in text
        assert "type=provider" not in text
        assert not any(other in text for other in other_links(consultation, "patient"))
        # Kairo's room link itself stays behind the clinic's page.
        assert PATIENT_URL not in text
        assert "meet.kairo.example" not in text


@pytest.mark.parametrize("kind", ["booking", "resend", "time_changed"])
def test_provider_message_has_the_provider_link_and_pin_never_the_patient_link(booked, kind):
    consultation = booked()
    build(consultation, "patient", kind)  # the patient's link exists too, and stays out
    message = build(consultation, "provider", kind)
    content = parts(message)
    link = clinic_link(consultation, "provider")

    assert set(content) == {"text/plain", "text/html", "text/calendar"}
    assert link in content["text/plain"]
    assert PIN in content["text/plain"]
    assert hrefs(content["text/html"]) == [link]
    assert PIN in content["text/html"]
    event = calendar_event(content["text/calendar"])
    assert str(event["URL"]) == link
    assert str(event["LOCATION"]) == link
    raw = message.message().as_bytes().decode("utf-8", "replace")
    for text in [*content.values(), message.subject, raw]:
        assert PATIENT_URL not in text
        assert "type=patient" not in text
        assert clinic_link(consultation, "patient") not in text
        # Kairo's room link itself stays behind the clinic's page.
        assert PROVIDER_URL not in text
        assert "meet.kairo.example" not in text


def test_links_are_the_stored_ones_escaped_only_as_html_requires(booked, settings):
    # Only Kairo's raw link, emailed with EMAIL_KAIRO_ROOM_LINK on, holds an `&`.
    settings.EMAIL_KAIRO_ROOM_LINK = True
    content = parts(build(booked(), "patient"))

    assert "&amp;" not in content["text/plain"]
    assert "type=patient&amp;lang=es" in content["text/html"]
    assert "type=patient&lang=es" not in content["text/html"]


def test_provider_message_names_the_patient_and_the_facts(booked):
    consultation = booked(patient=PatientFactory(name="Juan Camilo Gómez"))
    content = parts(build(consultation, "provider"))

    for part in (content["text/plain"], content["text/html"]):
        assert "Juan Camilo Gómez" in part
        assert "10:00–10:30" in part
        assert "America/Bogota (UTC-05:00)" in part
        assert "Consulta general" in part


def test_patient_message_holds_the_consultation_facts_and_who_to_call(booked, settings):
    settings.CLINIC_NAME = "Clínica del Norte"
    settings.CLINIC_PHONE = "+57 601 555 0101"
    consultation = booked(
        language="en", provider=SpecialistFactory(name="Dra. Laura Restrepo Cano")
    )
    content = parts(build(consultation, "patient"))

    for part in (content["text/plain"], content["text/html"]):
        assert "Dra. Laura Restrepo Cano (Cardiología)" in part
        assert "Consulta general" in part
        assert "30 minutes" in part
        assert "Join a few minutes early" in part
        assert "asks for the PIN" in part
        assert "Call Clínica del Norte at +57 601 555 0101" in part


def test_without_a_specialty_or_clinic_phone_neither_is_shown(booked, settings):
    settings.CLINIC_PHONE = ""
    settings.CLINIC_EMAIL = "recepcion@clinica.example"
    consultation = booked(language="en", provider=ProviderFactory(name="Dr. Pedro Gómez Ruiz"))
    text = parts(build(consultation, "patient"))["text/plain"]

    assert "With: Dr. Pedro Gómez Ruiz\n" in text
    assert "Reply to this email" in text
    assert "Call " not in text


@pytest.mark.parametrize(
    ("clinic_email", "clinic_phone", "present", "absent"),
    [
        # A real reply-to address: "reply"; no phone: no "call".
        ("recepcion@clinica.example", "", ["Reply to this email to reach Clínica."], ["Call "]),
        # No reply-to address: never "reply"; the phone instead.
        ("", "+57 601 555 0101", ["Call Clínica at +57 601 555 0101."], ["Reply", "reply"]),
        # Neither: no contact line at all.
        ("", "", [], ["Reply", "reply", "Call ", "Questions"]),
        # Both: call, or reply.
        (
            "recepcion@clinica.example",
            "+57 601 555 0101",
            ["Call Clínica at +57 601 555 0101, or reply to this email."],
            [],
        ),
    ],
)
@pytest.mark.parametrize("kind", ["booking", "cancelled"])
def test_patients_are_told_to_reply_only_when_a_reply_to_address_exists(
    booked, settings, clinic_email, clinic_phone, present, absent, kind
):
    settings.CLINIC_NAME = "Clínica"
    settings.CLINIC_EMAIL = clinic_email
    settings.CLINIC_PHONE = clinic_phone
    consultation = booked(language="en")
    if kind == "cancelled":
        consultation.status = "cancelled"
    message = build(consultation, "patient", kind)
    content = parts(message)

    for part in (content["text/plain"], content["text/html"]):
        for text in present:
            assert text in part
        for text in absent:
            assert text not in part
    assert message.reply_to == ([clinic_email] if clinic_email else [])


def test_sender_reply_to_recipient_and_headers(booked, settings):
    settings.DEFAULT_FROM_EMAIL = "Clínica <no-reply@clinica.example>"
    settings.CLINIC_EMAIL = "citas@clinica.example"
    connection = mail.get_connection("django.core.mail.backends.locmem.EmailBackend")
    message = build(booked(), "patient", connection=connection)

    assert message.from_email == "Clínica <no-reply@clinica.example>"
    assert message.reply_to == ["citas@clinica.example"]
    assert message.to == [PATIENT_ADDRESS]
    assert message.recipients() == [PATIENT_ADDRESS]
    assert message.connection is connection
    assert parsed(message)["Auto-Submitted"] == "auto-generated"

    # No clinic address: no Reply-To (a reply would reach the sender, likely unread).
    settings.CLINIC_EMAIL = ""
    message = build(booked(), "patient")
    assert message.reply_to == []
    assert "Reply-To" not in parsed(message)


def test_the_message_sends_as_built(booked):
    build(booked(), "patient").send()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [PATIENT_ADDRESS]


# --- Time and zone --------------------------------------------------------------------------


def test_time_and_zone_in_bogota(booked):
    message = build(booked(language="en"), "patient")
    content = parts(message)

    for part in (content["text/plain"], content["text/html"]):
        assert "Wednesday, March 10, 2027, 10:00–10:30 America/Bogota (UTC-05:00)" in part
    assert "10:00 America/Bogota (UTC-05:00)" in message.subject


@pytest.mark.parametrize(
    ("zone", "starts_at", "label"),
    [
        # Thursday 15 July 2027, 10:00 on the local clock in summer...
        ("America/New_York", dt.datetime(2027, 7, 15, 14, 0, tzinfo=UTC), "EDT, UTC-04:00"),
        # ...and Friday 15 January 2027, 10:00 in winter: the offset differs by an hour.
        ("America/New_York", dt.datetime(2027, 1, 15, 15, 0, tzinfo=UTC), "EST, UTC-05:00"),
        ("Europe/Madrid", dt.datetime(2027, 7, 15, 8, 0, tzinfo=UTC), "CEST, UTC+02:00"),
        ("Europe/Madrid", dt.datetime(2027, 1, 15, 9, 0, tzinfo=UTC), "CET, UTC+01:00"),
    ],
)
def test_time_and_zone_with_daylight_saving(booked, settings, zone, starts_at, label):
    settings.ORGANIZATION_TIME_ZONE = zone
    settings.TIME_ZONE = zone
    message = build(booked(starts_at=starts_at, language="en"), "patient")
    content = parts(message)

    for part in (content["text/plain"], content["text/html"]):
        assert f"10:00–10:30 {zone} ({label})" in part
    assert f"10:00 {zone} ({label})" in message.subject
    # The calendar file stays in UTC whatever the organization's zone.
    assert calendar_event(content["text/calendar"]).decoded("DTSTART") == starts_at


# --- Language -------------------------------------------------------------------------------


def test_patient_message_in_spanish_by_default(booked):
    message = build(booked(language="es"), "patient")
    content = parts(message)

    assert parsed(message)["Content-Language"] == "es"
    assert '<html lang="es">' in content["text/html"]
    for part in (content["text/plain"], content["text/html"], message.subject):
        # Django's own Spanish names for the day and month.
        assert "miércoles, 10 de marzo de 2027" in part
        assert "March" not in part


def test_patient_message_in_english_when_preferred(booked):
    message = build(booked(language="en"), "patient")
    content = parts(message)

    assert parsed(message)["Content-Language"] == "en"
    assert '<html lang="en">' in content["text/html"]
    assert message.subject.startswith("Your video consultation with ")
    for part in (content["text/plain"], content["text/html"]):
        assert "Your video consultation is booked." in part
        assert "Wednesday, March 10, 2027" in part
        assert "marzo" not in part


def test_provider_message_in_the_clinic_language_whatever_the_patient_prefers(booked):
    message = build(booked(language="en"), "provider")

    assert parsed(message)["Content-Language"] == "es"
    assert "miércoles, 10 de marzo de 2027" in parts(message)["text/plain"]


# --- Kinds ----------------------------------------------------------------------------------


def test_resend_is_the_booking_message_marked_as_a_copy(booked):
    consultation = booked(language="en")
    original = build(consultation, "patient", "booking")
    copy = build(consultation, "patient", "resend")

    assert copy.subject == f"Copy: {original.subject}"
    assert "copy of your video consultation details" in copy.body
    assert clinic_link(consultation) in copy.body
    assert clinic_link(consultation) in original.body  # the same live link
    assert PATIENT_URL not in copy.body


@pytest.mark.parametrize(
    ("offset", "phrase"),
    [(1440, "in 24 hours"), (60, "in 1 hour"), (90, "in 90 minutes")],
)
def test_reminder_says_when_the_consultation_is(booked, offset, phrase):
    message = build(booked(language="en"), "patient", "reminder", reminder_offset_minutes=offset)
    content = parts(message)

    assert message.subject.startswith("Reminder: your video consultation with ")
    assert phrase in message.subject
    assert f"Reminder: your video consultation is {phrase}." in content["text/plain"]
    assert f"Reminder: your video consultation is {phrase}." in content["text/html"]
    assert "10:00–10:30 America/Bogota" in content["text/plain"]


def test_new_time_for_the_patient_says_the_time_changed_and_replaces_the_event(booked):
    consultation = booked(language="en", provider=ProviderFactory(name="Dr. Pedro Gómez Ruiz"))
    booking = build(consultation, "patient", "booking")
    consultation.calendar_sequence = 1  # as remote_apply leaves it after a move
    message = build(consultation, "patient", "time_changed")
    content = parts(message)

    assert message.subject == (
        "New time for your video consultation with Dr. Pedro Gómez Ruiz: "
        "Wednesday, March 10, 2027, 10:00 America/Bogota (UTC-05:00)"
    )
    new_time = (
        "The time of your video consultation has changed. New time: "
        "Wednesday, March 10, 2027, 10:00–10:30 America/Bogota (UTC-05:00)."
    )
    for part in (content["text/plain"], content["text/html"]):
        assert new_time in part
        assert "moves the consultation in your calendar to the new time" in part
        assert "adds the consultation to your calendar" not in part
        assert "Your video consultation is booked." not in part
        # Everything else as in the booking message.
        assert "Join a few minutes early" in part
        assert "Dr. Pedro Gómez Ruiz" in part
    assert clinic_link(consultation) in content["text/plain"]
    assert hrefs(content["text/html"]) == [clinic_link(consultation)]
    assert PATIENT_URL not in content["text/plain"]
    event = calendar_event(content["text/calendar"])
    earlier = calendar_event(parts(booking)["text/calendar"])
    assert str(event["UID"]) == str(earlier["UID"]) == calendar_uid(consultation)
    assert (earlier["SEQUENCE"], event["SEQUENCE"]) == (0, 1)


def test_new_time_for_the_provider_names_the_patient(booked, settings):
    settings.LANGUAGE_CODE = "en"
    consultation = booked(patient=PatientFactory(name="Juan Camilo Gómez"))
    message = build(consultation, "provider", "time_changed")
    content = parts(message)

    assert message.subject == (
        "New time for the video consultation with Juan Camilo Gómez: "
        "Wednesday, March 10, 2027, 10:00 America/Bogota (UTC-05:00)"
    )
    for part in (content["text/plain"], content["text/html"]):
        assert "The time of this video consultation has changed. New time: " in part
        assert "10:00–10:30 America/Bogota (UTC-05:00)." in part
        assert "A video consultation has been booked with you." not in part
        assert "moves the consultation in your calendar to the new time" in part


def test_new_time_subject_in_spanish_is_translated(booked):
    english = build(booked(language="en"), "patient", "time_changed")
    spanish = build(booked(language="es"), "patient", "time_changed")

    assert english.subject.startswith("New time for your video consultation")
    assert not spanish.subject.startswith("New time")
    assert "miércoles, 10 de marzo de 2027" in spanish.subject
    assert "New time:" not in spanish.body


# --- Immediate consultations ----------------------------------------------------------------


def test_immediate_consultation_says_now_and_has_no_calendar_file(immediate):
    for recipient in ("patient", "provider"):
        message = build(immediate, recipient)
        content = parts(message)

        assert set(content) == {"text/plain", "text/html"}
        assert message.attachments == []
        # No clock time: "now" is the time (the provider's Spanish wording is the .po's).
        assert "America/Bogota" not in content["text/plain"]
    patient = build(immediate, "patient")
    assert patient.subject.endswith("is ready: join now")
    assert "When: Now: the consultation is ready to join" in patient.body
    assert "Now: the consultation is ready to join" in parts(patient)["text/html"]


@pytest.mark.parametrize("kind", ["booking", "resend"])
def test_immediate_consultation_reads_as_join_now(immediate, settings, kind):
    settings.CLINIC_PHONE = "+57 601 555 0101"
    patient = parts(build(immediate, "patient", kind))
    for part in (patient["text/plain"], patient["text/html"]):
        assert "Join now, from a quiet place" in part
        assert "Questions? Call" in part
        assert "a few minutes early" not in part
        assert "change the time" not in part
    # The provider's message is in the clinic language (Spanish).
    provider = parts(build(immediate, "provider", kind))
    for part in (provider["text/plain"], provider["text/html"]):
        assert "Ingrese ahora" in part
        assert "unos minutos antes" not in part


# --- Calendar file --------------------------------------------------------------------------


def test_calendar_file_is_valid_and_in_utc(booked, settings):
    settings.SITE_URL = "https://desk.clinica.example"
    consultation = booked()
    ics = calendar_file_build(consultation)
    calendar = icalendar.Calendar.from_ical(ics)
    event = calendar_event(ics)

    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == consultation.starts_at
    assert event.decoded("DTEND") == consultation.ends_at
    assert b"DTSTART:20270310T150000Z" in ics
    assert b"DTEND:20270310T153000Z" in ics
    assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
    assert str(event["UID"]) == f"consultation-{consultation.pk}@desk.clinica.example"
    assert str(event["UID"]) == calendar_uid(consultation)
    assert event["SUMMARY"]
    assert PIN in str(event["DESCRIPTION"])


def test_calendar_attachment_is_a_publish_ics_file(booked):
    message = build(booked(), "patient")
    (attachment,) = [p for p in parsed(message).walk() if p.get_content_type() == "text/calendar"]

    assert attachment.get_filename() == "consulta.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_param("method") == "PUBLISH"
    # Readable on the wire and in the console backend's output, not base64.
    assert attachment["Content-Transfer-Encoding"] in ("7bit", "8bit")
    assert b"BEGIN:VCALENDAR" in message.message().as_bytes()


def test_calendar_uid_is_stable_across_builds_resends_and_recipients(booked):
    consultation = booked()
    uids = {
        str(calendar_event(calendar_file_build(consultation))["UID"]),
        str(calendar_event(calendar_file_build(consultation, recipient="provider"))["UID"]),
        *(
            str(calendar_event(parts(build(consultation, recipient, kind))["text/calendar"])["UID"])
            for recipient, kind in [
                ("patient", "booking"),
                ("patient", "resend"),
                ("patient", "reminder"),
                ("patient", "time_changed"),
                ("provider", "booking"),
                ("provider", "resend"),
                ("provider", "time_changed"),
            ]
        ),
    }

    assert uids == {calendar_uid(consultation)}
    assert calendar_uid(booked()) != calendar_uid(consultation)


def test_calendar_sequence_follows_the_consultation(booked):
    consultation = booked()
    assert calendar_event(calendar_file_build(consultation))["SEQUENCE"] == 0

    consultation.calendar_sequence += 1
    consultation.save(update_fields=["calendar_sequence"])
    consultation.refresh_from_db()
    event = calendar_event(parts(build(consultation, "patient", "resend"))["text/calendar"])

    assert event["SEQUENCE"] == 1


# --- Email safety ---------------------------------------------------------------------------


def test_line_breaks_in_names_cannot_add_headers(booked, settings):
    settings.CLINIC_NAME = "Clínica\r\nBcc: clinic@attacker.example"
    consultation = booked(
        patient=PatientFactory(name="Ana\r\nBcc: x@y.z"),
        provider=ProviderFactory(name="Dra. Ana\nBcc: evil@attacker.example"),
    )
    for recipient, address in [("patient", PATIENT_ADDRESS), ("provider", PROVIDER_ADDRESS)]:
        kinds = ["booking", "resend", "time_changed"]
        for kind in kinds + (["reminder"] if recipient == "patient" else []):
            message = build(consultation, recipient, kind)

            assert not any(line.lower().startswith("bcc:") for line in header_lines(message))
            assert parsed(message)["Bcc"] is None
            assert message.recipients() == [address]
            assert "\r" not in message.subject and "\n" not in message.subject
    assert "Ana Bcc: x@y.z" in build(consultation, "provider").subject


@pytest.mark.parametrize(
    ("name", "in_subject"),
    [
        ("A" * 60, "A" * 60),  # at the limit: whole
        ("A" * 61, "A" * 59 + "…"),  # 60 characters with the ellipsis
        ("B" * 58 + " Cd", "B" * 58 + "…"),  # cut after a space: no space before "…"
    ],
)
def test_long_names_are_shortened_in_the_subject_only(booked, name, in_subject):
    # A patient's name (up to 150 characters) in the provider's subject; a provider's
    # name is at most 50 (Kairo's limit), so it never needs shortening.
    message = build(booked(patient=PatientFactory(name=name)), "provider")
    assert message.subject.startswith(f"Videoconsulta con {in_subject}: ")
    assert name in parts(message)["text/plain"]


@pytest.mark.parametrize(
    "address",
    [
        "ana.paciente@correo.example\r\nBcc: evil@attacker.example",
        "ana.paciente@correo.example\nBcc: evil@attacker.example",
        "ana.paciente@correo.example, evil@attacker.example",
        "not an address",
        "",
    ],
)
def test_an_address_that_is_not_one_valid_address_is_refused(booked, address):
    with pytest.raises(ValueError, match="not a single valid email address") as raised:
        build(booked(), "patient", to_address=address)
    assert "attacker" not in str(raised.value)


def test_html_is_escaped(booked):
    consultation = booked(
        patient=PatientFactory(name="<script>alert(1)</script>"),
        provider=ProviderFactory(name='Dr. <b onmouseover="x()">Bold</b>'),
    )
    patient_html = parts(build(consultation, "patient"))["text/html"]
    provider_html = parts(build(consultation, "provider"))["text/html"]

    for html in (patient_html, provider_html):
        assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in patient_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in provider_html
    assert "<b " not in patient_html
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Bold&lt;/b&gt;" in patient_html


# --- Nothing to send ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "kind", "extra"),
    [
        ("staff", "booking", {}),
        ("patient", "invitation", {}),
        ("provider", "reminder", {"reminder_offset_minutes": 60}),
        ("patient", "reminder", {"reminder_offset_minutes": None}),
        ("patient", "reminder", {"reminder_offset_minutes": 0}),
    ],
)
def test_unknown_recipient_or_kind_is_refused(booked, recipient, kind, extra):
    with pytest.raises(ValueError):
        message_build(
            consultation=booked(),
            recipient=recipient,
            kind=kind,
            to_address=PATIENT_ADDRESS,
            **extra,
        )


@pytest.mark.parametrize(
    ("missing", "recipient"),
    [
        ("patient_join_url", "patient"),
        ("provider_join_url", "provider"),
        ("access_pin", "patient"),
        ("access_pin", "provider"),
    ],
)
def test_a_consultation_without_link_or_pin_has_nothing_to_send(booked, missing, recipient):
    consultation = booked(**{missing: ""})

    with pytest.raises(ValueError, match="no .* join link or PIN"):
        build(consultation, recipient)
    with pytest.raises(ValueError):
        calendar_file_build(consultation, recipient=recipient)


def test_the_other_party_missing_a_link_does_not_block_this_one(booked):
    consultation = booked(provider_join_url="")

    body = build(consultation, "patient").body
    assert clinic_link(consultation, "patient") in body


# --- The clinic's join link, or Kairo's raw link ----------------------------------------------


@pytest.mark.parametrize("recipient", ["patient", "provider"])
def test_the_calendar_file_carries_the_clinic_link(booked, recipient):
    consultation = booked()
    event = calendar_event(calendar_file_build(consultation, recipient=recipient))
    link = clinic_link(consultation, recipient)
    assert str(event["URL"]) == str(event["LOCATION"]) == link
    assert "meet.kairo.example" not in event.to_ical().decode()


@pytest.mark.parametrize(
    ("recipient", "kind", "room"),
    [
        ("patient", "booking", PATIENT_URL),
        ("patient", "reminder", PATIENT_URL),
        ("patient", "resend", PATIENT_URL),
        ("provider", "booking", PROVIDER_URL),
        ("provider", "resend", PROVIDER_URL),
    ],
)
def test_with_email_kairo_room_link_on_the_raw_link_is_emailed(
    booked, settings, recipient, kind, room
):
    settings.EMAIL_KAIRO_ROOM_LINK = True
    consultation = booked()
    content = parts(build(consultation, recipient, kind))
    assert room in content["text/plain"]
    assert hrefs(content["text/html"]) == [room]
    assert str(calendar_event(content["text/calendar"])["URL"]) == room
    assert "/j/" not in content["text/plain"]
    assert not JoinLink.objects.filter(consultation=consultation).exists()


def test_one_live_link_serves_every_message_until_reissued(booked, receptionist):
    from consultations.services.join_links import join_links_reissue

    consultation = booked()
    first = build(consultation, "patient", "booking").body
    old = clinic_link(consultation)
    assert old in build(consultation, "patient", "reminder").body and old in first
    join_links_reissue(consultation=consultation, actor=receptionist)
    new = clinic_link(consultation)
    resent = build(consultation, "patient", "resend").body
    assert new != old
    assert new in resent and old not in resent


def test_immediate_consultation_has_no_reminder_and_no_calendar_file(immediate):
    with pytest.raises(ValueError):
        build(immediate, "patient", "reminder", reminder_offset_minutes=60)
    with pytest.raises(ValueError, match="no time to change"):
        build(immediate, "patient", "time_changed")
    with pytest.raises(ValueError):
        calendar_file_build(immediate)


def test_calendar_helpers_refuse_bad_input(booked):
    with pytest.raises(ValueError):
        calendar_file_build(booked(), recipient="staff")
    with pytest.raises(ValueError):
        calendar_uid(ConsultationFactory.build())


@pytest.mark.parametrize(
    ("recipient", "kind", "language", "prefix", "notice"),
    [
        ("patient", "booking", "en", "[TRAINING] ", "TRAINING — not real consultations"),
        ("patient", "reminder", "es", "[FORMACIÓN] ", "FORMACIÓN — no son consultas reales"),
        ("provider", "booking", "es", "[FORMACIÓN] ", "FORMACIÓN — no son consultas reales"),
    ],
)
def test_a_training_install_says_so_in_the_subject_and_both_bodies(
    booked, settings, recipient, kind, language, prefix, notice
):
    settings.KAIRO_TRAINING_MODE = True
    message = build(booked(language=language), recipient, kind)
    assert message.subject.startswith(prefix)
    found = parts(message)
    assert found["text/plain"].startswith(notice + "\n\n")
    assert notice in found["text/html"]
    settings.KAIRO_TRAINING_MODE = False
    ordinary = build(booked(language=language), recipient, kind)
    assert not ordinary.subject.startswith("[")
    assert notice not in ordinary.body and notice not in parts(ordinary)["text/html"]


def test_a_training_cancellation_says_so_too(booked, settings):
    from consultations.models import ConsultationStatus

    settings.KAIRO_TRAINING_MODE = True
    message = build(booked(language="en", status=ConsultationStatus.CANCELLED), kind="cancelled")
    assert message.subject.startswith("[TRAINING] Cancelled:")
    assert message.body.startswith("TRAINING — not real consultations")
