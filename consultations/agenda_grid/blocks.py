"""The agenda's blocks as markup, and the status a block shows (laid out by
`agenda_grid.layout`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from consultations.models import Consultation
from consultations.selectors.agenda import AgendaConsultation
from consultations.templatetags.desk_rows import linker, status_labels

if TYPE_CHECKING:
    from consultations.agenda_grid.layout import AgendaBlock


def block_status_label(consultation: Consultation, *, held_by_kairo: bool) -> str:
    """The status a block shows (and the live status sends the agenda)."""
    if held_by_kairo:
        return held_status_label()
    return consultation.get_status_display()


def held_status_label() -> str:
    return _("Cancelled, held by Kairo")


def held_by_kairo_now(consultation: Consultation | AgendaConsultation, *, now: dt.datetime) -> bool:
    """Cancelled here, and Kairo Connect still keeps its time: Kairo's expiry is start +
    duration (docs/kairo-connect-api.md "Create a consultation", "Lifecycle"), so past
    the window Kairo holds nothing."""
    return consultation.is_held_by_kairo and consultation.ends_at > now


@dataclass(frozen=True)
class BlockWords:
    """What every block of a page says alike, translated once per page (`blocks_html`)."""

    immediate: str
    held: str
    held_label: str
    sentence: str
    statuses: dict[str, str]
    link: Callable[[int], str]

    @classmethod
    def now(cls) -> BlockWords:
        return cls(
            statuses=status_labels(),
            link=linker("consultation_detail"),
            immediate=_("Immediate"),
            held=_("Held by Kairo"),
            held_label=held_status_label(),
            sentence=_("%(start)s to %(end)s, %(patient)s, %(type)s with %(provider)s, %(status)s"),
        )


# A day's page has hundreds of blocks: through the template language each cost about
# a third of a millisecond (a URL reversed, a sentence translated, a dozen filters), so
# they are written here, with the same markup, each value escaped, the words translated
# once per page, the links and status labels as the long lists print theirs
# (templatetags/desk_rows.py). agenda.html puts them in their column.
#
# Escaping is done once per value: `html.escape` works character by character, so the
# title and the aria-label are put together from the escaped parts (the page's words
# escaped once per page, the patient's name and the type once per block) and equal the
# escape of the whole sentence.


def _hhmm(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def blocks_html(blocks: list[AgendaBlock], *, provider_name: str, words: BlockWords) -> SafeString:
    if not blocks:
        return mark_safe("")  # noqa: S308 - empty
    immediate, held = escape(words.immediate), escape(words.held)
    held_label, sentence = escape(words.held_label), escape(words.sentence)
    statuses = {status: escape(label) for status, label in words.statuses.items()}
    provider = escape(provider_name)
    link = words.link
    parts = []
    for block in blocks:
        consultation = block.consultation
        pk, status = consultation.pk, consultation.status
        is_held = block.held_by_kairo
        label = held_label if is_held else statuses.get(status) or escape(status)
        patient = escape(consultation.patient_name)
        kind = escape(consultation.type_name)
        start, end = _hhmm(block.starts_local), _hhmm(block.ends_local)
        now, short = consultation.is_immediate, block.is_short
        place = block.place
        classes = f"agenda-block agenda-status-{status}"
        if now:
            classes += " agenda-immediate"
        if is_held:
            classes += " agenda-held"
        if short:
            classes += " agenda-short"
        title = f"{start}–{end} · {patient} · {kind} · {label}"
        aria = sentence % {
            "start": start,
            "end": end,
            "patient": patient,
            "type": kind,
            "provider": provider,
            "status": label,
        }
        if now:
            title += " · " + immediate
            aria += ", " + immediate
        live_label = f'<span class="agenda-status-text" data-live-status-text>{label}</span>'
        line = (
            f'<span class="agenda-time">{"&uarr; " if block.continues_before else ""}'
            f"{start}–{end}{' &darr;' if block.continues_after else ''}</span>"
        )
        if short:
            line += f' <span class="agenda-patient">{patient}</span> · {live_label}'
        if now:
            line += f' <span class="badge agenda-now-badge">{immediate}</span>'
        if is_held:
            line += f' <span class="agenda-held-label">{held}</span>'
        body = f'<span class="agenda-line">{line}</span>'
        if not short:
            body += (
                f'\n          <span class="agenda-patient">{patient}</span>'
                f'\n          <span class="agenda-meta">{kind} · {live_label}</span>'
            )
        parts.append(
            f'\n        <a class="{classes}" href="{link(pk)}"'
            f' data-place-top="{place["top"]}" data-place-height="{place["height"]}"'
            f' data-place-left="{place["left"]}" data-place-width="{place["width"]}"'
            f' data-consultation="{pk}" data-consultation-id="{pk}" data-status="{status}"'
            f' data-status-label="{label}"'
            f' data-live-held="{1 if is_held else 0}" data-live-status-class'
            f'\n           title="{title}"'
            f'\n           aria-label="{aria}">'
            f"\n          {body}\n        </a>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
