"""The desk's language: each account's saved choice, never the browser's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.defaults import bad_request

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
        if user is not None and user.is_authenticated:
            return staff_language(user=user)
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
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
            with translation.override(language):
                return bad_request(request, exception=SuspiciousOperation("NUL byte"))
        return self.get_response(request)
