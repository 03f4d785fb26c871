"""The Content-Security-Policy (django-csp, clinic/settings.py): only the app's own
files, and no page leaves anything inline for it to block (scripts, style attributes,
event handler attributes). The browser side, a real Chromium reporting violations, is
tests/browser/test_content_security_policy.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consultations.services.join_links import join_link_issue
from tests.browser.staff_pages import seed_clinic, staff_page_list

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_every_page_gets_a_policy_of_the_apps_own_files_only(client):
    policy = directives(client.get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_admin_pages_and_errors_get_the_policy_too(clinic_admin_client):
    assert directives(clinic_admin_client.get("/admin/"))["script-src"] == ["'self'"]
    missing = clinic_admin_client.get("/no-such-page/")
    assert missing.status_code == 404
    assert directives(missing)["style-src"] == ["'self'"]


class InlineFinder(HTMLParser):
    """Everything a strict policy would refuse: a <script> with a body and no src (a
    JSON data block is not run, so it is allowed), a <style> element, a style="..."
    attribute, an on*="..." handler, a javascript: link."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            data_block = (attributes.get("type") or "").lower() == "application/json"
            self._script_without_src = "src" not in attributes and not data_block
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "href" and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} href=javascript:...>")

    def handle_data(self, data):
        if self._script_without_src and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_without_src = False


def inline_content(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_the_finder_finds_what_the_policy_refuses():
    assert inline_content(
        '<div style="top: 1rem"></div><script>alert(1)</script><a onclick="x()">'
        '<a href="javascript:x()"><style>p{}</style>'
    ) == [
        "<div style='top: 1rem'>",
        "inline script: 'alert(1)'",
        "<a onclick=...>",
        "<a href=javascript:...>",
        "<style> element",
    ]
    assert (
        inline_content(
            '<script src="/static/js/desk.js"></script>'
            '<script type="application/json" id="data">{"a": 1}</script>'
        )
        == []
    )


@pytest.mark.django_db(transaction=True)
def test_no_staff_page_and_no_join_page_has_inline_script_or_style(staff_groups, seeded_catalogs):
    """Every page of the browser crawl (tests/browser/staff_pages.py), as first opened,
    and both join pages."""
    seeded = seed_clinic()
    pages = staff_page_list(seeded)
    staff = Client()
    staff.force_login(User.objects.get(username=seeded.admin_username))
    anonymous = Client()
    problems = []
    for staff_page in pages:
        response = (anonymous if staff_page.anonymous else staff).get(staff_page.path, follow=True)
        assert response.status_code == 200, staff_page.name
        problems += [
            f"{staff_page.name}: {found}" for found in inline_content(response.content.decode())
        ]
    for recipient in ("patient", "provider"):
        link = join_link_issue(consultation=seeded.booked, recipient=recipient)
        response = anonymous.get(f"/j/{link.token}")
        assert response.status_code == 200
        problems += [f"join page: {found}" for found in inline_content(response.content.decode())]
    assert len(pages) > 30
    assert not problems, "\n".join(problems)


def test_the_agenda_places_its_hours_by_data_attributes_and_a_static_script(reception_client):
    html = reception_client.get("/agenda/").content.decode()
    assert re.search(r'<div class="agenda-hour" data-place-top="\d+\.\d\drem">', html)
    assert re.search(r'<div class="agenda-body" data-place-height="\d+\.\d\drem">', html)
    assert "js/agenda-place.js" in html
