"""The navigation's "Needs attention" badge (its count, who sees it, its query cost) and
the training banner on every kind of page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.context_processors import ATTENTION_BADGE_QUERIES
from consultations.services.join_links import join_link_issue
from tests.factories import (
    ConsultationFactory,
    DeliveryFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_badge_shows_the_count_with_words_for_screen_readers(reception_client):
    WebhookDeliveryFactory.create_batch(2)
    DeliveryFactory()
    html = reception_client.get(reverse("catalogs")).content.decode()
    assert 'id="nav-attention-count" aria-hidden="true">3<' in html
    assert "(3 elementos requieren atención)" in html


def test_nothing_pending_shows_the_item_without_a_badge(reception_client):
    html = reception_client.get(reverse("catalogs")).content.decode()
    assert 'id="nav-attention"' in html
    assert "nav-attention-count" not in html


def test_staff_without_the_view_permission_get_no_item(client):
    client.force_login(UserFactory())
    assert 'id="nav-attention"' not in client.get(reverse("catalogs")).content.decode()


def test_the_badge_costs_a_fixed_number_of_queries_whatever_the_data(reception_client):
    url = reverse("catalogs")
    reception_client.get(url)
    empty = _queries(reception_client, url)
    WebhookDeliveryFactory.create_batch(30)
    DeliveryFactory.create_batch(30)
    assert _queries(reception_client, url) == empty
    assert ATTENTION_BADGE_QUERIES == 1


def test_anonymous_pages_and_the_webhook_receiver_make_no_attention_query(client):
    WebhookDeliveryFactory()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("login")).status_code == 200
        client.post(reverse("kairo_webhook"), data=b"{}", content_type="application/json")
    assert not any("consultations_webhookdelivery" in q["sql"] for q in queries)


# --- The training banner (KAIRO_TRAINING_MODE) ------------------------------------------

TRAINING_ES = "FORMACIÓN — no son consultas reales"


def _banner_count(response) -> int:
    assert response.status_code == 200
    html = response.content.decode()
    if 'class="training-banner"' in html:
        assert TRAINING_ES in html
    return html.count('class="training-banner"')


def test_a_training_install_shows_the_banner_on_staff_pages_and_the_logins(
    settings, client, receptionist
):
    settings.KAIRO_TRAINING_MODE = True
    assert _banner_count(client.get(reverse("login"))) == 1
    assert _banner_count(client.get("/admin/login/")) == 1
    client.force_login(receptionist)
    assert _banner_count(client.get(reverse("agenda"))) == 1
    settings.KAIRO_TRAINING_MODE = False
    assert _banner_count(client.get(reverse("agenda"))) == 0


def test_a_training_install_shows_the_banner_in_the_admin(settings, clinic_admin_client):
    settings.KAIRO_TRAINING_MODE = True
    assert _banner_count(clinic_admin_client.get(reverse("admin:index"))) == 1
    assert (
        _banner_count(
            clinic_admin_client.get(reverse("admin:consultations_consultationtype_changelist"))
        )
        == 1
    )
    settings.KAIRO_TRAINING_MODE = False
    assert _banner_count(clinic_admin_client.get(reverse("admin:index"))) == 0


def test_a_training_install_shows_the_banner_on_the_patients_join_page(settings, client):
    link = join_link_issue(
        consultation=ConsultationFactory(access_pin="482913"), recipient="patient"
    )
    settings.KAIRO_TRAINING_MODE = True
    assert _banner_count(client.get(f"/j/{link.token}")) == 1
    settings.KAIRO_TRAINING_MODE = False
    assert _banner_count(client.get(f"/j/{link.token}")) == 0


def test_a_training_install_shows_the_banner_in_an_admin_popup(settings, clinic_admin_client):
    settings.KAIRO_TRAINING_MODE = True
    url = reverse("admin:consultations_consultationtype_add") + "?_popup=1&_to_field=id"
    assert _banner_count(clinic_admin_client.get(url)) == 1
    settings.KAIRO_TRAINING_MODE = False
    assert _banner_count(clinic_admin_client.get(url)) == 0
