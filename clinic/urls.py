from django.contrib import admin
from django.urls import include, path

from consultations.views.language import language_set

urlpatterns = [
    path("admin/", admin.site.urls),
    # Public: the login page offers the language switch before anyone has logged in.
    path("i18n/setlang/", language_set, name="set_language"),
    path("", include("consultations.urls")),
]

# A lost database connection answers 503 with a page saying so; anything else, 500.html.
handler500 = "consultations.views.errors.server_error"
