"""A receptionist's whole morning in Spanish, through the pages only, against the
in-process Kairo Connect sandbox: book a new patient, book a returning one found with the
search, fix a typo in a phone, book a patient on file under a longer name (refused on
the name until confirmed), cancel a consultation and rebook it around the window Kairo
keeps. Every page is checked for English; the end state is checked in the database."""

from __future__ import annotations

import datetime as dt
import re
from email.mime.base import MIMEBase

import pytest
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from consultations.clock import long_date, organization_zone
from consultations.kairo.sandbox import reset_default_sandbox
from consultations.models import Consultation, ConsultationStatus, Delivery, Patient
from tests.browser.staff_pages import PASSWORD
from tests.factories import PatientFactory, ProviderFactory, UserFactory
from tests.untranslated import english_fragments, page_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _spanish(page) -> None:
    """The page is in Spanish and shows no English source string."""
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^es"))
    found = english_fragments(page_text(page.content()))
    assert not found, f"English on {page.url}: {found}"


def _click_and_load(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    _spanish(page)


def _open(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, path
    _spanish(page)


def _choose_consultation(page, provider, day: dt.date, time: str) -> None:
    page.select_option("#id_provider", str(provider.pk))
    page.select_option("#id_consultation_type", label="Consulta general")
    page.check("input[name=when][value=scheduled]")
    page.fill("#id_scheduled_date", day.isoformat())
    page.fill("#id_scheduled_time", time)


def _book(page) -> int:
    """Send the booking form; return the booked consultation's number (result page)."""
    _click_and_load(page, page.locator("input[name=book]"))
    expect(page.locator("#outcome-booked")).to_be_visible()
    number = re.search(r"/consultations/(\d+)/booked/", page.url)
    assert number, page.url
    return int(number.group(1))


@pytest.fixture
def _emails_sent_in_the_request(settings):
    """Emails go out in the request, after its commit, so that the test can read them once
    the page has loaded (the in-process task thread has its own tests)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_morning_at_the_desk_in_spanish(
    page, staff_groups, seeded_catalogs, artifacts_dir, _emails_sent_in_the_request
):
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    camila = ProviderFactory(name="Dra. Camila Restrepo Gómez", email="camila@clinica.example")
    andres = ProviderFactory(name="Dr. Andrés Felipe Ospina", email="andres@clinica.example")
    jorge = PatientFactory(
        name="Jorge Iván Pérez",
        document_number="79555111",
        phone="+573005551111",
        email="jorge@correo.example",
        preferred_language="es",
    )
    ana = PatientFactory(
        name="Ana Cárdenas",
        document_number="52111222",
        phone="+573104445566",
        email="ana@correo.example",
        preferred_language="es",
    )
    for patient in (jorge, ana):
        patient.record_authorization(given=True, policy_version="2026-01", recorded_by=None)
        patient.save()
    tomorrow = timezone.now().astimezone(organization_zone()).date() + dt.timedelta(days=1)

    # Log in through the login page; a new account's desk is in Spanish.
    _open(page, "/login/")
    page.fill("#id_username", "recepcion")
    page.fill("#id_password", PASSWORD)
    _click_and_load(page, page.locator("main button[type=submit]"))
    expect(page).to_have_url(re.compile(r".*/agenda/"))

    # 1. A new patient, scheduled.
    _click_and_load(page, page.locator("nav a[href='/consultations/new/']").first)
    page.select_option("#id_document_type", "CC")
    page.fill("#id_document_number", "1.020.304.050")
    page.fill("#id_name", "María Fernanda Ríos")
    page.fill("#id_phone", "300 123 4567")
    page.fill("#id_email", "maria.rios@example.co")
    page.check("#id_authorization")
    _choose_consultation(page, camila, tomorrow, "09:00")
    first = _book(page)

    # 2. A returning patient, found with the search.
    _open(page, "/consultations/new/")
    page.fill("#patient-search", "79555111")
    _click_and_load(page, page.locator("#patient-search-form button[type=submit]"))
    expect(page.locator("#patient-results a")).to_have_count(1)
    _click_and_load(page, page.locator("#patient-results a").first)
    expect(page.locator("#id_name")).to_have_value("Jorge Iván Pérez")
    expect(page.locator("#id_document_number")).to_have_value("79555111")
    _choose_consultation(page, andres, tomorrow, "10:00")
    _book(page)

    # 3. A typo in Jorge's phone, fixed on his page; the history shows it masked.
    _open(page, f"/patients/{jorge.pk}/")
    _click_and_load(page, page.locator("#patient-edit"))
    page.fill("#id_phone", "300 555 1112")
    _click_and_load(page, page.locator("#patient-form button[type=submit]"))
    expect(page).to_have_url(re.compile(rf".*/patients/{jorge.pk}/$"))
    change = page.locator("#patient-changes li[data-field=phone]")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("•••111")
    expect(change).to_contain_text("•••112")
    expect(change).to_contain_text("recepcion")
    expect(change).not_to_contain_text("5551111")
    page.screenshot(path=artifacts_dir / "morning-patient-history.png", full_page=True)

    # 4. Ana, on file as "Ana Cárdenas", typed with her full name: refused on the name
    # until the change is confirmed.
    _open(page, "/consultations/new/")
    page.select_option("#id_document_type", "CC")
    page.fill("#id_document_number", "52 111 222")
    page.fill("#id_name", "Ana Lucía Cárdenas")
    page.fill("#id_phone", "310 444 5566")
    page.fill("#id_email", "ana@correo.example")
    expect(page.locator("#patient-on-file")).to_contain_text("Ana Cárdenas")
    _choose_consultation(page, camila, tomorrow, "11:00")
    _click_and_load(page, page.locator("input[name=book]"))
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_name")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_name_error")).to_contain_text("«Ana Cárdenas»")
    assert Patient.objects.get(pk=ana.pk).name == "Ana Cárdenas"
    assert not Consultation.objects.filter(patient=ana).exists()
    expect(page.locator("label[for=id_name_change_confirmed]")).to_contain_text(
        "«Ana Lucía Cárdenas»"
    )
    page.check("#id_name_change_confirmed")
    _book(page)

    # 5. María cancels; the page says what Kairo keeps.
    _open(page, f"/consultations/{first}/")
    _click_and_load(page, page.locator("#cancel-link"))
    expect(page.locator("#cancel-kairo")).to_contain_text("09:00")
    expect(page.locator("#cancel-kairo")).to_contain_text("Dra. Camila Restrepo Gómez")
    page.fill("#id_reason", "La paciente pidió otra hora")
    _click_and_load(page, page.locator("main form button[type=submit]"))
    expect(page).to_have_url(re.compile(rf".*/consultations/{first}/$"))
    expect(page.locator("main .alert-success")).to_contain_text(
        "Kairo Connect no tiene una operación para cancelar"
    )

    # Rebooking an overlapping time is refused before Kairo is asked: on the provider
    # and on the patient (both held by Kairo), with the provider's next free starts.
    _click_and_load(page, page.locator("#rebook-link"))
    expect(page.locator("#rebook-notice")).to_be_visible()
    page.check("input[name=when][value=scheduled]")
    page.fill("#id_scheduled_date", tomorrow.isoformat())
    page.fill("#id_scheduled_time", "09:15")
    _click_and_load(page, page.locator("input[name=book]"))
    with translation.override("es"):
        held = f"Kairo Connect mantiene reservado {long_date(tomorrow)}, 09:00–09:30"
    expect(page.locator("#id_provider_error")).to_contain_text(held)
    expect(page.locator("#id_provider_error")).to_contain_text("Dra. Camila Restrepo Gómez")
    expect(page.locator("#id_document_number_error")).to_contain_text(held)
    with translation.override("es"):
        spanish_date = long_date(tomorrow)
    expect(page.locator("#id_scheduled_time_error")).to_contain_text(
        f"Próximas horas libres con Dra. Camila Restrepo Gómez el {spanish_date}: 09:30"
    )
    assert Consultation.objects.filter(provider=camila).count() == 2  # nothing sent

    # A free start from the provider's day (neither the held 09:00 nor Ana's 11:00).
    expect(page.locator("#provider-day .provider-day-held")).to_have_count(1)
    free = page.locator("#provider-day-free button", has_text="09:30")
    free.click()
    expect(page.locator("#id_scheduled_time")).to_have_value("09:30")
    expect(page.locator("#provider-day-free button", has_text="11:00")).to_have_count(0)
    rebooked = _book(page)
    page.screenshot(path=artifacts_dir / "morning-rebooked.png", full_page=True)

    # The records are as meant: nothing renamed or changed except what was confirmed.
    maria = Patient.objects.get(document_number="1020304050")
    jorge.refresh_from_db()
    ana.refresh_from_db()
    assert (maria.name, str(maria.phone)) == ("María Fernanda Ríos", "+573001234567")
    assert (jorge.name, str(jorge.phone)) == ("Jorge Iván Pérez", "+573005551112")
    assert (ana.name, str(ana.phone)) == ("Ana Lucía Cárdenas", "+573104445566")
    assert Patient.objects.count() == 3
    assert list(jorge.changes.values_list("field", flat=True)) == ["phone"]
    assert list(ana.changes.values_list("field", flat=True)) == ["name"]
    assert not maria.changes.exists()

    statuses = {consultation.pk: consultation.status for consultation in Consultation.objects.all()}
    assert len(statuses) == 4
    assert statuses[first] == ConsultationStatus.CANCELLED
    assert (
        sorted(status for pk, status in statuses.items() if pk != first)
        == [ConsultationStatus.BOOKED] * 3
    )
    rebooked_consultation = Consultation.objects.get(pk=rebooked)
    assert rebooked_consultation.patient == maria
    assert rebooked_consultation.provider == camila
    local = rebooked_consultation.starts_at.astimezone(organization_zone())
    assert (local.date(), local.time()) == (tomorrow, dt.time(9, 30))

    # The cancellation reached the patient and the provider, each once, in Spanish, with a
    # calendar file that removes the event.
    cancellations = Delivery.objects.filter(consultation_id=first, kind=Delivery.Kind.CANCELLED)
    assert sorted(cancellations.values_list("recipient", "state")) == [
        ("patient", "sent"),
        ("provider", "sent"),
    ]
    for address in ("maria.rios@example.co", "camila@clinica.example"):
        (message,) = [
            message
            for message in mail.outbox
            if address in message.to and "METHOD:CANCEL" in _calendar(message)
        ]
        assert not english_fragments(message.subject + "\n" + message.body), address
        assert "STATUS:CANCELLED" in _calendar(message)


def _calendar(message) -> str:
    """The text of a message's calendar attachments."""
    return "".join(
        part.get_payload(decode=True).decode()
        for part in message.attachments
        if isinstance(part, MIMEBase) and part.get_content_type() == "text/calendar"
    )
