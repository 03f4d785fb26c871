"""Booking rules that need other rows or the clock (docs/development.md: where rules live).

Each rule raises `ValidationError` with a `code` (tests assert codes, not prose). The
booking form calls `booking_check` (and `patient_authorization_check`) for inline errors;
`services.consultation_book` calls the same functions again inside its transaction, where on SQLite the IMMEDIATE write lock makes check-then-insert atomic and
on PostgreSQL the exclusion constraints back them up.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.clock import format_moment, long_date, organization_zone, window_ends
from consultations.kairo import contract
from consultations.models import (
    ACTIVE_STATUSES,
    Consultation,
    ConsultationStatus,
    Patient,
    Provider,
)


def consultation_window(
    *, scheduled_for: dt.datetime | None, duration_minutes: int, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The window [start, end) a consultation occupies; an immediate one starts now."""
    starts_at = scheduled_for if scheduled_for is not None else (now or timezone.now())
    # In UTC: adding to a datetime in a DST zone adds wall-clock time.
    return starts_at, starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=duration_minutes)


def scheduled_notice_check(*, scheduled_for: dt.datetime, now: dt.datetime | None = None) -> None:
    """A scheduled consultation starts after now, and at least `MIN_NOTICE` ahead.

    docs/kairo-connect-api.md "Create a consultation" (Decision: exactly 15 minutes is
    accepted). Aware datetimes are compared, so a DST change between now and then counts
    in real minutes. Raises ValidationError `in_past` or `too_soon`.
    """
    now = now or timezone.now()
    if scheduled_for <= now:
        raise ValidationError(
            _("This time has already passed (%(when)s)."),
            code="in_past",
            params={"when": format_moment(scheduled_for)},
        )
    if scheduled_for - now < contract.MIN_NOTICE:
        raise ValidationError(
            _(
                "Kairo Connect needs at least %(minutes)s minutes' notice: choose %(earliest)s "
                "or later, or book it for now."
            ),
            code="too_soon",
            params={
                "minutes": int(contract.MIN_NOTICE.total_seconds() // 60),
                "earliest": format_moment(_next_minute(now + contract.MIN_NOTICE)),
            },
        )


def scheduled_horizon_check(*, scheduled_for: dt.datetime, now: dt.datetime | None = None) -> None:
    """A scheduled consultation starts on or before the last day that can be booked:
    `settings.BOOKING_HORIZON_DAYS` days after today, on the organization's clock.

    Beside the notice rule: both say how far from now a start may be. A start at the
    end of the calendar (year 9999) is refused here too, before any arithmetic on it can
    overflow. Raises ValidationError `beyond_horizon`, naming the last day.
    """
    zone = organization_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    last_day = today + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if scheduled_for.astimezone(zone).date() > last_day:
        raise ValidationError(
            _(
                "Consultations can be booked at most %(days)s days ahead: choose "
                "%(latest)s or earlier."
            ),
            code="beyond_horizon",
            params={"days": settings.BOOKING_HORIZON_DAYS, "latest": long_date(last_day)},
        )


def patient_authorization_check(*, patient: Patient | None, authorization_given: bool) -> None:
    """Ley 1581 de 2012: a patient's data goes to Kairo Connect only with their authorization.

    Given now (`authorization_given`), or recorded earlier on `patient` (the patient as
    stored; None for one not registered yet). Never withdrawn here: an unticked box on a
    patient who agreed changes nothing. A patient who withdrew their authorization
    (`services.patient_authorization_withdraw`) is booked again only with a new one given
    now: the ticked box records it. Raises ValidationError `authorization_withdrawn` or
    `authorization_required`.
    """
    if authorization_given or (patient is not None and patient.data_processing_authorized):
        return
    withdrawn_at = patient.data_processing_withdrawn_at if patient is not None else None
    if patient is not None and patient.authorization_withdrawn and withdrawn_at is not None:
        raise ValidationError(
            _(
                "The patient withdrew their authorization on %(when)s. Book only if they "
                "now authorize the processing of their data again: ask them, then tick this box."
            ),
            code="authorization_withdrawn",
            params={"when": format_moment(withdrawn_at)},
        )
    raise ValidationError(
        _("Ask the patient for their authorization and tick this box before booking."),
        code="authorization_required",
    )


def patient_anonymized_check(*, patient: Patient | None) -> None:
    """An anonymized patient (`services.patient_anonymize`) is never booked or changed
    again: their identity is gone for good. A person who comes back is registered anew.
    Raises ValidationError `patient_anonymized`."""
    if patient is not None and patient.is_anonymized:
        raise ValidationError(
            _(
                "This patient's data was anonymized: the record can no longer be changed "
                "or booked. Register the person again as a new patient."
            ),
            code="patient_anonymized",
        )


def patient_consultations_ahead(
    *, patient: Patient, now: dt.datetime | None = None
) -> QuerySet[Consultation]:
    """The patient's consultations not over yet: active (being sent, unconfirmed,
    booked) and still to end, or in progress whatever their window says."""
    now = now or timezone.now()
    return (
        Consultation.objects.filter(patient=patient)
        .filter(
            Q(status__in=ACTIVE_STATUSES, ends_at__gt=now)
            | Q(status=ConsultationStatus.IN_PROGRESS)
        )
        .order_by("starts_at")
    )


def patient_anonymize_check(*, patient: Patient, now: dt.datetime | None = None) -> None:
    """A patient is anonymized only once none of their consultations is still ahead
    (`patient_consultations_ahead`): its emails, join page and Kairo's room still need
    who they are. Raises ValidationError `consultation_ahead` naming the first one."""
    ahead = patient_consultations_ahead(patient=patient, now=now).first()
    if ahead is None:
        return
    raise ValidationError(
        _(
            "This patient has a consultation that is not over yet (%(start)s to %(end)s). "
            "Cancel it, or wait until it is over, then anonymize."
        ),
        code="consultation_ahead",
        params=_window_params(ahead),
    )


def patient_name_change_check(*, stored: Patient | None, name: str, confirmed: bool) -> None:
    """A registered patient's name changes only when staff confirm it.

    `stored` is the patient as stored (None for one not registered yet: nothing to
    compare); `name` the name submitted (tidied as the model stores it). A document
    typed for someone else, with their name, must never silently rename the patient
    who holds it: every earlier consultation and message would show the new name.
    Raises ValidationError `name_change_unconfirmed` (its params: `old`, `new`).
    """
    if stored is None or confirmed or not name:
        return
    new = " ".join(name.split())
    if new == stored.name:
        return
    raise ValidationError(
        _(
            "The patient on file with this document is named «%(old)s». To change the name "
            "to «%(new)s», tick the confirmation below; otherwise type the name as on file."
        ),
        code="name_change_unconfirmed",
        params={"old": stored.name, "new": new},
    )


def provider_free_check(
    *,
    provider: Provider,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_pk: int | None = None,
) -> None:
    """The provider has no consultation blocking [starts_at, ends_at).

    Blocking: active here, or cancelled here but still held by Kairo (`blocking()`).
    Adjacent windows are fine. Raises ValidationError `provider_busy` naming the
    provider and the window that clashes, in the organization's time zone, or
    `provider_held_by_kairo` when the clash is a cancelled consultation Kairo keeps.
    """
    clash = _first_clash(
        Consultation.objects.filter(provider=provider), starts_at, ends_at, exclude_pk
    )
    if clash is not None and clash.is_held_by_kairo:
        raise _held_by_kairo_error(clash, name=provider.name, code="provider_held_by_kairo")
    if clash is not None:
        raise ValidationError(
            _("%(provider)s already has a consultation from %(start)s to %(end)s."),
            code="provider_busy",
            params={
                "provider": provider.name,
                **_window_params(clash),
            },
        )


def patient_free_check(
    *,
    patient: Patient,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_pk: int | None = None,
) -> None:
    """The patient has no consultation blocking [starts_at, ends_at) (as for the provider).

    A patient not saved yet has none. Raises ValidationError `patient_busy` naming the
    patient, the provider they are booked with and when, or `patient_held_by_kairo`.
    """
    if patient.pk is None:
        return
    clash = _first_clash(
        Consultation.objects.filter(patient=patient).select_related("provider"),
        starts_at,
        ends_at,
        exclude_pk,
    )
    if clash is not None and clash.is_held_by_kairo:
        raise _held_by_kairo_error(clash, name=patient.name, code="patient_held_by_kairo")
    if clash is not None:
        raise ValidationError(
            _(
                "%(patient)s already has a consultation with %(provider)s from %(start)s to %(end)s."
            ),
            code="patient_busy",
            params={
                "patient": patient.name,
                "provider": clash.provider.name,
                **_window_params(clash),
            },
        )


# The same two rules, kept by PostgreSQL's exclusion constraints (migration 0004), by
# the party each keeps free.
_OVERLAP_CONSTRAINTS: dict[str, str] = {
    "consultation_provider_no_overlap": "provider",
    "consultation_patient_no_overlap": "patient",
}


def overlap_party(exc: IntegrityError) -> str | None:
    """ "provider" or "patient" when `exc` is a no-overlap constraint refusing a window,
    else None (psycopg names the constraint; SQLite has none of these). Services saving
    a window map it back to `provider_busy` or `patient_busy`."""
    diagnostics = getattr(exc.__cause__, "diag", None)
    return _OVERLAP_CONSTRAINTS.get(getattr(diagnostics, "constraint_name", None) or "")


def booking_check(
    *,
    provider: Provider | None,
    patient: Patient,
    scheduled_for: dt.datetime | None,
    duration_minutes: int | None,
    now: dt.datetime | None = None,
    patient_new: bool = False,
    overlaps: bool = True,
) -> None:
    """Every booking rule that needs other rows or the clock, checked at once.

    `scheduled_for` None means now (immediate). The provider is still active and free,
    the patient free (one not saved yet always is), and a scheduled time far enough
    ahead but within the booking horizon. The booking form calls it with what it could
    parse (`provider` or `duration_minutes` None skips what needs them);
    `consultation_book` calls it again
    inside its transaction. Raises ValidationError keyed `provider`, `patient`,
    `scheduled_for`, with the codes of the rules above and `provider_inactive`.
    `patient_new`: the patient was inserted by the caller's own transaction, so no
    consultation can name them yet and their overlap is not looked up. `overlaps`
    False checks only what needs no other rows (the clock, the provider's state).
    """
    now = now or timezone.now()
    errors: dict[str, ValidationError] = {}
    if scheduled_for is not None:
        try:
            scheduled_notice_check(scheduled_for=scheduled_for, now=now)
            scheduled_horizon_check(scheduled_for=scheduled_for, now=now)
        except ValidationError as error:
            errors["scheduled_for"] = error
            if error.code == "beyond_horizon":
                # Nobody is free or busy that far ahead, and its window may not even
                # fit the calendar (year 9999).
                raise ValidationError(errors) from None
    if provider is not None and not provider.is_active:
        errors["provider"] = ValidationError(
            _("This provider is no longer active."), code="provider_inactive"
        )
    if duration_minutes is not None and overlaps:
        starts_at, ends_at = consultation_window(
            scheduled_for=scheduled_for, duration_minutes=duration_minutes, now=now
        )
        if provider is not None and "provider" not in errors:
            try:
                provider_free_check(provider=provider, starts_at=starts_at, ends_at=ends_at)
            except ValidationError as error:
                errors["provider"] = error
        try:
            if not patient_new:
                patient_free_check(patient=patient, starts_at=starts_at, ends_at=ends_at)
        except ValidationError as error:
            errors["patient"] = error
    if errors:
        raise ValidationError(errors)


def _first_clash(queryset, starts_at, ends_at, exclude_pk):
    # Active bookings first: they are the clash staff can act on.
    queryset = queryset.blocking().overlapping(starts_at, ends_at)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    active_first = Case(When(status__in=ACTIVE_STATUSES, then=0), default=1)
    return queryset.order_by(active_first, "starts_at").first()


def _held_by_kairo_error(clash: Consultation, *, name: str, code: str) -> ValidationError:
    """A window Kairo keeps for a consultation cancelled here. One Kairo never confirmed
    (its answer was unknown when it was cancelled) may or may not exist there: say so."""
    if clash.kairo_consultation_id is None:
        message = _(
            "Kairo Connect may still keep %(start)s–%(end)s for a cancelled consultation of "
            "%(name)s (its booking was never confirmed); choose another time."
        )
    else:
        message = _(
            "Kairo Connect keeps %(start)s–%(end)s for a cancelled consultation of "
            "%(name)s; choose another time."
        )
    return ValidationError(message, code=code, params={"name": name, **_window_params(clash)})


def _window_params(clash: Consultation) -> dict[str, str]:
    return window_ends(starts_at=clash.starts_at, ends_at=clash.ends_at)


def _next_minute(value: dt.datetime) -> dt.datetime:
    if value.second or value.microsecond:
        value = value.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return value
