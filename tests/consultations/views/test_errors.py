"""The server error page: the staff language, and the training banner on a training
install, without touching the database."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from consultations.views.errors import server_error

TRAINING_ES = "FORMACIÓN — no son consultas reales"


@pytest.mark.parametrize("training", [True, False])
def test_the_error_page_carries_the_banner_only_in_training(settings, training):
    settings.KAIRO_TRAINING_MODE = training
    with translation.override("es"):
        response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Algo salió mal" in page
    assert (TRAINING_ES in page) is training


def test_the_error_page_is_the_project_handler():
    from clinic import urls

    assert urls.handler500 == "consultations.views.errors.server_error"
