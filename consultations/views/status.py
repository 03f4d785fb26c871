"""The live status of the consultations on screen, as JSON: the agenda and the
consultations list poll it (static/js/live-status.js) to update their badges without a
reload."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consultations.agenda_grid import block_status_label, held_by_kairo_now
from consultations.selectors.status import consultation_statuses

# The most ids one request may ask about (an agenda day or a list page is far fewer).
MAX_IDS = 300
# The largest id a database key holds: a longer number is refused, not sent to SQL.
MAX_ID = 2**63 - 1


@require_GET
@permission_required("consultations.view_consultation", raise_exception=True)
def consultation_status(request: HttpRequest) -> JsonResponse:
    """`?ids=1,2,3`: for each consultation that exists, its status code, label, the CSS
    class its badge carries and whether Kairo still holds its time (with the agenda's
    label for that). Ids that are not positive integers, none, or more than MAX_IDS are
    refused with 400 and an `error` text."""
    raw = request.GET.get("ids", "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    # A number longer than MAX_ID's is refused before int() reads it (Python refuses to
    # read numbers of more than 4300 digits at all).
    digits = len(str(MAX_ID))
    if not parts or not all(
        part.isascii() and part.isdigit() and len(part) <= digits for part in parts
    ):
        return JsonResponse(
            {"error": _("Give the consultations' ids as numbers separated by commas.")},
            status=400,
        )
    ids = {int(part) for part in parts}
    if max(ids) > MAX_ID:
        return JsonResponse({"error": _("There is no consultation with that id.")}, status=400)
    if len(ids) > MAX_IDS:
        return JsonResponse(
            {"error": _("Ask about %(count)s consultations at most.") % {"count": MAX_IDS}},
            status=400,
        )
    now = timezone.now()
    statuses = {}
    for consultation in consultation_statuses(ids=ids):
        held = held_by_kairo_now(consultation, now=now)
        statuses[str(consultation.pk)] = {
            "status": consultation.status,
            "label": consultation.get_status_display(),
            "css_class": f"agenda-status-{consultation.status}",
            "held_by_kairo": held,
            "agenda_label": block_status_label(consultation, held_by_kairo=held),
        }
    return JsonResponse({"statuses": statuses})
