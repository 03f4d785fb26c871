"""Source strings of libraries that ship no Spanish, marked here so that our catalog
(locale/es) translates them: Django looks a msgid up in every catalog, ours first.

django-axes: the lock-out pages a clinic admin uses (admin; docs/user-guide.md
"Staff access", on lock-outs).
The msgids must equal the library's own, letter for letter.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

AXES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Attempt Time"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Path"),
    gettext_noop("Failed Logins"),
    gettext_noop("HTTP Accept"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Access lock out"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Locked Out"),
    gettext_noop("Clean up expired attempts"),
)
