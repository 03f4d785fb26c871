"""Every staff page, with realistic data, in one list that page-wide checks crawl.

`staff_pages` (a fixture, tests/browser/conftest.py) seeds a clinic's morning: providers (one inactive), patients,
consultations booked through the service and the sandbox (timeline events, deliveries),
one cancelled, and one in every other status on today's agenda. It returns `StaffPage`
entries; `crawl` opens each in one browser context per language and runs the given
checks there. A check is `check(page, staff_page, language) -> list[str]` (problems found,
empty when none): add one to a crawl test to apply it to every page in both languages.

A page's `action`, if any, runs after it opens: it puts the page in the state to check
(a form submitted with mistakes) and returns once the resulting page has loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from consultations import services
from consultations.clock import organization_zone
from consultations.kairo.sandbox import reset_default_sandbox
from consultations.models import (
    ConsultationEvent,
    ConsultationStatus,
    ConsultationType,
    Duration,
    Patient,
)
from tests.browser.csp import LISTENER as CSP_LISTENER
from tests.factories import (
    PASSWORD,
    ConsultationFactory,
    DeliveryFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

LANGUAGES = ("es", "en")


@dataclass(frozen=True)
class StaffPage:
    name: str
    path: str
    action: Callable | None = None
    anonymous: bool = False


Check = Callable[["object", StaffPage, str], list[str]]


# --- Actions that put a page in an error state ---------------------------------------------


def _submit(form_selector: str) -> Callable:
    """Send the form as it is, past the browser's own required-field checks: the server's
    answer (its error summary and field errors) is what is under test."""

    def action(page) -> None:
        with page.expect_navigation():
            page.evaluate(f"document.querySelector({form_selector!r}).submit()")

    return action


def _simulate_next_step(page) -> None:
    """Press the first "Simulate: …" button of the sandbox panel: the page comes back
    with its message (whichever step is next: the crawl runs in each language)."""
    with page.expect_navigation():
        page.locator("#sandbox-simulate [data-simulate]").first.click()


def _filled_then_submitted(form_selector: str, values: dict[str, str]) -> Callable:
    def action(page) -> None:
        for selector, value in values.items():
            page.fill(selector, value)
        _submit(form_selector)(page)

    return action


def _wrong_password(page) -> None:
    page.fill("#id_username", "recepcion")
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()


# --- The data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    booked: object
    cancelled: object
    rejected: object
    patient: Patient
    provider: object
    admin_username: str


def seed_clinic() -> Seeded:
    """A realistic morning; every booking through the service meets the sandbox."""
    reset_default_sandbox()
    UserFactory(username="recepcion", groups=["Recepción"])
    admin = UserFactory(username="coordinacion", groups=["Administración clínica"], is_staff=True)
    general = ConsultationType.objects.get(code="ConsultaGeneral")
    thirty = Duration.objects.get(minutes=30)
    camila = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    andres = ProviderFactory(name="Dr. Andrés Felipe Ospina")
    ProviderFactory(name="Dra. Luisa Fernanda Mejía", is_active=False)
    maria = PatientFactory(name="María Fernanda Ríos", email="maria.rios@example.co")
    jorge = PatientFactory(name="Jorge Iván Pérez", preferred_language="en")
    PatientFactory(name="Ana Lucía Cárdenas", email="")
    for patient in (maria, jorge):
        patient.record_authorization(given=True, policy_version="2026-01", recorded_by=None)
        patient.save()

    zone = organization_zone()
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)

    def book(patient, provider, hour):
        return services.consultation_book(
            patient=patient,
            authorization_given=True,
            provider=provider,
            consultation_type=general,
            duration=thirty,
            scheduled_for=dt.datetime.combine(tomorrow, dt.time(hour, 0), zone),
            actor=admin,
            booking_token=uuid.uuid4(),
        )

    booked = book(maria, camila, 9)
    cancelled = book(jorge, andres, 10)
    services.consultation_cancel(
        consultation=cancelled, actor=admin, reason="La paciente pidió otro día"
    )

    # Today's agenda: one block in every other status, written straight to the database
    # (the clock has moved past most of them).
    today = timezone.now().astimezone(zone).date()
    rejected = None
    statuses = [
        ConsultationStatus.COMPLETED,
        ConsultationStatus.EXPIRED,
        ConsultationStatus.IN_PROGRESS,
        ConsultationStatus.UNCONFIRMED,
        ConsultationStatus.REJECTED,
        ConsultationStatus.BOOKED,
    ]
    for index, status in enumerate(statuses):
        start = dt.datetime.combine(today, dt.time(7 + index * 2, 0), zone)
        consultation = ConsultationFactory(
            provider=camila if index % 2 else andres,
            patient=maria if index % 2 else jorge,
            consultation_type=general,
            duration=thirty,
            scheduled_for=start,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            status=status,
        )
        if status == ConsultationStatus.REJECTED:
            rejected = consultation
            ConsultationEvent.objects.create(
                consultation=consultation,
                kind=ConsultationEvent.Kind.REJECTED,
                kairo_request_id="req_4f2a9c",
                detail={
                    "from": "sending",
                    "to": "rejected",
                    "code": "PROVIDER_NOT_AVAILABLE",
                    "outcome": "rejected",
                    "http_status": 409,
                },
            )
    # The "Needs attention" page has one item of each webhook kind and a failed email.
    for outcome in ("unmatched", "unknown_event", "unknown_consultation"):
        WebhookDeliveryFactory(outcome=outcome, candidates=[booked.pk])
    DeliveryFactory(consultation=booked, kind="resend")
    return Seeded(
        booked=booked,
        cancelled=cancelled,
        rejected=rejected,
        patient=maria,
        provider=camila,
        admin_username=admin.username,
    )


def staff_page_list(seeded: Seeded) -> list[StaffPage]:
    booked, patient, provider = seeded.booked, seeded.patient, seeded.provider
    return [
        StaffPage("login", "/login/", anonymous=True),
        StaffPage("login, wrong password", "/login/", _wrong_password, anonymous=True),
        StaffPage("catalogs", "/"),
        StaffPage("agenda, today", "/agenda/"),
        StaffPage("agenda, tomorrow", f"/agenda/?date={booked.starts_at.date().isoformat()}"),
        StaffPage("consultations list", "/consultations/"),
        StaffPage("needs attention", "/attention/"),
        StaffPage("consultations list, bad filters", "/consultations/?date_from=31-31-2026"),
        StaffPage("consultation detail, booked", f"/consultations/{booked.pk}/"),
        StaffPage("consultation detail, cancelled", f"/consultations/{seeded.cancelled.pk}/"),
        StaffPage("consultation detail, rejected", f"/consultations/{seeded.rejected.pk}/"),
        StaffPage("booking result", f"/consultations/{booked.pk}/booked/"),
        StaffPage("cancel", f"/consultations/{booked.pk}/cancel/"),
        StaffPage("cancel, no reason", f"/consultations/{booked.pk}/cancel/", _submit("main form")),
        StaffPage("booking form", "/consultations/new/"),
        StaffPage("booking form, patient search", "/consultations/new/?q=Ríos"),
        StaffPage("booking form, patient chosen", f"/consultations/new/?patient={patient.pk}"),
        StaffPage(
            "booking form, with errors",
            "/consultations/new/",
            _filled_then_submitted(
                "#booking-form",
                {
                    "#id_document_number": "12AB",
                    "#id_name": "María Fernanda Ríos",
                    "#id_phone": "123",
                    "#id_email": "maria@",
                    "#id_scheduled_date": "2020-01-01",
                    "#id_scheduled_time": "10:00",
                },
            ),
        ),
        StaffPage("patients list", "/patients/"),
        StaffPage("patient detail", f"/patients/{patient.pk}/"),
        StaffPage("patient form, new", "/patients/new/"),
        StaffPage("patient form, edit", f"/patients/{patient.pk}/edit/"),
        StaffPage(
            "patient form, with errors",
            "/patients/new/",
            _filled_then_submitted("#patient-form", {"#id_phone": "123", "#id_email": "x@"}),
        ),
        StaffPage("patient, record a withdrawal", f"/patients/{patient.pk}/withdraw/"),
        StaffPage("patient, anonymize refused", f"/patients/{patient.pk}/anonymize/"),
        StaffPage("providers list", "/providers/"),
        StaffPage("provider detail", f"/providers/{provider.pk}/"),
        StaffPage("provider form, new", "/providers/new/"),
        StaffPage("provider form, edit", f"/providers/{provider.pk}/edit/"),
        StaffPage("provider form, with errors", "/providers/new/", _submit("#provider-form")),
        StaffPage("admin index", "/admin/"),
        StaffPage("admin patients", "/admin/consultations/patient/"),
        StaffPage("admin patient", f"/admin/consultations/patient/{patient.pk}/change/"),
        StaffPage("admin consultations", "/admin/consultations/consultation/"),
        StaffPage("admin app index", "/admin/consultations/"),
        StaffPage("admin lock-outs", "/admin/axes/accessattempt/"),
        StaffPage("admin password change", "/admin/password_change/"),
        StaffPage("admin deliveries", "/admin/consultations/delivery/"),
        # Last: it moves the booked consultation on in the sandbox.
        StaffPage(
            "consultation detail, a simulated step",
            f"/consultations/{booked.pk}/",
            _simulate_next_step,
        ),
    ]


# --- The crawl -----------------------------------------------------------------------------


def language_switch(page, language: str) -> None:
    """Choose the language as staff do: the switcher in the navigation bar (it posts to
    set_language), on the desk or the login page."""
    if page.locator("html").get_attribute("lang") == language:
        return
    with page.expect_navigation():
        page.select_option("#language-select", language)
    assert page.locator("html").get_attribute("lang") == language


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "/login/" not in page.url, f"could not log in as {username}"


def crawl(
    browser,
    base_url: str,
    pages: Sequence[StaffPage],
    *,
    language: str,
    username: str,
    checks: Sequence[Check],
) -> list[str]:
    """Open every page in one context (anonymous pages first, then logged in as
    `username`) in `language`; return each check's problems, prefixed by page name."""
    context = browser.new_context(
        base_url=base_url, locale="es-CO", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(15_000)
    # Every document records what the Content-Security-Policy refused (tests/browser/csp.py).
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto("/login/")
        language_switch(page, language)
        logged_in = False
        for staff_page in sorted(pages, key=lambda p: not p.anonymous):
            if not staff_page.anonymous and not logged_in:
                log_in(page, username)
                page.goto("/agenda/")
                language_switch(page, language)  # a saved preference may differ
                logged_in = True
            response = page.goto(staff_page.path)
            assert response is not None and response.ok, f"{staff_page.name}: {response}"
            if staff_page.action is not None:
                staff_page.action(page)
            lang = page.locator("html").get_attribute("lang") or ""
            assert re.match(language, lang), f"{staff_page.name}: shown in {lang!r}"
            for check in checks:
                problems.extend(
                    f"[{language}] {staff_page.name} ({staff_page.path}): {problem}"
                    for problem in check(page, staff_page, language)
                )
    finally:
        context.close()
    return problems
