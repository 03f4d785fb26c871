"""The consultation timeline reads as sentences in the staff language."""

from __future__ import annotations

import pytest
from django.utils import translation

from consultations.models import ConsultationEvent
from consultations.timeline import delivery_error_text, event_sentence
from tests.factories import UserFactory

Kind = ConsultationEvent.Kind


def sentence(kind: str, detail, *, actor: str | None = None, language: str) -> str:
    user = UserFactory.build(username=actor) if actor else None
    event = ConsultationEvent(kind=kind, detail=detail, actor=user)
    with translation.override(language):
        return event_sentence(event)


# (kind, detail, actor, Spanish, English)
CASES = [
    (
        Kind.BOOKING_STARTED,
        {"immediate": False},
        "recepcion",
        "Enviado a Kairo Connect por recepcion.",
        "Sent to Kairo Connect by recepcion.",
    ),
    (
        Kind.BOOKING_STARTED,
        {"immediate": True},
        "recepcion",
        "Consulta inmediata enviada a Kairo Connect por recepcion.",
        "Immediate consultation sent to Kairo Connect by recepcion.",
    ),
    (
        Kind.BOOKED,
        {"from": "sending", "to": "booked", "kairo_status": "Pending"},
        None,
        "Kairo Connect confirmó el agendamiento. (En Kairo Connect: en espera de iniciar.)",
        "Kairo Connect confirmed the booking. (In Kairo Connect: waiting to start.)",
    ),
    (
        Kind.REJECTED,
        {"code": "VALIDATION_ERROR", "outcome": "rejected", "fields": ["provider.email"]},
        None,
        "Kairo Connect rechazó el agendamiento: Kairo Connect encontró en la solicitud datos "
        "que no acepta. Campos que señaló: provider.email.",
        "Kairo Connect refused the booking: Kairo Connect found data it does not accept in "
        "the request. Fields it named: provider.email.",
    ),
    (
        Kind.CONFIGURATION_ERROR,
        {"code": "API_KEY_INVALID", "http_status": 401},
        None,
        "Kairo Connect rechazó las credenciales o la dirección de la clínica: Kairo Connect "
        "rechazó las credenciales de la clínica; un administrador debe revisar la "
        "configuración de Kairo Connect.",
        "Kairo Connect refused the clinic's credentials or address: Kairo Connect refused "
        "the clinic's credentials; an administrator must check the Kairo Connect settings.",
    ),
    (
        Kind.UNCONFIRMED,
        {"code": "TIMEOUT", "outcome": "unknown"},
        None,
        "No se conoce la respuesta de Kairo Connect: Kairo Connect no respondió a tiempo. "
        "La solicitud no se volvió a enviar.",
        "Kairo Connect's answer is unknown: Kairo Connect did not answer in time. The "
        "request was not sent again.",
    ),
    (
        Kind.STUCK_SWEPT,
        {"from": "sending", "to": "unconfirmed"},
        None,
        "El agendamiento se interrumpió antes de registrar la respuesta de Kairo Connect; "
        "quedó sin confirmar.",
        "The booking was interrupted before Kairo Connect's answer was recorded; marked "
        "unconfirmed.",
    ),
    (
        Kind.REFRESHED,
        {"from": "booked", "to": "in_progress", "kairo_status": "InProgress", "session": True},
        "recepcion",
        "Actualizada desde Kairo Connect por recepcion; estado: Agendada → En curso. "
        "(En Kairo Connect: en curso.)",
        "Refreshed from Kairo Connect by recepcion; status: Booked → In progress. "
        "(In Kairo Connect: in progress.)",
    ),
    (
        Kind.REFRESHED,
        {"status": "booked", "time_changed": True},
        None,
        "Actualizada desde Kairo Connect; estado: Agendada. Kairo Connect la movió a una "
        "nueva hora.",
        "Refreshed from Kairo Connect; status: Booked. Kairo Connect moved it to a new time.",
    ),
    (
        Kind.REFRESH_FAILED,
        {"code": "CONSULTATION_NOT_FOUND", "http_status": 404},
        "recepcion",
        "Falló la actualización desde Kairo Connect: Kairo Connect no conoce esta consulta.",
        "Refresh from Kairo Connect failed: Kairo Connect does not know this consultation.",
    ),
    (
        Kind.STATUS_CHANGED,
        {"from": "booked", "to": "completed"},
        None,
        "Cambió el estado: Agendada → Finalizada.",
        "Status changed: Booked → Completed.",
    ),
    (
        Kind.CANCELLED,
        {"from": "booked", "to": "cancelled", "kairo_notified": False},
        "recepcion",
        "Cancelada aquí por recepcion. Kairo Connect no permite cancelar: su sala sigue "
        "abierta hasta que vence.",
        "Cancelled here by recepcion. Kairo Connect has no cancel: its room stays open "
        "until it expires.",
    ),
    (
        Kind.EMAIL,
        {"recipient": "patient", "kind": "booking", "state": "sent", "attempts": 1},
        None,
        "Correo al paciente (agendamiento): enviado, 1 intento.",
        "Email to the patient (booking): sent, 1 attempt.",
    ),
    (
        Kind.EMAIL,
        {
            "recipient": "patient",
            "kind": "reminder",
            "state": "failed",
            "attempts": 3,
            "minutes_before": 60,
            "error": "SMTPServerDisconnected",
        },
        None,
        "Correo al paciente (recordatorio, 60 minutos antes): fallido, 3 intentos.",
        "Email to the patient (reminder, 60 minutes before): failed, 3 attempts.",
    ),
    (
        Kind.EMAIL,
        {
            "recipient": "provider",
            "kind": "resend",
            "state": "queued",
            "attempts": 0,
            "requested": True,
        },
        "recepcion",
        "Correo al profesional (reenvío): en cola (solicitado por recepcion).",
        "Email to the provider (resend): queued (asked by recepcion).",
    ),
    (
        Kind.WEBHOOK,
        {"event": "session_started"},
        None,
        "Alguien entró a la videollamada.",
        "Someone joined the video call.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "session_ended", "participant": "robot", "at": "2026-12-02T15:03:12+00:00"},
        None,
        "Alguien salió de la videollamada. A las 2026-12-02 10:03.",
        "Someone left the video call. At 2026-12-02 10:03.",
    ),
    (
        Kind.WEBHOOK,
        {
            "event": "session_started",
            "participant": "provider",
            "at": "2026-12-02T15:01:00+00:00",
            "from": "booked",
            "to": "in_progress",
        },
        None,
        "El profesional entró a la videollamada. A las 2026-12-02 10:01. "
        "Estado: Agendada → En curso.",
        "The provider joined the video call. At 2026-12-02 10:01. Status: Booked → In progress.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "session_ended", "participant": "patient", "at": "yesterday"},
        None,
        "El paciente salió de la videollamada.",
        "The patient left the video call.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "session_ended", "participant": "patient", "at": "2026-12-02T15:01:00"},
        None,
        "El paciente salió de la videollamada.",
        "The patient left the video call.",
    ),
    (
        Kind.NEEDS_ATTENTION,
        {"status": "unconfirmed", "minutes": 30},
        None,
        "Sigue sin confirmar y no se conoce su id en Kairo Connect, así que no se puede "
        "consultar desde aquí: entréguele el requestId al soporte de Kairo Connect para "
        "saber si se creó, o cancélela aquí si el paciente ya no la necesita.",
        "Still unconfirmed and Kairo Connect's id is unknown, so it cannot be looked up from "
        "here: give the requestId to Kairo Connect support to find out whether it was "
        "created, or cancel it here if the patient no longer needs it.",
    ),
    (
        Kind.WEBHOOK,
        {
            "event": "session_started",
            "participant": "patient",
            "from": "booked",
            "to": "in_progress",
        },
        None,
        "El paciente entró a la videollamada. Estado: Agendada → En curso.",
        "The patient joined the video call. Status: Booked → In progress.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "session_ended", "participant": "provider", "status": "in_progress"},
        None,
        "El profesional salió de la videollamada.",
        "The provider left the video call.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "consultation.completed", "from": "in_progress", "to": "completed"},
        None,
        "Kairo Connect informó que la consulta terminó. Estado: En curso → Finalizada.",
        "Kairo Connect reported the consultation completed. Status: In progress → Completed.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "consultation.expired", "status": "cancelled"},
        None,
        "Kairo Connect informó que la consulta venció.",
        "Kairo Connect reported the consultation expired.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "consultation.created", "from": "unconfirmed", "to": "booked"},
        None,
        "Kairo Connect confirmó que creó la consulta. Estado: Sin confirmar → Agendada.",
        "Kairo Connect confirmed it created the consultation. Status: Unconfirmed → Booked.",
    ),
    (
        Kind.WEBHOOK,
        {"event": "consultation.created", "healed": True, "from": "unconfirmed", "to": "booked"},
        None,
        "Kairo Connect confirmó que creó esta reserva, cuya respuesta se había perdido; ya "
        "están guardados su PIN y sus enlaces. Estado: Sin confirmar → Agendada.",
        "Kairo Connect confirmed it created this booking, whose answer had been lost; its "
        "PIN and links are now stored. Status: Unconfirmed → Booked.",
    ),
    (
        Kind.JOIN_PAGE_OPENED,
        {"recipient": "patient"},
        None,
        "El paciente abrió la página de ingreso de la clínica.",
        "The patient opened the clinic's join page.",
    ),
    (
        Kind.JOIN_PAGE_OPENED,
        {"recipient": "provider"},
        None,
        "El profesional abrió la página de ingreso de la clínica.",
        "The provider opened the clinic's join page.",
    ),
    (
        Kind.JOIN_PRESSED,
        {"recipient": "patient"},
        None,
        "El paciente pulsó Ingresar y fue enviado a la sala de Kairo Connect.",
        "The patient pressed Join and was sent to Kairo Connect's room.",
    ),
    (
        Kind.JOIN_PRESSED,
        {},
        None,
        "Se pulsó Ingresar en la página de ingreso de la clínica.",
        "Join was pressed on the clinic's join page.",
    ),
    (
        Kind.JOIN_LINKS_REISSUED,
        {"revoked": 2},
        "recepcion",
        "recepcion revocó y volvió a emitir los enlaces de ingreso. Los enlaces anteriores ya "
        "no abren la página.",
        "Join links revoked and reissued by recepcion. The old links no longer open the page.",
    ),
]


@pytest.mark.parametrize(("kind", "detail", "actor", "spanish", "english"), CASES)
def test_each_kind_reads_as_a_sentence_in_both_languages(kind, detail, actor, spanish, english):
    assert sentence(kind, detail, actor=actor, language="es") == spanish
    assert sentence(kind, detail, actor=actor, language="en") == english


def test_every_kind_has_a_case():
    assert {case[0] for case in CASES} == set(Kind.values)


@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize(
    "detail",
    [{}, None, [], "text", {"code": 3, "from": None, "fields": "x", "attempts": "2", "x": {}}],
)
def test_odd_details_never_break_a_sentence_nor_show_raw_keys(kind, detail):
    text = sentence(kind, detail, language="es")
    assert text
    assert "code" not in text and ": None" not in text and "{" not in text


def test_an_unknown_kind_shows_its_label():
    assert sentence("patient_merged", {"a": 1}, language="es") == "patient_merged"


@pytest.mark.parametrize(
    ("stored", "spanish", "english", "detail"),
    [
        (
            "Skipped: consultation cancelled",
            "No enviado (consulta: Cancelada).",
            "Not sent (consultation: Cancelled).",
            "",
        ),
        (
            "Skipped: consultation already started",
            "No enviado: la consulta ya había empezado.",
            "Not sent: the consultation had already started.",
            "",
        ),
        (
            "Not sent: consultation 5 has no patient join link or PIN",
            "No enviado: no hay enlace, PIN o dirección válida para enviar.",
            "Not sent: there is no link, PIN or valid address to send.",
            "consultation 5 has no patient join link or PIN",
        ),
        (
            "SMTPRecipientsRefused 550",
            "El servidor de correo no lo aceptó o no se pudo contactar.",
            "The mail server did not accept it or could not be reached.",
            "SMTPRecipientsRefused 550",
        ),
    ],
)
def test_a_deliverys_stored_error_is_worded_for_staff(stored, spanish, english, detail):
    with translation.override("es"):
        assert delivery_error_text(stored) == (spanish, detail)
    with translation.override("en"):
        assert delivery_error_text(stored) == (english, detail)


def test_a_session_moment_reads_on_the_organization_clock(new_york):
    detail = {"event": "session_started", "participant": "patient", "at": "2026-07-02T15:03:12Z"}
    assert sentence(Kind.WEBHOOK, detail, language="en") == (
        "The patient joined the video call. At 2026-07-02 11:03."
    )


def test_every_kind_has_its_own_sentence():
    events = [ConsultationEvent(kind=kind, detail={}) for kind in Kind.values]
    with translation.override("en"):
        texts = {event.kind: event_sentence(event) for event in events}
    labels = {kind: str(label) for kind, label in Kind.choices}
    assert [kind for kind, text in texts.items() if text == labels[kind]] == []
