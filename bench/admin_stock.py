"""`python -m bench.admin_stock --rounds N`: the Consultation changelist as a stock
admin would serve it (a plain `admin.ModelAdmin`: full counts, the model's default
ordering, no select_related) against the app's tuned one, in-process on the database
DATABASE_URL names, as the superuser `bench-admin`. Both go through the whole
middleware stack (django.test.Client, a RequestFactory), taking turns. Prints JSON.

The stock admin lives in a separate AdminSite mounted on a bench-only URLconf; the app
itself never gains it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from bench.stats import interleave, ratio, summarize  # noqa: E402
from consultations.models import Consultation  # noqa: E402

stock_site = admin.AdminSite(name="stockadmin")
tuned = admin.site._registry[Consultation]
attributes = {
    "list_display": tuned.list_display,
    "list_filter": tuned.list_filter,
    "search_fields": tuned.search_fields,
    "date_hierarchy": tuned.date_hierarchy,
}
# Display methods the tuned admin names in list_display come along (they are columns).
for item in tuned.list_display:
    if isinstance(item, str) and hasattr(type(tuned), item) and not hasattr(Consultation, item):
        attributes[item] = getattr(type(tuned), item)
StockConsultationAdmin = type("StockConsultationAdmin", (admin.ModelAdmin,), attributes)
stock_site.register(Consultation, StockConsultationAdmin)

from clinic import urls as clinic_urls  # noqa: E402

urlpatterns = [path("stock-admin/", stock_site.urls), *clinic_urls.urlpatterns]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--query", default="")
    args = parser.parse_args()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench-admin")
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver", "127.0.0.1"]):
        client = Client()
        client.force_login(user)
        suffix = f"?q={args.query}" if args.query else ""

        def fetch(url: str):
            def go() -> None:
                answer = client.get(url + suffix)
                if answer.status_code != 200:
                    raise RuntimeError(f"{url} answered {answer.status_code}")

            return go

        actions = {
            "stock": fetch("/stock-admin/consultations/consultation/"),
            "tuned": fetch("/admin/consultations/consultation/"),
        }
        for action in actions.values():
            action()
        samples = interleave(actions, args.rounds)
    stock, tuned_s = summarize(samples["stock"]), summarize(samples["tuned"])
    print(
        json.dumps(
            {
                "ratio": ratio(stock.median, tuned_s.median),
                "stock": stock.as_dict(),
                "tuned": tuned_s.as_dict(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
