"""The receptionist's side of the harness: a logged-in session that reads the desk's
forms from its pages (as a browser would) and submits them over real HTTP, and the
bare Kairo Connect POST the booking is compared with.

Nothing here imports the app: field names, methods and actions come from the pages
themselves, so the harness keeps working when views change behind the same forms.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TIMEOUT = 120


def browser_session() -> requests.Session:
    """A session that, like a browser, sends a GET once more when the keep-alive
    connection it reused was closed by the server at that moment (gunicorn's keepalive
    is 5 s, the think time up to 5 s); never a POST, and never on an HTTP answer."""
    session = requests.Session()
    retry = Retry(
        total=1,
        connect=1,
        read=1,
        status=0,
        other=0,
        allowed_methods={"GET"},
        raise_on_status=False,
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


class _Forms(HTMLParser):
    """Every <form> of a page: its attributes and its successful controls' defaults."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._option: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "names": set(), "options": {}}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            form["names"].add(name)
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                form["options"].setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
                return
            form["fields"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            form["names"].add(name)
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value")
            self._option = {
                "value": value if value is not None else "",
                "selected": "selected" in a,
            }
            form["options"].setdefault(self._select, []).append(self._option["value"])
            if self._select_first is None:
                self._select_first = self._option["value"]
            if self._option["selected"] and not self._select_chosen:
                form["fields"].append((self._select, self._option["value"]))
                self._select_chosen = True
        elif tag == "textarea" and name:
            form["names"].add(name)
            self._textarea = name
            form["fields"].append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            name, value = self._form["fields"][-1]
            self._form["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def page_forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with(html: str, field: str) -> dict[str, Any]:
    """The page's first form that has a control named `field`."""
    for form in page_forms(html):
        if field in form["names"]:
            return form
    raise LookupError(f"no form with a {field!r} field on this page")


class DeskError(RuntimeError):
    pass


class Desk:
    """One receptionist's browser: its own session and CSRF cookie."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = browser_session()
        self.username = username
        page = self.get("/login/")
        form = form_with(page.text, "username")
        data = dict(form["fields"])
        data.update(username=username, password=password)
        answer = self.http.post(
            self._url(form["attrs"].get("action") or "/login/"), data=data, timeout=TIMEOUT
        )
        if answer.status_code != 200 or "/login/" in answer.url:
            raise DeskError(f"login of {username} failed ({answer.status_code})")

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        answer = self.http.get(self._url(path), timeout=TIMEOUT, **kwargs)
        if answer.status_code >= 400:
            raise DeskError(f"GET {path.split('?')[0]} answered {answer.status_code}")
        return answer

    def submit(
        self, page_path: str, form: dict[str, Any], data: dict[str, str]
    ) -> requests.Response:
        """Send `form` as a browser would: its own method and action."""
        method = (form["attrs"].get("method") or "get").lower()
        action = form["attrs"].get("action") or page_path.split("?")[0]
        fields = [(k, v) for k, v in form["fields"] if k not in data] + list(data.items())
        if method == "post":
            answer = self.http.post(self._url(action), data=fields, timeout=TIMEOUT)
        else:
            answer = self.http.get(self._url(action), params=fields, timeout=TIMEOUT)
        if answer.status_code >= 400:
            raise DeskError(f"{method.upper()} {action} answered {answer.status_code}")
        return answer


class SlotAllocator:
    """Distinct future times in the organization's zone for the harness's bookings,
    within 06:00-07:00, the hour the generator leaves free; each time is handed out
    once per run, so no two bookings (desk or bare) overlap for any provider or patient."""

    def __init__(self, zone: str, first_day: dt.date, minutes: int = 10) -> None:
        self.zone = ZoneInfo(zone)
        self.day = first_day
        self.minutes = minutes
        self.slot = 0
        self._lock = threading.Lock()

    def take(self) -> dt.datetime:
        with self._lock:
            if self.slot * self.minutes >= 60:
                self.slot = 0
                self.day += dt.timedelta(days=1)
            moment = dt.datetime.combine(self.day, dt.time(6, 0), tzinfo=self.zone) + dt.timedelta(
                minutes=self.slot * self.minutes
            )
            self.slot += 1
            return moment


BOOKED = re.compile(r"/consultations/(\d+)/booked/")


def booking_choices(
    form: dict[str, Any], provider_id: int, when: dt.datetime, minutes: int
) -> dict[str, str]:
    """What a receptionist picks on the booking form read from its page: the provider, a
    scheduled time, the duration, the authorization if asked, a consultation type if none
    is pre-selected."""
    options = form["options"]
    scheduled = [v for v in options.get("when", []) if v != "now"]
    data = {
        "provider": str(provider_id),
        "scheduled_date": when.strftime("%Y-%m-%d"),
        "scheduled_time": when.strftime("%H:%M"),
        "duration": str(minutes),
    }
    if scheduled:
        data["when"] = scheduled[0]
    if "authorization" in form["names"]:
        data["authorization"] = "on"
    if not dict(form["fields"]).get("consultation_type"):
        data["consultation_type"] = next(v for v in options.get("consultation_type", []) if v)
    return data


class BookingForm:
    """The booking form as fetched (CSRF and one-time token included), ready to send."""

    def __init__(self, desk: Desk, provider_id: int, patient_id: int) -> None:
        self.desk = desk
        self.path = f"/consultations/new/?patient={patient_id}&provider={provider_id}"
        page = desk.get(self.path)
        self.form = form_with(page.text, "provider")
        self.provider_id = provider_id

    def send(self, when: dt.datetime, minutes: int) -> requests.Response:
        data = booking_choices(self.form, self.provider_id, when, minutes)
        answer = self.desk.submit(self.path, self.form, data)
        if not BOOKED.search(answer.url):
            raise DeskError(f"booking did not reach its result page ({answer.status_code})")
        return answer


def kairo_payload(provider: dict, patient: dict, when: dt.datetime, minutes: int) -> dict:
    """POST /consultations's body (docs/kairo-connect-api.md "Create a consultation")."""
    body_provider = {
        "name": provider["name"],
        "documentType": provider["document_type"],
        "documentNumber": provider["document_number"],
        "professionalType": provider["professional_type"],
        "phone": provider["phone"],
        "email": provider["email"],
        "professionalLicense": provider["license"],
    }
    if provider.get("specialty_code"):
        body_provider["medicalSpecialtyCode"] = provider["specialty_code"]
    return {
        "provider": body_provider,
        "patient": {
            "documentType": patient["document_type"],
            "documentNumber": patient["document_number"],
            "name": patient["name"],
            "phone": patient["phone"],
            "email": patient["email"],
        },
        "consultationType": "ConsultaGeneral",
        "durationMinutes": minutes,
        "scheduledAt": when.strftime("%Y-%m-%d %H:%M"),
    }


class BareKairo:
    """A plain `requests` POST to the sandbox: the floor the desk's booking is compared with."""

    def __init__(self, base_url: str, key: str, secret: str) -> None:
        self.url = base_url.rstrip("/") + "/consultations"
        self.http = requests.Session()
        self.http.headers.update({"X-API-Key": key, "X-API-Secret": secret})

    def post(self, payload: dict) -> requests.Response:
        answer = self.http.post(self.url, json=payload, timeout=TIMEOUT)
        if answer.status_code != 200:
            raise DeskError(
                f"bare POST /consultations answered {answer.status_code}: {answer.text[:200]}"
            )
        return answer
