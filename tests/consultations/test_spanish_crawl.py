"""The Spanish crawl: every staff page and every email, in Spanish, with realistic data
and every error state we can trigger, shows no English (tests/untranslated.py).

Django's test client, not a browser: the browser suite runs the same detector."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from consultations import services
from consultations.emails import message_build
from consultations.kairo import contract
from consultations.kairo.client import KairoError
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    ConsultationType,
    Delivery,
    Duration,
    MedicalSpecialty,
    Patient,
    ProfessionalType,
    Provider,
)
from consultations.services import join_links
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    WebhookDeliveryFactory,
    future,
)
from tests.untranslated import english_fragments, page_text

pytestmark = pytest.mark.django_db

NEW = "/consultations/new/"
Status = ConsultationStatus
Kind = ConsultationEvent.Kind


class Crawl:
    """Collects what each page or email showed in English, to fail once, listing all."""

    def __init__(self) -> None:
        self.findings: dict[str, list[str]] = {}
        self.visited = 0

    def check(self, where: str, response_or_html) -> None:
        if hasattr(response_or_html, "status_code"):
            assert response_or_html.status_code < 500, where
            html = response_or_html.content.decode()
        else:
            html = str(response_or_html)
        self.visited += 1
        found = english_fragments(page_text(html), "es")
        if found:
            self.findings[where] = found

    def check_text(self, where: str, text: str) -> None:
        self.visited += 1
        found = english_fragments(text, "es")
        if found:
            self.findings[where] = found

    def assert_clean(self) -> None:
        report = "\n".join(f"{where}: {found}" for where, found in self.findings.items())
        assert not self.findings, f"English on Spanish pages:\n{report}"


def _patient(document: str, name: str) -> Patient:
    return Patient(
        document_type="CC",
        document_number=document,
        name=name,
        phone="+573109876543",
        email=f"{document}@correo.example",
        preferred_language="es",
    )


@pytest.fixture
def desk(
    book_consultation,
    receptionist,
    provider,
    sandbox,
    django_capture_on_commit_callbacks,
):
    """Consultations in every status, with timeline events of every kind."""
    made: dict[str, Consultation] = {}
    with django_capture_on_commit_callbacks(execute=True):
        booked = book_consultation(patient=_patient("1020304050", "Juan Camilo Gómez"))
        services.delivery_resend(consultation=booked, recipient="patient", actor=receptionist)
    services.consultation_refresh(consultation=booked, actor=receptionist)
    ConsultationEvent.objects.create(
        consultation=booked, kind=Kind.STATUS_CHANGED, detail={"from": "booked", "to": "booked"}
    )
    ConsultationEvent.objects.create(
        consultation=booked, kind=Kind.WEBHOOK, detail={"event": "consultation.created"}
    )
    Delivery.objects.create(
        consultation=booked,
        recipient="patient",
        kind="reminder",
        reminder_offset_minutes=60,
        state="failed",
        attempts=3,
        last_error="SMTPServerDisconnected",
    )
    # The join page's records: opened, Join pressed, links revoked and reissued.
    booked_link = join_links.join_link_issue(consultation=booked, recipient="patient")
    join_links.join_page_opened_record(link=booked_link)
    join_links.join_pressed_record(link=booked_link)
    join_links.join_links_reissue(consultation=booked, actor=receptionist)
    made["booked"] = booked

    for name, hours, events in (
        ("in_progress", 4, [contract.EVENT_SESSION_STARTED]),
        ("completed", 6, [contract.EVENT_SESSION_STARTED, contract.EVENT_CONSULTATION_COMPLETED]),
        ("expired", 8, [contract.EVENT_CONSULTATION_EXPIRED]),
    ):
        consultation = book_consultation(
            patient=_patient(f"30{hours}0000000", f"Paciente {name}"),
            scheduled_for=future(hours=hours),
        )
        for event in events:
            sandbox.trigger(consultation.kairo_consultation_id, event, participant="patient")
        made[name] = services.consultation_refresh(consultation=consultation, actor=receptionist)

    cancelled = book_consultation(
        patient=_patient("4040404040", "Paciente cancelada"), scheduled_for=future(hours=10)
    )
    made["cancelled"] = services.consultation_cancel(
        consultation=cancelled, actor=receptionist, reason="La paciente no puede asistir"
    )
    # What the delivery service stores when a message is not sent (English, technical).
    for recipient, last_error in (
        ("patient", "Skipped: consultation cancelled"),
        ("provider", "Not sent: consultation 5 has no provider join link or PIN"),
    ):
        Delivery.objects.create(
            consultation=cancelled,
            recipient=recipient,
            kind="resend",
            state="failed",
            attempts=1,
            last_error=last_error,
        )

    stuck = ConsultationFactory(status=Status.SENDING, starts_at=future(hours=12))
    Consultation.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=10)
    )
    services.consultations_sweep_stuck(older_than=dt.timedelta(minutes=2))
    made["swept"] = stuck

    flagged = ConsultationFactory(status=Status.UNCONFIRMED, starts_at=future(hours=16))
    Consultation.objects.filter(pk=flagged.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    services.unconfirmed_attention_surface(now=timezone.now(), older_than=dt.timedelta(minutes=30))
    made["needs_attention"] = flagged

    lost = ConsultationFactory(kairo_consultation_id=uuid.uuid4(), starts_at=future(hours=14))
    with pytest.raises(KairoError):
        services.consultation_refresh(consultation=lost, actor=receptionist)
    made["refresh_failed"] = lost
    return made


def test_every_staff_page_and_email_is_spanish(
    client,
    receptionist,
    clinic_admin,
    desk,
    booking_data,
    sandbox,
    settings,
    provider,
    kairo_books_elsewhere,
):
    crawl = Crawl()
    with translation.override("es"):
        _login_pages(crawl, client, settings)
    client.force_login(receptionist)
    _booking_pages(
        crawl, client, booking_data, sandbox, settings, provider, kairo_books_elsewhere, desk
    )
    _consultation_pages(crawl, client)
    _desk_pages(crawl, client, desk)
    client.force_login(clinic_admin)
    _directory_admin_pages(crawl, client)
    _admin_pages(crawl, client)
    client.force_login(UserFactory(username="raiz", is_staff=True, is_superuser=True))
    crawl.check(
        "admin user page", client.get(reverse("admin:auth_user_change", args=[receptionist.pk]))
    )
    crawl.check("admin password change, errors", client.post(reverse("admin:password_change"), {}))
    _emails(crawl, desk)
    assert crawl.visited > 60
    crawl.assert_clean()


def _login_pages(crawl: Crawl, client, settings) -> None:
    crawl.check("login", client.get("/login/", HTTP_ACCEPT_LANGUAGE="en"))
    crawl.check(
        "login, wrong password",
        client.post("/login/", {"username": "nadie", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en"),
    )
    UserFactory(username="bloqueada")
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        locked = client.post("/login/", {"username": "bloqueada", "password": "x"})
    crawl.check("login, locked out", locked)


def _booking_pages(
    crawl, client, booking_data, sandbox, settings, provider, kairo_books_elsewhere, desk
):
    crawl.check("booking, empty", client.get(NEW))
    crawl.check("booking, search too short", client.get(f"{NEW}?q=ab"))
    crawl.check("booking, search", client.get(f"{NEW}?q=Gómez"))
    crawl.check("booking, rebook", client.get(f"{NEW}?rebook={desk['booked'].pk}"))
    crawl.check("booking, nothing sent", client.post(NEW, {}))
    crawl.check(
        "booking, bad fields",
        client.post(
            NEW,
            booking_data(
                phone="12",
                email="juan@localhost",
                document_number="12",
                name="",
                duration="7",
                scheduled_time="25:99",
            ),
        ),
    )
    now = timezone.now()
    crawl.check(
        "booking, in the past", client.post(NEW, booking_data(when_at=now - dt.timedelta(hours=1)))
    )
    crawl.check(
        "booking, too soon", client.post(NEW, booking_data(when_at=now + dt.timedelta(minutes=5)))
    )
    crawl.check(
        "booking, provider busy",
        client.post(
            NEW, booking_data(when_at=desk["booked"].starts_at, document_number="5555555555")
        ),
    )
    crawl.check(
        "booking, held by Kairo",
        client.post(
            NEW,
            booking_data(
                when_at=desk["cancelled"].starts_at,
                provider=desk["cancelled"].provider_id,
                document_number="5555555555",
            ),
        ),
    )
    crawl.check(
        "booking, no authorization",
        client.post(NEW, booking_data(authorization="", document_number="6666666666")),
    )
    sandbox.arm_fault("429")
    crawl.check(
        "booking, Kairo rate limit", client.post(NEW, booking_data(when_at=future(hours=20)))
    )
    odd = ProviderFactory(email="doctor@localhost")
    crawl.check(
        "booking, Kairo validation",
        client.post(NEW, booking_data(provider=odd.pk, when_at=future(hours=21))),
    )
    when = future(hours=22)
    kairo_books_elsewhere(provider, when)
    crawl.check(
        "booking, Kairo 409",
        client.post(NEW, booking_data(when_at=when + dt.timedelta(minutes=15))),
    )
    settings.KAIRO_API_KEY = "wrong-key"
    crawl.check(
        "booking, Kairo credentials", client.post(NEW, booking_data(when_at=future(hours=23)))
    )
    settings.KAIRO_API_KEY = "sandbox-key"
    sandbox.arm_fault("timeout")
    crawl.check(
        "booking, Kairo timeout",
        client.post(
            NEW, booking_data(when_at=future(hours=24), document_number="8888888888"), follow=True
        ),
    )


def _consultation_pages(crawl: Crawl, client) -> None:
    for consultation in Consultation.objects.all():
        label = f"{consultation.status} {consultation.pk}"
        crawl.check(
            f"detail {label}", client.get(reverse("consultation_detail", args=[consultation.pk]))
        )
        crawl.check(
            f"result {label}", client.get(reverse("consultation_result", args=[consultation.pk]))
        )
        crawl.check(
            f"cancel {label}", client.get(reverse("consultation_cancel", args=[consultation.pk]))
        )
    # The public join page, a patient's, in each state (the patients here read Spanish).
    for consultation in Consultation.objects.all():
        for recipient in ("patient", "provider"):
            link = join_links.join_link_issue(consultation=consultation, recipient=recipient)
            crawl.check(
                f"join page {recipient} {consultation.status} {consultation.pk}",
                client.get(reverse("join_page", args=[link.token])),
            )
    crawl.check("join page, unknown link", client.get(reverse("join_page", args=["nothing"])))
    kinds = set(ConsultationEvent.objects.values_list("kind", flat=True))
    assert kinds == set(Kind.values), f"no event of kind {set(Kind.values) - kinds}"
    statuses = set(Consultation.objects.values_list("status", flat=True))
    assert statuses == set(Status.values) - {Status.SENDING}, statuses


def _desk_pages(crawl: Crawl, client, desk) -> None:
    booked = desk["booked"]
    day = booked.starts_at.astimezone(timezone.get_default_timezone()).date()
    crawl.check("home", client.get("/"))
    crawl.check("agenda", client.get(reverse("agenda")))
    crawl.check("agenda, a day", client.get(f"{reverse('agenda')}?date={day:%Y-%m-%d}"))
    crawl.check("agenda, bad date", client.get(f"{reverse('agenda')}?date=garbage"))
    crawl.check("consultations", client.get(reverse("consultation_list")))
    crawl.check("needs attention, empty webhooks", client.get(reverse("attention")))
    for outcome in ("unmatched", "unknown_event", "unknown_consultation"):
        WebhookDeliveryFactory(outcome=outcome, candidates=[booked.pk])
    WebhookDeliveryFactory(outcome="unmatched")
    crawl.check("needs attention", client.get(reverse("attention")))
    crawl.check(
        "consultations, filters",
        client.get(f"{reverse('consultation_list')}?status=booked&provider=x&date=garbage"),
    )
    crawl.check(
        "cancel, no reason",
        client.post(reverse("consultation_cancel", args=[booked.pk]), {"reason": ""}),
    )
    crawl.check(
        "refresh, done",
        client.post(reverse("consultation_refresh", args=[booked.pk]), follow=True),
    )
    crawl.check(
        "refresh, failed",
        client.post(reverse("consultation_refresh", args=[desk["refresh_failed"].pk]), follow=True),
    )
    crawl.check(
        "refresh, no Kairo id",
        client.post(reverse("consultation_refresh", args=[desk["swept"].pk]), follow=True),
    )
    crawl.check(
        "resend, refused",
        client.post(
            reverse("consultation_resend", args=[desk["cancelled"].pk]),
            {"recipient": "patient"},
            follow=True,
        ),
    )
    crawl.check(
        "resend, done",
        client.post(
            reverse("consultation_resend", args=[booked.pk]), {"recipient": "provider"}, follow=True
        ),
    )
    patient, provider = booked.patient, booked.provider
    for name, url in (
        ("patients", reverse("patient_list")),
        ("patients, search", f"{reverse('patient_list')}?q=gomez"),
        ("patients, search too short", f"{reverse('patient_list')}?q=a"),
        ("patient", reverse("patient_detail", args=[patient.pk])),
        ("patient, new", reverse("patient_new")),
        ("patient, edit", reverse("patient_edit", args=[patient.pk])),
        ("providers", reverse("provider_list")),
        ("provider", reverse("provider_detail", args=[provider.pk])),
    ):
        crawl.check(name, client.get(url))
    crawl.check("patient, new with errors", client.post(reverse("patient_new"), {"phone": "12"}))
    crawl.check(
        "patient, duplicate",
        client.post(
            reverse("patient_new"),
            {
                "document_type": "CC",
                "document_number": patient.document_number,
                "name": "Otra",
                "phone": "+573001234567",
                "email": "otra@correo.example",
                "preferred_language": "es",
            },
        ),
    )
    crawl.check(
        "patient, edit with errors",
        client.post(reverse("patient_edit", args=[patient.pk]), {"email": "x@localhost"}),
    )


def _directory_admin_pages(crawl: Crawl, client) -> None:
    provider = Provider.objects.first()
    crawl.check("provider, new", client.get(reverse("provider_new")))
    crawl.check("provider, new with errors", client.post(reverse("provider_new"), {"phone": "1"}))
    crawl.check("provider, edit", client.get(reverse("provider_edit", args=[provider.pk])))
    # A patient's data rights (Ley 1581): the section, the confirmations, a refusal.
    ahead = Consultation.objects.filter(status=ConsultationStatus.BOOKED).first().patient
    crawl.check("patient, data rights", client.get(reverse("patient_detail", args=[ahead.pk])))
    crawl.check("patient, withdraw", client.get(reverse("patient_withdraw", args=[ahead.pk])))
    crawl.check(
        "patient, anonymize refused", client.post(reverse("patient_anonymize", args=[ahead.pk]))
    )
    quiet = PatientFactory(name="Paciente sin consultas")
    crawl.check("patient, anonymize", client.get(reverse("patient_anonymize", args=[quiet.pk])))
    crawl.check(
        "patient, withdrawn",
        client.post(reverse("patient_withdraw", args=[quiet.pk]), follow=True),
    )
    crawl.check(
        "patient, anonymized",
        client.post(reverse("patient_anonymize", args=[quiet.pk]), follow=True),
    )


def _admin_pages(crawl: Crawl, client) -> None:
    crawl.check("admin index", client.get(reverse("admin:index")))
    crawl.check("admin password change", client.get(reverse("admin:password_change")))
    for model in (
        Provider,
        Patient,
        Consultation,
        Delivery,
        ProfessionalType,
        MedicalSpecialty,
        ConsultationType,
        Duration,
    ):
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        crawl.check(f"admin {opts.model_name} list", client.get(reverse(f"{base}_changelist")))
        row = model.objects.first()
        crawl.check(
            f"admin {opts.model_name} change", client.get(reverse(f"{base}_change", args=[row.pk]))
        )
        if admin.site.get_model_admin(model).has_add_permission(_request(client)):
            crawl.check(f"admin {opts.model_name} add", client.get(reverse(f"{base}_add")))
            crawl.check(
                f"admin {opts.model_name} add, errors", client.post(reverse(f"{base}_add"), {})
            )
    crawl.check("admin lock-outs", client.get(reverse("admin:axes_accessattempt_changelist")))
    import_url = reverse("admin:consultations_medicalspecialty_import")
    crawl.check("admin catalog import", client.get(import_url))
    crawl.check(
        "admin catalog import, bad file",
        client.post(import_url, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe garbage")}),
    )


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    return request


def _emails(crawl: Crawl, desk) -> None:
    booked = desk["booked"]
    address = "juan@correo.example"
    cases = [
        ("patient", "booking", None),
        ("patient", "resend", None),
        ("patient", "reminder", 60),
        ("patient", "reminder", 1440),
        ("patient", "time_changed", None),
        ("provider", "booking", None),
        ("provider", "resend", None),
        ("provider", "time_changed", None),
    ]
    for recipient, kind, offset in cases:
        message = message_build(
            consultation=booked,
            recipient=recipient,
            kind=kind,
            to_address=address,
            reminder_offset_minutes=offset,
        )
        where = f"email {recipient} {kind}"
        crawl.check_text(f"{where} subject", message.subject)
        crawl.check_text(f"{where} text", message.body)
        crawl.check(f"{where} html", message.alternatives[0][0])
        for attachment in message.attachments:
            crawl.check_text(f"{where} calendar", attachment.get_payload())
    immediate = Consultation.objects.filter(pk=booked.pk).first()
    immediate.scheduled_for = None
    for recipient in ("patient", "provider"):
        message = message_build(
            consultation=immediate, recipient=recipient, kind="booking", to_address=address
        )
        crawl.check_text(f"email immediate {recipient} subject", message.subject)
        crawl.check_text(f"email immediate {recipient} text", message.body)
        crawl.check(f"email immediate {recipient} html", message.alternatives[0][0])


# --- The detector itself ---------------------------------------------------------------------


def test_the_detector_finds_english_on_a_page_shown_in_english(client, receptionist):
    from consultations.models import StaffPreference

    StaffPreference.objects.create(user=receptionist, language="en")
    client.force_login(receptionist)
    english_page = page_text(client.get(NEW).content.decode())
    found = english_fragments(english_page, "es")
    assert "Book a consultation" in found
    assert english_fragments(english_page, "en") == []


def test_the_detector_ignores_shared_words_and_text_marked_english():
    spanish = (
        "Kairo Connect rechazó el agendamiento (RATE_LIMITED, requestId: req_1). "
        "Ley 1581 de 2012 · miércoles, 2 de diciembre de 2026"
    )
    assert english_fragments(spanish, "es") == []
    html = (
        '<p>Sin confirmar</p><details lang="en">Too many calls to Kairo Connect in the '
        'last hour; try again later.</details><img alt="Enter a valid date.">'
    )
    assert english_fragments(page_text(html), "es") == ["Enter a valid date."]
