"""The pages the harness times, as a receptionist (or an admin) opens them.

Each page is a name and a function of (desk, admin, manifest) returning a callable that
makes the request; whatever a form needs (its CSRF token, its fields) is read from the
page before the callable is returned, so only the request itself is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.client import Desk, form_with

Action = Callable[[], object]


def _list_form(desk: Desk) -> dict[str, Any]:
    return form_with(desk.get("/consultations/").text, "q")


def _search(desk: Desk, term: str) -> Action:
    form = _list_form(desk)
    return lambda: desk.submit("/consultations/", form, {"q": term})


def _range(desk: Desk, manifest: dict) -> Action:
    form = _list_form(desk)
    data = {
        "provider": str(manifest["provider_id"]),
        "date_from": manifest["range_from"],
        "date_to": manifest["range_to"],
    }
    return lambda: desk.submit("/consultations/", form, data)


def _get(path: str, who: str = "desk") -> Callable[[Desk, Desk, dict], Action]:
    def build(desk: Desk, admin: Desk, manifest: dict) -> Action:
        session = admin if who == "admin" else desk
        url = path.format(**manifest)
        return lambda: session.get(url)

    return build


PAGES: dict[str, Callable[[Desk, Desk, dict], Action]] = {
    "agenda": _get("/agenda/?date={busiest_day}"),
    "consultation_list": _get("/consultations/"),
    "consultation_list_name_search": lambda d, a, m: _search(d, m["name_term"]),
    "consultation_list_provider_range": lambda d, a, m: _range(d, m),
    "consultation_list_document_search": lambda d, a, m: _search(d, m["document"]),
    "consultation_detail": _get("/consultations/{consultation_id}/"),
    "patient_detail": _get("/patients/{patient_id}/"),
    "provider_detail": _get("/providers/{provider_id}/"),
    "booking_form": _get("/consultations/new/"),
    "patient_typeahead": _get("/patients/search.json?q={typeahead_term}"),
    "admin_consultations": _get("/admin/consultations/consultation/", who="admin"),
    "admin_consultations_search": _get(
        "/admin/consultations/consultation/?q={name_term}", who="admin"
    ),
}

# The receptionists' mix under load (weights): reading pages, and now and then a booking.
LOAD_MIX: dict[str, int] = {
    "agenda": 14,
    "consultation_list": 12,
    "consultation_list_name_search": 10,
    "consultation_list_provider_range": 5,
    "consultation_list_document_search": 6,
    "consultation_detail": 14,
    "patient_detail": 9,
    "provider_detail": 5,
    "booking_form": 8,
    "patient_typeahead": 12,
    "booking": 5,
}
