"""The desk's language: each account's saved choice, never the browser's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

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
