"""The site's root, and `/health/` with the database up and unreachable."""

from __future__ import annotations

import logging
import socket

import pytest
from django.db import connections
from django.urls import reverse
from django_tasks_db.models import DBTaskResult


@pytest.mark.django_db
def test_the_root_leads_to_the_agenda(reception_client):
    response = reception_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda")


@pytest.mark.django_db
def test_health_reports_database_migrations_tasks_and_kairo_without_a_login(client, settings):
    settings.TASKS_BACKEND = "database"
    response = client.get("/health/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "pending_migrations": 0,
        "tasks": {"backend": "database", "queued": 0, "oldest_queued_seconds": None},
        "kairo": "sandbox",
    }


@pytest.mark.django_db
def test_health_reveals_no_secret_or_address(client, settings):
    settings.KAIRO_BASE_URL = "https://api.kairo-secret-host.example/v1"
    settings.KAIRO_API_KEY = "live-key-4f1c"
    settings.KAIRO_API_SECRET = "live-secret-9a7e"
    settings.KAIRO_WEBHOOK_SECRET = "live-webhook-2b8d"
    response = client.get("/health/")
    assert response.json()["kairo"] == "real"
    text = response.content.decode()
    database = connections["default"].settings_dict
    for secret in (
        "kairo-secret-host",
        "live-key-4f1c",
        "live-secret-9a7e",
        "live-webhook-2b8d",
        settings.SECRET_KEY,
        str(database["NAME"]),
    ):
        assert secret not in text


@pytest.mark.django_db
def test_health_accepts_only_get(client):
    assert client.post("/health/").status_code == 405


@pytest.fixture
def unreachable_database(django_db_blocker):
    """The default connection pointed at a PostgreSQL server that is not there (a closed
    port on this machine); restored after."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


# Production runs on PostgreSQL; the SQLite test database lives in memory, where a
# connection cannot be pointed elsewhere.
@pytest.mark.postgres
def test_health_answers_503_when_the_database_is_unreachable(client, unreachable_database, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/health/")
    assert response.status_code == 503
    # Polled every few seconds: a WARNING each time, never an ERROR.
    assert [r.levelname for r in caplog.records if r.name == "django.request"] == ["WARNING"]
    assert response.json() == {
        "status": "error",
        "database": "down",
        "pending_migrations": None,
        "tasks": None,
        "kairo": "sandbox",
    }


@pytest.mark.postgres  # transactional DDL: the dropped table comes back
@pytest.mark.django_db
def test_health_with_an_unreadable_part_still_answers(client, settings):
    # The task table missing (before the first `migrate` created it): the database is up,
    # the backlog cannot be read. Dropped inside the test's transaction, rolled back after.
    settings.TASKS_BACKEND = "database"
    with connections["default"].schema_editor() as editor:
        editor.delete_model(DBTaskResult)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["pending_migrations"] == 0
    assert response.json()["tasks"] is None
