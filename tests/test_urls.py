"""Every page needs a login, except the few public ones."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Public by design: the login page, the language switch it offers, the health check for a
# load balancer, the webhook endpoint Kairo Connect calls, and the join page the
# patient's and provider's emails link to (its token is the key).
PUBLIC_NAMES = {"login", "set_language", "health", "kairo_webhook", "join_page", "join_press"}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}"


def _concrete(route: str) -> str:
    """Fill a route's parameters with plausible values; strip regex anchors."""
    route = re.sub(r"<(?:int:)?\w*(?:pk|id|object_id)>", "1", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000001", route)
    route = re.sub(r"<(?:path|str|slug):\w+>", "x", route)
    route = re.sub(r"<\w+>", "1", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route


ROUTES = sorted(
    (route, name)
    for route, name in set(_walk(get_resolver().url_patterns))
    if name.split(":")[-1] not in PUBLIC_NAMES and name not in ("admin:login", "admin:logout")
)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[r for r, _ in ROUTES])
def test_anonymous_users_are_sent_to_login(client, route, name):
    url = _concrete(route)
    response = client.get(url)
    assert response.status_code == 302, url
    location = response["Location"]
    assert location.startswith(("/login/", "/admin/login/")), (url, location)


@pytest.mark.django_db
def test_public_pages_answer_without_login(client):
    assert client.get("/login/").status_code == 200
    health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
