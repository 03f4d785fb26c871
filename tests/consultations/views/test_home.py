"""The site's root."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_root_leads_to_the_agenda(reception_client):
    response = reception_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda")
