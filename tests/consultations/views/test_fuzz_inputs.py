"""Whatever a user sends to any page, it never answers 500.

Every URL pattern (the desk's, the admin's, the public ones) is walked as a clinic admin
(a superuser) and as a receptionist: each is requested once plainly, and the field names
of the forms that send to it (from any page) and the query parameters of the links (the
admin's changelist filters, sorting, paging) become the names hypothesis fills with
hostile values (NUL bytes, lone surrogates, years 1 and 9999, huge numbers, very long
strings), sent as the query string of a GET and as the body of a POST. Run on PostgreSQL, which refuses what
SQLite stores (NUL in text, integers past 64 bits).
"""

from __future__ import annotations

import re
import uuid
import warnings
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urljoin, urlsplit

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import (
    ConsultationFactory,
    DeliveryFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Wide rather than deep, within CI's budget: every route, a few examples each. The
# admin's pages that only redirect, confirm or list history get one; a receptionist is
# only sent to the admin's login, so each admin route is just asked once plainly.
EXAMPLES = 3
EXAMPLES_ADMIN = 2
EXAMPLES_SHALLOW = 1
_SHALLOW_ADMIN = re.compile(r"admin/(?!\w+/\w+/(?:$|add/$|<path:object_id>/change/$))")


def _examples(route: str, *, superuser: bool) -> int:
    if not route.startswith("admin/"):
        return EXAMPLES
    if not superuser:
        return 0
    return EXAMPLES_SHALLOW if _SHALLOW_ADMIN.match(route) else EXAMPLES_ADMIN


HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 400,
    "1e400",
    "NaN",
    "-inf",
    "9999-12-31",
    "0001-01-01",
    "31-12-9999",
    "31/12/9999",
    "9999-12-31 23:59",
    "9999-12-31T23:59:59",
    "0001-01-01 00:00",
    "23:59",
    "24:00",
    "x" * 300,
    "ñ" * 10_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "\\",
    "on",
    "00000000-0000-0000-0000-000000000000",
]
_values = st.sampled_from(HOSTILE) | st.text(
    alphabet=st.characters(exclude_categories=()), max_size=40
)
# Parameters the admin's changelists and forms read besides their own filters.
ADMIN_PARAMETERS = [
    "q",
    "o",
    "p",
    "all",
    "e",
    "_facets",
    "_to_field",
    "_popup",
    "_changelist_filters",
]


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


ROUTES = sorted(set(_walk(get_resolver().url_patterns)))


class _Forms(HTMLParser):
    """The forms of a page (action, method, {field: a value to start from}) and the query
    parameter names of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self.link_parameters: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and "?" in attributes.get("href", ""):
            query = attributes["href"].split("?", 1)[1]
            self.link_parameters |= {part.split("=")[0] for part in query.split("&") if part}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self.forms.append((attributes.get("action", ""), method, {}))
        if not self.forms or "name" not in attributes:
            if tag == "option" and self._select is not None:
                self._option(attributes)
            return
        fields = self.forms[-1][2]
        name = attributes["name"]
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                fields.setdefault(name, "")
            elif kind not in ("submit", "button", "file"):
                fields[name] = attributes.get("value", "")
        elif tag in ("select", "textarea"):
            fields.setdefault(name, "")
            self._select = name if tag == "select" else None

    def _option(self, attributes):
        fields = self.forms[-1][2]
        if "selected" in attributes or not fields.get(self._select or ""):
            fields[self._select or ""] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _encoded(data: dict[str, str]) -> str:
    # By hand: a lone surrogate travels as the bytes a browser or script would send.
    return "&".join(
        f"{quote_from_bytes(key.encode('utf-8', 'surrogatepass'))}="
        f"{quote_from_bytes(value.encode('utf-8', 'surrogatepass'))}"
        for key, value in data.items()
    )


@pytest.fixture
def objects(seeded_catalogs, staff_groups):
    """One object of each kind the routes name by id, with related rows to show."""
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4(), access_pin="123456")
    DeliveryFactory(consultation=consultation)
    # The admin's user pages edit and delete this one, never the user fuzzing them.
    UserFactory(username="otra")
    return {
        "consultations": consultation,
        "patients": consultation.patient,
        "providers": consultation.provider,
        "attention": WebhookDeliveryFactory(),
    }


def _concrete(route: str, objects) -> str:
    """A route with its parameters filled: the ids of real rows where it names a model."""
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    # The admin's app index: the first app its regex allows.
    route = re.sub(r"\(\?P<app_label>\(?([\w]+)[^)]*\)\)?", r"\1", route)
    admin_model = re.match(r"admin/(\w+)/(\w+)/", route)
    if admin_model is not None:
        try:
            model = apps.get_model(admin_model[1], admin_model[2])
        except LookupError:
            model = None
        row = model._default_manager.order_by("pk").first() if model is not None else None
        route = re.sub(r"<path:object_id>", str(row.pk if row else 1), route)
    section = route.split("/", 1)[0]
    if section in objects:
        route = re.sub(r"<int:pk>", str(objects[section].pk), route, count=1)
    route = re.sub(r"<(?:int:)?\w+>", "1", route)
    route = re.sub(r"<(?:path|str|slug):\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route


def _page_forms(client, url: str) -> list[tuple[str, str, dict[str, str]]]:
    """The forms `url` renders, each as (the path it sends to, method, fields)."""
    page = client.get(url)
    assert page.status_code < 500, url
    if "html" not in page.get("Content-Type", ""):
        return []
    forms = _Forms()
    forms.feed(page.content.decode(errors="replace"))
    found = [
        (urlsplit(urljoin(url, action)).path if action else urlsplit(url).path, method, fields)
        for action, method, fields in forms.forms
    ]
    # A link's query parameters, as if a GET form sent them to this page.
    found.append((urlsplit(url).path, "get", dict.fromkeys(forms.link_parameters, "")))
    return found


def _fuzz_route(client, user, path: str, forms, *, examples: int) -> None:
    """`examples` hostile GETs and POSTs to `path`, naming the fields of `forms` (every
    form on any page that sends to it) and the parameters every page may read."""
    posted: dict[str, str] = {}
    queried = set(ADMIN_PARAMETERS)
    for target, method, fields in forms:
        if target != path:
            continue
        if method == "post":
            posted.update(fields)
        else:
            queried |= set(fields)
    names = sorted(set(posted) | queried | {"date", "status", "provider", "next"})

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        hostile=st.dictionaries(st.sampled_from(names), _values, min_size=1, max_size=4),
        keep_defaults=st.booleans(),
    )
    def requests_never_500(hostile, keep_defaults):
        client.force_login(user)
        body = {**posted, **hostile} if keep_defaults else hostile
        # The suite makes RuntimeWarnings errors; a date typed into an admin filter
        # (?attempt_time__gte=...) warns of a naive datetime, which in production is a
        # log line, not a 500. What is checked here is the answer.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = client.get(f"{path}?{_encoded(hostile)}")
            posted_answer = client.post(
                path, data=_encoded(body), content_type="application/x-www-form-urlencoded"
            )
        assert got.status_code < 500, (path, "GET", hostile)
        assert posted_answer.status_code < 500, (path, "POST", body)

    requests_never_500()


@pytest.mark.parametrize("role", ["superuser", "receptionist"])
def test_every_route_with_hostile_parameters_never_500(client, objects, role):
    if role == "superuser":
        user = UserFactory(
            username="admin",
            groups=["Administración clínica"],
            is_staff=True,
            is_superuser=True,
        )
    else:
        user = UserFactory(username="recepcion", groups=["Recepción"])
    client.force_login(user)
    urls = {route: _concrete(route, objects) for route in ROUTES}
    # Every page once, plainly: its forms say what each route is sent (the detail page's
    # cancel, refresh and resend forms post to routes that have no page of their own).
    failures = []
    forms = []
    for url in urls.values():
        try:
            forms += _page_forms(client, url)
        except Exception as error:  # noqa: BLE001 - every route is tried, all failures listed
            failures.append(f"GET {url}: {type(error).__name__}: {str(error)[:300]}")
    for route, url in urls.items():
        examples = _examples(route, superuser=user.is_superuser)
        if not examples:
            continue
        try:
            _fuzz_route(client, user, urlsplit(url).path, forms, examples=examples)
        except Exception as error:  # noqa: BLE001 - every route is tried, all failures listed
            failures.append(f"{url}: {type(error).__name__}: {str(error)[:300]}")
    assert not failures, "\n".join(failures)
