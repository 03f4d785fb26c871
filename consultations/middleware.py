"""The desk's language (each account's saved choice, never the browser's), how long a
login lasts, and responses that are never cached."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.defaults import bad_request

from consultations.database import connection_lost
from consultations.selectors.staff import staff_language


class StaffLanguageMiddleware:
    """Activate the language of the request: the logged-in user's saved one
    (`StaffPreference`); before login, the one picked with the login page's switch (the
    language cookie), else Spanish (settings.LANGUAGE_CODE). The browser's
    Accept-Language, which LocaleMiddleware reads, is overridden: a shared front-desk
    computer set up in English must not turn the desk English.

    Goes after LocaleMiddleware (whose response side still sets Content-Language from
    the language active here) and AuthenticationMiddleware (it needs `request.user`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _language(request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        try:
            if user is not None and user.is_authenticated:
                return staff_language(user=user)
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable: the page saying so (views/errors.py) is in the
            # language the login page would show.
            if not connection_lost(exc):
                raise
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# Requests a page makes on its own while it stays open (the live status polls): they do
# not count as someone using the desk, so an agenda left open still goes idle.
_PASSIVE_URL_NAMES = frozenset({"consultation_status", "consultation_emails_status"})
# Last activity is written at most this often (each write is a session save).
_ACTIVITY_RESOLUTION_SECONDS = 60

LOGIN_AT_KEY = "desk_login_at"
LAST_ACTIVITY_KEY = "desk_last_activity"


def session_times_start(request: HttpRequest) -> None:
    """Stamp a fresh login's session with its login time and first activity (called on
    `user_logged_in`, consultations/signals.py)."""
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_ACTIVITY_KEY] = now


class SessionLifetimeMiddleware:
    """Ends a logged-in session unused for settings.SESSION_IDLE_MINUTES, or older than
    settings.SESSION_MAX_HOURS since its login whatever its use: the user is logged out
    and sent to the login page (with `next`), which says why.

    Times are kept in the session (seconds since the epoch). The pages' own polls
    (`_PASSIVE_URL_NAMES`) never count as activity; once the session is over they get a
    401 and the session is ended by the next request of the person. Goes after
    StaffLanguageMiddleware (the reason is in the account's language) and
    MessageMiddleware (the reason is a message; it outlives the logout in the messages
    cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        session = request.session
        login_at = session.setdefault(LOGIN_AT_KEY, now)
        last_activity = session.setdefault(LAST_ACTIVITY_KEY, now)
        passive = self._passive(request)
        reason = None
        if now - login_at >= settings.SESSION_MAX_HOURS * 3600:
            reason = _("Your session ended: it was open for too long. Please log in again.")
        elif now - last_activity >= settings.SESSION_IDLE_MINUTES * 60:
            reason = _("Your session ended after a while without use. Please log in again.")
        if reason is not None:
            if passive:
                # A poll in the background is refused, the session left as it is: the
                # person's next click ends it and shows them why on the login page.
                return JsonResponse({"error": reason}, status=401)
            return self._end(request, reason)
        if not passive and now - last_activity >= _ACTIVITY_RESOLUTION_SECONDS:
            session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _passive(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in _PASSIVE_URL_NAMES

    @staticmethod
    def _end(request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        messages.info(request, reason)
        return redirect_to_login(request.get_full_path())


class NoStoreMiddleware:
    """Every response the app itself makes (pages, downloads, JSON, the join page) is
    marked never to be stored: most show patient data or a PIN, and the rest gain
    nothing from a cache. A response that already says `no-store` (the join page's) is
    left as it is. Static files never get here (WhiteNoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


def _cookie_language(request: HttpRequest) -> str:
    """The language the language cookie names, else Spanish: for a page refused before
    the session (and the account's language) can be read."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class RefuseNulCookiesMiddleware:
    """Answer 400 to a request with a NUL byte in a cookie, before anything reads it.

    PostgreSQL cannot store or even compare text holding NUL ("\\x00"): a session or
    CSRF cookie holding one fails in the session lookup on every page, the login page
    included. No browser sends one; refusing the request here, once, keeps every view and
    library from meeting it. Paths, query strings and form fields are the views' and
    forms' business (their fields refuse NUL as a field error,
    `ProhibitNullCharactersValidator`) and, where no form reads them, the admin site's
    (`admin_site.ClinicAdminSite`).

    First in MIDDLEWARE, so the language is not active yet: the page is in the one the
    language cookie names, else Spanish (as for an anonymous visitor).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
            with translation.override(_cookie_language(request)):
                return bad_request(request, exception=SuspiciousOperation("NUL byte"))
        return self.get_response(request)


class RefuseNonUtf8FormsMiddleware:
    """Answer 400 to a form POST that names a charset other than UTF-8, before anything
    reads its fields.

    Django refuses such a body (RFC 1866: a urlencoded form is UTF-8) by raising
    BadRequest each time `request.POST` is read, and its own 400 page reads it again
    through the CSRF check, so the request would end as the server's bare 500. No browser
    sends one. The page is built here without reading the request (nor the session: the
    language is the cookie's, else Spanish, as for the NUL cookies above).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.content_type == "application/x-www-form-urlencoded"
            and request.encoding is not None
            and request.encoding.lower() != "utf-8"
        ):
            with translation.override(_cookie_language(request)):
                return HttpResponseBadRequest(loader.get_template("400.html").render())
        return self.get_response(request)
