"""The client's address behind 0, 1 or 2 proxies, and the login lock-out and the join
page's guess limit counting by it, with and without a forged X-Forwarded-For."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from consultations.client_address import client_address
from tests.factories import UserFactory

PROXY = "10.0.0.5"
CLIENT = "198.51.100.9"
NEIGHBOUR = "198.51.100.20"
PASSWORD = "correct-horse-battery"


def _address(settings, proxies: int, remote: str, forwarded: str | None) -> str:
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, CLIENT, None, CLIENT),
        (0, CLIENT, "203.0.113.66", CLIENT),  # direct: a forged header is ignored
        (1, PROXY, CLIENT, CLIENT),
        (1, PROXY, f"203.0.113.66, {CLIENT}", CLIENT),  # a forged extra hop is ignored
        (1, PROXY, f" 203.0.113.66 ,{CLIENT} ", CLIENT),
        (1, PROXY, None, PROXY),  # did not come through the proxy's header
        (1, PROXY, "", PROXY),
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, "2001:DB8::1", "2001:db8::1"),
        (2, PROXY, f"203.0.113.66, {CLIENT}, 10.0.0.9", CLIENT),
        (2, PROXY, CLIENT, PROXY),  # fewer hops than proxies
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    assert _address(settings, proxies, remote, forwarded) == expected


# --- The login lock-out (django-axes) --------------------------------------------------------


def _fail(client, forwarded: str | None, remote: str) -> None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client.post(reverse("login"), {"username": "recepcion", "password": "wrong"}, **extra)


def _logs_in(client, forwarded: str | None, remote: str) -> bool:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    response = client.post(
        reverse("login"), {"username": "recepcion", "password": PASSWORD}, **extra
    )
    client.logout()
    return response.status_code == 302


@pytest.mark.django_db
def test_direct_a_forged_header_does_not_escape_the_lock_out(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="recepcion")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, f"203.0.113.{attempt}", CLIENT)
    assert not _logs_in(client, "203.0.113.200", CLIENT)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]
    assert _logs_in(client, None, NEIGHBOUR)


@pytest.mark.django_db
def test_behind_one_proxy_the_client_is_locked_out_not_the_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="recepcion")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client writes a different hop of its own each time; the proxy appends its
        # real address.
        _fail(client, f"203.0.113.{attempt}, {CLIENT}", PROXY)
    assert not _logs_in(client, f"203.0.113.250, {CLIENT}", PROXY)
    assert not _logs_in(client, CLIENT, PROXY)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]
    # Another client behind the same proxy is not locked out with it.
    assert _logs_in(client, NEIGHBOUR, PROXY)


# --- The join page's guess limit ----------------------------------------------------------------


@pytest.fixture
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("_fresh_cache")
def test_the_join_page_counts_guesses_by_the_same_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.JOIN_GUESS_LIMIT = 3
    for attempt in range(3):
        response = client.get(
            f"/j/guess{attempt}",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}, {CLIENT}",
        )
        assert response.status_code == 404
    forged = client.get(
        "/j/guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.99, {CLIENT}"
    )
    assert forged.status_code == 429
    assert (
        client.get("/j/guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEIGHBOUR).status_code == 404
    )
