"""GET /consultations/status.json: the live status of the consultations on screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import ConsultationStatus
from consultations.views.status import MAX_IDS
from tests.factories import ConsultationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/consultations/status.json"


def test_each_existing_id_gets_its_status_label_and_class(reception_client):
    booked = ConsultationFactory()
    live = ConsultationFactory(status=ConsultationStatus.IN_PROGRESS)
    held = ConsultationFactory(status=ConsultationStatus.CANCELLED, kairo_status="Pending")
    assert reverse("consultation_status") == URL
    response = reception_client.get(URL, {"ids": f"{booked.pk},{live.pk}, {held.pk},999999"})
    assert response.status_code == 200
    statuses = response.json()["statuses"]
    assert set(statuses) == {str(booked.pk), str(live.pk), str(held.pk)}
    assert statuses[str(live.pk)] == {
        "status": "in_progress",
        "label": "En curso",
        "css_class": "agenda-status-in_progress",
        "held_by_kairo": False,
        "agenda_label": "En curso",
    }
    assert statuses[str(held.pk)]["held_by_kairo"] is True
    assert statuses[str(held.pk)]["agenda_label"] != statuses[str(held.pk)]["label"]


@pytest.mark.parametrize(
    "ids",
    [
        "",
        "abc",
        "1,x",
        "1;2",
        "-1",
        "1.5",
        "١",
        "99999999999999999999999",
        ",,",
        "9" * 4301,  # more digits than Python reads as a number at all
        "1," + "0" * 20000,
    ],
)
def test_garbage_ids_are_refused_with_400_json(reception_client, ids):
    response = reception_client.get(URL, {"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"]


def test_too_many_ids_are_refused(reception_client):
    ids = ",".join(str(n) for n in range(1, MAX_IDS + 2))
    response = reception_client.get(URL, {"ids": ids})
    assert response.status_code == 400
    ok = ",".join(str(n) for n in range(1, MAX_IDS + 1))
    assert reception_client.get(URL, {"ids": ok}).status_code == 200


def test_it_needs_the_view_permission_and_a_login(client):
    consultation = ConsultationFactory()
    anonymous = client.get(URL, {"ids": consultation.pk})
    assert anonymous.status_code == 302
    client.force_login(UserFactory())
    assert client.get(URL, {"ids": consultation.pk}).status_code == 403
