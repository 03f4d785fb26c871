"""The built-in sandbox's controls on the desk's own address (`/_sandbox/...`), sandbox
mode only: what `make run` offers in place of the standalone sandbox server's."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from consultations.kairo import contract
from consultations.models import ConsultationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth():
    return {
        "HTTP_X_API_KEY": settings.KAIRO_SANDBOX_API_KEY,
        "HTTP_X_API_SECRET": settings.KAIRO_SANDBOX_API_SECRET,
    }


def _post(client, path, payload, auth):
    return client.post(path, json.dumps(payload), content_type="application/json", **auth)


def test_stats_answer_with_the_sandbox_key(client, auth, sandbox, book_consultation):
    book_consultation()
    response = client.get("/_sandbox/stats", **auth)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["data"]["consultations"] == sandbox.stats()["consultations"] == 1


def test_without_the_key_the_sandbox_says_401(client, sandbox):
    response = client.get("/_sandbox/stats")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == contract.ERROR_API_KEY_INVALID
    wrong = {"HTTP_X_API_KEY": "guess", "HTTP_X_API_SECRET": "guess"}
    assert client.post("/_sandbox/reset", **wrong).status_code == 401


def test_a_fault_armed_here_hits_the_next_booking(client, auth, book_consultation):
    response = _post(client, "/_sandbox/faults", {"fault": "drop"}, auth)
    assert response.status_code == 200
    assert response.json()["data"]["armedFaults"] == [
        {"fault": "drop", "times": 1, "scope": "create"}
    ]
    assert book_consultation().status == ConsultationStatus.UNCONFIRMED


def test_reset_forgets_everything(client, auth, sandbox, book_consultation):
    book_consultation()
    assert _post(client, "/_sandbox/reset", {}, auth).status_code == 200
    assert sandbox.stats()["consultations"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/_sandbox/faults", b"{not json", 400),
        ("post", "/_sandbox/faults", b'{"fault": "meteor"}', 400),
        ("post", "/_sandbox/nowhere", b"{}", 404),
        ("get", "/_sandbox/reset", b"", 405),
        ("put", "/_sandbox/reset", b"{}", 405),
        ("post", "/_sandbox/faults", b"x" * (70 * 1024), 413),
    ],
)
def test_odd_requests_get_a_4xx(client, auth, method, path, body, status):
    response = getattr(client, method)(path, body, content_type="application/json", **auth)
    assert response.status_code == status


def test_with_a_real_kairo_the_controls_do_not_exist(client, auth, settings, sandbox):
    settings.KAIRO_BASE_URL = "https://api.kairo.example"
    assert client.post("/_sandbox/reset", **auth).status_code == 404
    assert client.get("/_sandbox/stats", **auth).status_code == 404
