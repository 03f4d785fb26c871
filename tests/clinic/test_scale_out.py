"""Scale-out: the production stack twice over on one PostgreSQL database.

Two gunicorn instances (gunicorn.conf.py, debug off, the guardrails satisfied) and two
`task_worker`s share a scratch database; the standalone Kairo sandbox stands in for Kairo
Connect (its webhooks go to the first instance) and a real SMTP server on loopback
receives the emails. Receptionists, ten at a time over real HTTP, book 100
consultations, alternating between the instances; two of the forms are sent twice at
once, once to each instance. Every booking must be recorded once, with its own Kairo id,
the sandbox must hold exactly those consultations, and each booking's two emails
(patient and provider, docs/operations.md "The task worker") must arrive exactly once.

Run alone: `DATABASE_URL=postgres://... .venv/bin/pytest -m scaleout` (docs/development.md).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests
from django_tasks_db.models import DBTaskResult
from psycopg import sql

from consultations.models import Consultation, Delivery, Patient, Provider, WebhookDelivery
from tests.clinic.desk_client import Desk, booked_pk
from tests.clinic.production_stack import (
    Services,
    SmtpSink,
    free_port,
    manage,
    production_env,
    scratch_database,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.scaleout]

BOOKINGS = 100
PROVIDERS = 10  # each booked on BOOKINGS / PROVIDERS different days
CLIENTS = 10  # requests in flight at once
SENT_TWICE = (7, 42)  # these bookings' forms go to both instances at once
ZONE = "America/Bogota"
SITE_URL = "https://desk.scale.test"  # only in the emails' links; nothing is served there

# Run by `manage.py shell -c` in the scratch database: the catalogs, the cache table
# (CACHE_URL is shared), one receptionist and the providers. Prints their ids as JSON.
SETUP = """
import io, json, os
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from consultations.models import ConsultationType, ProfessionalType, Provider

call_command("load_catalogs", stdout=io.StringIO())
call_command("createcachetable")
user = User.objects.create_user(os.environ["SCALE_USERNAME"], password=os.environ["SCALE_PASSWORD"])
user.groups.add(Group.objects.get(name="Recepción"))
general = ProfessionalType.objects.filter(requires_specialty=False).order_by("pk").first()
providers = [
    Provider.objects.create(
        name=f"Dra. Prestadora Escala {n}",
        document_type="CC",
        document_number=str(30000000 + n),
        professional_type=general,
        phone=f"+5730055{n:05d}",
        email=f"provider{n}@scale.test",
    ).pk
    for n in range(int(os.environ["SCALE_PROVIDERS"]))
]
kind = ConsultationType.objects.active().order_by("pk").first()
print(json.dumps({"providers": providers, "consultation_type": kind.pk}))
"""


@dataclass(frozen=True)
class Booking:
    index: int
    base_url: str  # the instance the form is asked for and sent to
    values: dict[str, str]


@dataclass
class Stack:
    """The running stack: where each part is, and how to ask it how it is doing."""

    database_url: str
    kairo_url: str
    web: list[str]  # the two instances' base URLs
    sink: SmtpSink
    services: Services
    desk: Desk
    providers: list[int]
    consultation_type: int
    kairo: requests.Session  # with the sandbox's credentials

    def sandbox_stats(self) -> dict[str, Any] | None:
        """GET /_sandbox/stats (docs/kairo.md "Control endpoints"), None until it answers."""
        try:
            answer = self.kairo.get(f"{self.kairo_url}/_sandbox/stats", timeout=5)
        except requests.ConnectionError:
            return None
        return answer.json()["data"] if answer.status_code == 200 else None

    def health(self, base_url: str) -> dict[str, Any] | None:
        """An instance's /health/ answer, None until it answers 200."""
        try:
            answer = requests.get(f"{base_url}/health/", timeout=5)
        except requests.ConnectionError:
            return None
        return answer.json() if answer.status_code == 200 else None

    def rows(self, query: str, *models: Any) -> list[tuple[Any, ...]]:
        """Rows of `query` in the stack's database, `{}` standing for each model's table."""
        tables = [sql.Identifier(model._meta.db_table) for model in models]
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(sql.SQL(query).format(*tables)).fetchall()


@pytest.fixture
def stack(tmp_path) -> Iterator[Stack]:
    """The scratch database migrated and set up, the sandbox, the SMTP server, two
    gunicorn instances and two workers, all answering; everything stopped and dropped
    afterwards."""
    username, password = "recepcion-escala", secrets.token_urlsafe(16)
    kairo_key, kairo_secret = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
    webhook_secret = secrets.token_urlsafe(24)
    kairo_url = f"http://127.0.0.1:{free_port()}"
    web_ports = [free_port(), free_port()]
    web = [f"http://127.0.0.1:{port}" for port in web_ports]

    with ExitStack() as cleanup:
        database_url = cleanup.enter_context(scratch_database())
        sink = cleanup.enter_context(SmtpSink())
        env = production_env(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            # Plain HTTP on loopback: the TLS a proxy would add is not under test.
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_HSTS_SECONDS="0",
            DJANGO_SESSION_COOKIE_SECURE="0",
            DJANGO_CSRF_COOKIE_SECURE="0",
            DATABASE_URL=database_url,
            CACHE_URL="dbcache://django_cache",
            EMAIL_URL=sink.url,
            SITE_URL=SITE_URL,
            ORGANIZATION_TIME_ZONE=ZONE,
            TASKS_BACKEND="database",
            KAIRO_BASE_URL=kairo_url,
            KAIRO_API_KEY=kairo_key,
            KAIRO_API_SECRET=kairo_secret,
            KAIRO_WEBHOOK_SECRET=webhook_secret,
            KAIRO_SANDBOX_API_KEY=kairo_key,
            KAIRO_SANDBOX_API_SECRET=kairo_secret,
            KAIRO_SANDBOX_WEBHOOK_URL=f"{web[0]}/kairo/webhooks/",
            KAIRO_SANDBOX_WEBHOOK_SECRET=webhook_secret,
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
        )
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        setup_env = {
            **env,
            "SCALE_USERNAME": username,
            "SCALE_PASSWORD": password,
            "SCALE_PROVIDERS": str(PROVIDERS),
        }
        setup = json.loads(manage(setup_env, "shell", "-c", SETUP).strip().splitlines()[-1])

        services = cleanup.enter_context(Services(tmp_path / "logs"))
        python = sys.executable
        kairo_port = kairo_url.rsplit(":", 1)[1]
        services.start("kairo", [python, "manage.py", "kairo_sandbox", "--port", kairo_port], env)
        for n, port in enumerate(web_ports):
            services.start(
                f"web{n}",
                [python, "-m", "gunicorn", "clinic.wsgi:application"],
                {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            )
        for n in range(2):
            worker = [python, "manage.py", "task_worker", "--no-reload", "--interval", "1"]
            services.start(f"worker{n}", [*worker, "--worker-id", f"scale-worker-{n}"], env)

        kairo = cleanup.enter_context(requests.Session())
        kairo.headers.update({"X-API-Key": kairo_key, "X-API-Secret": kairo_secret})
        running = Stack(
            database_url=database_url,
            kairo_url=kairo_url,
            web=web,
            sink=sink,
            services=services,
            desk=Desk(username, password),
            providers=setup["providers"],
            consultation_type=setup["consultation_type"],
            kairo=kairo,
        )
        wait_until(running.sandbox_stats, seconds=30, what="the Kairo sandbox", services=services)
        for base_url in web:
            report = wait_until(
                lambda base_url=base_url: running.health(base_url),
                seconds=45,
                what=f"{base_url}/health/",
                services=services,
            )
            assert report["pending_migrations"] == 0
            assert report["tasks"]["backend"] == "database"
            assert report["kairo"] == "real"
        yield running


def planned_bookings(stack: Stack) -> list[Booking]:
    """Distinct patients; each provider on a different day each time, so no two
    bookings may legitimately collide; the instances taken in turn."""
    first_day = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=2)
    return [
        Booking(
            index=index,
            base_url=stack.web[index % len(stack.web)],
            values={
                "document_type": "CC",
                "document_number": str(70000000 + index),
                "name": f"Paciente Escala {index}",
                "phone": f"+5731055{index:05d}",
                "email": f"patient{index}@scale.test",
                "preferred_language": "es",
                "authorization": "on",
                "provider": str(stack.providers[index % PROVIDERS]),
                "consultation_type": str(stack.consultation_type),
                "duration": "30",
                "when": "scheduled",
                "scheduled_date": (first_day + dt.timedelta(days=index // PROVIDERS)).isoformat(),
                "scheduled_time": "10:00",
                "book": "1",
            },
        )
        for index in range(BOOKINGS)
    ]


def book(stack: Stack, booking: Booking) -> list[requests.Response]:
    form = stack.desk.booking_form(booking.base_url, booking.values)
    if booking.index in SENT_TWICE:
        return stack.desk.send_at_once(stack.web, form)
    return [stack.desk.send(booking.base_url, form)]


def unsettled(stack: Stack) -> dict[str, Any]:
    """What may still be on its way: deliveries by state, the sandbox's webhooks."""
    states = stack.rows("SELECT state, count(*) FROM {} GROUP BY state", Delivery)
    return {
        "deliveries": dict(states),
        "webhooks pending": (stack.sandbox_stats() or {}).get("webhooksPending"),
    }


def settled(stack: Stack) -> bool:
    now = unsettled(stack)
    return not {"queued", "sending"} & set(now["deliveries"]) and now["webhooks pending"] == 0


def test_two_instances_and_two_workers_book_each_consultation_once_and_email_once(stack):
    # --- 100 bookings, ten at a time, alternating between the instances --------------
    planned = planned_bookings(stack)
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda booking: book(stack, booking), planned))

    made = []
    for booking, responses in zip(planned, answers, strict=True):
        pks = {booked_pk(response) for response in responses} - {None}
        statuses = [response.status_code for response in responses]
        assert len(pks) == 1, f"booking {booking.index}: answers {statuses}, results {pks}"
        # A form sent twice: each answer is its booking's result page, whichever
        # instance got it and whenever (a second click waits for the first's answer).
        assert set(statuses) == {302}, f"booking {booking.index}: answers {statuses}"
        made.append(pks.pop())
    assert len(set(made)) == BOOKINGS

    # --- Every email arrives; then nothing is left queued, sending or undelivered -----
    emails = 2 * BOOKINGS  # the patient's and the provider's
    assert stack.sink.wait_for(emails, seconds=60), (
        f"{len(stack.sink.received())} of {emails} emails arrived\n{stack.services.report()}"
    )
    wait_until(
        lambda: settled(stack),
        seconds=30,
        what="deliveries and webhooks to settle",
        services=stack.services,
        progress=lambda: unsettled(stack),
    )
    for base_url in stack.web:
        assert (stack.health(base_url) or {}).get("tasks", {}).get("queued") == 0

    # --- Every booking recorded once, with its own Kairo id -----------------------------
    consultations = stack.rows(
        "SELECT c.id, c.status, c.kairo_consultation_id, p.email, pr.email FROM {} c "
        "JOIN {} p ON p.id = c.patient_id JOIN {} pr ON pr.id = c.provider_id",
        Consultation,
        Patient,
        Provider,
    )
    assert sorted(pk for pk, *_ in consultations) == sorted(made)
    assert Counter(status for _, status, *_ in consultations) == {"booked": BOOKINGS}
    kairo_ids = {kairo_id for _, _, kairo_id, *_ in consultations} - {None}
    assert len(kairo_ids) == BOOKINGS
    stats = stack.sandbox_stats() or {}
    assert (stats.get("consultations"), stats.get("createsReceived")) == (BOOKINGS, BOOKINGS)

    # --- Every email sent once, at the first attempt, and received once ----------------
    deliveries = stack.rows("SELECT kind, state, attempts FROM {}", Delivery)
    assert Counter(deliveries) == {("booking", "sent", 1): emails}
    host = SITE_URL.removeprefix("https://")
    expected = Counter(
        (address, f"consultation-{pk}@{host}")  # the calendar file's UID
        for pk, _, _, patient_email, provider_email in consultations
        for address in (patient_email, provider_email)
    )
    arrived = Counter(
        (recipient, received.calendar_uid())
        for received in stack.sink.received()
        for recipient in received.recipients
    )
    assert arrived == expected, {
        "missing": sorted((expected - arrived).elements()),
        "extra": sorted((arrived - expected).elements()),
    }

    # --- The background side: each task succeeded, each webhook applied ----------------
    tasks = stack.rows("SELECT status, count(*) FROM {} GROUP BY status", DBTaskResult)
    assert dict(tasks) == {"SUCCESSFUL": emails}
    webhooks = dict(
        stack.rows("SELECT outcome, count(*) FROM {} GROUP BY outcome", WebhookDelivery)
    )
    assert sum(webhooks.values()) == BOOKINGS, webhooks  # one consultation.created each
    assert set(webhooks) <= {"applied", "healed"}, webhooks
