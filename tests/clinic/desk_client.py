"""Receptionists at the desk over real HTTP (requests), as a browser would be: the login
and booking forms' hidden fields read from the page, one logged-in session per thread.
For tests against a running server (tests/clinic/test_scale_out.py)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import requests

HTTP_TIMEOUT = 30
RESULT_PATH = re.compile(r"^/consultations/(\d+)/booked/$")


class _InputValues(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name"):
            self.values.setdefault(named["name"] or "", named.get("value") or "")


def input_values(html: str) -> dict[str, str]:
    """The value of each named <input> of a page (the first, for a repeated name):
    enough for hidden fields such as the CSRF token and the booking token."""
    parser = _InputValues()
    parser.feed(html)
    return parser.values


def booked_pk(response: requests.Response) -> int | None:
    """The consultation a booking POST redirected to the result page of, or None."""
    match = RESULT_PATH.match(response.headers.get("Location", ""))
    return int(match.group(1)) if response.status_code == 302 and match else None


class Desk:
    """One receptionist's account, used from several threads: each thread logs in once,
    on the first server it talks to, and keeps its session (the servers share them)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self._local = threading.local()

    def session(self, base_url: str) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            login = session.get(f"{base_url}/login/", timeout=HTTP_TIMEOUT)
            answer = session.post(
                f"{base_url}/login/",
                data={
                    "csrfmiddlewaretoken": input_values(login.text)["csrfmiddlewaretoken"],
                    "username": self.username,
                    "password": self.password,
                },
                allow_redirects=False,
                timeout=HTTP_TIMEOUT,
            )
            assert answer.status_code == 302, f"login answered {answer.status_code}"
            self._local.session = session
        return session

    def booking_form(self, base_url: str, values: dict[str, str]) -> dict[str, str]:
        """The booking page, asked of `base_url`: its CSRF and one-time booking tokens,
        with `values` for the visible fields."""
        page = self.session(base_url).get(f"{base_url}/consultations/new/", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, f"booking page answered {page.status_code}"
        fields = input_values(page.text)
        return {
            **values,
            "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
            "booking_token": fields["booking_token"],
        }

    def send(self, base_url: str, form: dict[str, str]) -> requests.Response:
        return self._post(self.session(base_url), base_url, form)

    def send_at_once(self, base_urls: list[str], form: dict[str, str]) -> list[requests.Response]:
        """The same form from this thread's browser (its cookies) to each of `base_urls`
        at the same moment: a double click that a load balancer spreads."""
        cookies = self.session(base_urls[0]).cookies
        together = threading.Barrier(len(base_urls))

        def send(base_url: str) -> requests.Response:
            with requests.Session() as browser:
                browser.cookies.update(cookies)
                together.wait(timeout=HTTP_TIMEOUT)
                return self._post(browser, base_url, form)

        with ThreadPoolExecutor(len(base_urls)) as pool:
            return list(pool.map(send, base_urls))

    @staticmethod
    def _post(session: requests.Session, base_url: str, form: dict[str, str]) -> requests.Response:
        return session.post(
            f"{base_url}/consultations/new/", data=form, allow_redirects=False, timeout=HTTP_TIMEOUT
        )
