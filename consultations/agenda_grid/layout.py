"""The day's agenda laid out for the page: a column per provider, each consultation a
block placed and sized by its window, overlapping blocks side by side.

Presentation only: the consultations and providers come from `selectors.agenda`; this
module turns their times into the grid's geometry (rem, on one scale) and the CSS values
(`place`) the template puts in data-place-* attributes, so that templates only place
what they are given. The Content-Security-Policy forbids style attributes:
static/js/agenda-place.js sets each value from its attribute. Days are
calendar days on the organization's clock (`consultations.clock`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString

from consultations.agenda_grid.blocks import BlockWords, blocks_html, held_by_kairo_now
from consultations.clock import organization_day_bounds, organization_today, organization_zone
from consultations.models import Provider
from consultations.selectors.agenda import (
    AgendaConsultation,
    agenda_consultations,
    agenda_day_counts,
    agenda_providers,
)

# Agenda scale: 6rem per hour, so a 10-minute consultation is 1rem tall (one line);
# static/css/agenda.css draws the hour lines on the same scale (--agenda-hour-height).
REM_PER_MINUTE = 0.1
# Blocks shorter than this (under 20 minutes) have room for one line only: the template
# puts the time and the patient's name on it.
SHORT_BLOCK_REM = 2.0
# Columns on one page of the agenda: a clinic with 200 providers gets pages of providers
# (by name) instead of one page of 200 columns and thousands of blocks. Twenty columns
# of 13rem (static/css/agenda.css) are already two to three screens wide; each column
# of a busy day brings its blocks, so the page's cost follows this number.
COLUMNS_PER_PAGE = 20


@dataclass
class AgendaBlock:
    """One consultation in a provider's column: where it sits and how tall it is (rem)."""

    consultation: AgendaConsultation
    starts_local: dt.datetime
    ends_local: dt.datetime
    top: float
    height: float
    # Overlapping blocks (a cancelled booking and its replacement) share the column's
    # width side by side: this one is lane `lane` of `lanes`.
    lane: int = 0
    lanes: int = 1
    # The window runs past the day's start or end (a consultation across midnight).
    continues_before: bool = False
    continues_after: bool = False
    # Cancelled here, but Kairo Connect still keeps this time (its window has not ended).
    held_by_kairo: bool = False

    @property
    def status(self) -> str:
        return self.consultation.status

    @property
    def is_short(self) -> bool:
        return self.height < SHORT_BLOCK_REM

    @cached_property
    def place(self) -> dict[str, str]:
        width = 100 / self.lanes
        return {
            "top": f"{self.top:.2f}rem",
            "height": f"{self.height:.2f}rem",
            "left": f"{self.lane * width:.2f}%",
            "width": f"{width:.2f}%",
        }


@dataclass
class AgendaColumn:
    provider: Provider
    blocks: list[AgendaBlock] = field(default_factory=list)
    words: BlockWords | None = None

    @cached_property
    def blocks_html(self) -> SafeString:
        """The column's blocks as markup (`blocks_html`)."""
        return blocks_html(
            self.blocks, provider_name=self.provider.name, words=self.words or BlockWords.now()
        )


@dataclass(frozen=True)
class HourMark:
    label: str
    top: float

    @property
    def place(self) -> dict[str, str]:
        return {"top": f"{self.top:.2f}rem"}


@dataclass(frozen=True)
class ClosedBand:
    """A stretch of the grid outside opening hours, shown only because a consultation
    falls there."""

    top: float
    height: float

    @property
    def place(self) -> dict[str, str]:
        return {"top": f"{self.top:.2f}rem", "height": f"{self.height:.2f}rem"}


@dataclass(frozen=True)
class AgendaDay:
    day: dt.date
    zone_name: str
    is_today: bool
    previous_day: dt.date | None
    next_day: dt.date | None
    columns: list[AgendaColumn]
    hours: list[HourMark]
    height: float
    now_top: float | None
    opens: dt.time
    closes: dt.time
    closed_bands: list[ClosedBand]
    # Consultations that start before opening time or end after closing time.
    outside_hours_count: int
    # Every consultation of the day, on every page of columns.
    day_consultation_count: int = 0
    # Only the providers with a consultation that day are columns.
    busy_only: bool = False
    # Which columns this page shows: numbers first_column..last_column (from 1) of
    # column_total; previous_page and next_page are None at the ends.
    page: int = 1
    first_column: int = 0
    last_column: int = 0
    column_total: int = 0
    previous_page: int | None = None
    next_page: int | None = None

    @property
    def body_place(self) -> dict[str, str]:
        return {"height": f"{self.height:.2f}rem"}

    @property
    def now_place(self) -> dict[str, str]:
        return {} if self.now_top is None else {"top": f"{self.now_top:.2f}rem"}

    @property
    def consultation_count(self) -> int:
        return sum(len(column.blocks) for column in self.columns)


def agenda_day(
    *,
    day: dt.date,
    first_day: dt.date,
    last_day: dt.date,
    busy_only: bool = False,
    page: int = 1,
) -> AgendaDay:
    """The agenda of one day: a column per active provider (and per provider with a
    consultation that day), or only those with a consultation (`busy_only`), at most
    `COLUMNS_PER_PAGE` columns on page `page` (a page past the last is the last), each
    consultation placed by its window. Three queries, whatever the number of rows.

    The grid covers the opening hours (settings.AGENDA_DAY_STARTS to AGENDA_DAY_ENDS,
    from the full hour before to the full hour after), widened to every consultation of
    the day. Every status is shown (cancelled and rejected ones dimmed by the template),
    so a receptionist sees what happened to a slot; a cancelled consultation whose time
    Kairo Connect still keeps is marked as held.
    """
    zone = organization_zone()
    day_start, day_end = organization_day_bounds(day)
    day_minutes = (day_end - day_start) / dt.timedelta(minutes=1)
    now = timezone.now()

    day_counts = agenda_day_counts(starts=day_start, ends=day_end)
    busy = day_counts.per_provider.keys()
    providers = agenda_providers(including=day_counts.inactive)
    if busy_only:
        providers = [provider for provider in providers if provider.pk in busy]
    pages = max(1, math.ceil(len(providers) / COLUMNS_PER_PAGE))
    page = min(max(page, 1), pages)
    first = (page - 1) * COLUMNS_PER_PAGE
    page_providers = providers[first : first + COLUMNS_PER_PAGE]
    shown_ids = [provider.pk for provider in page_providers if provider.pk in busy]
    consultations = (
        agenda_consultations(starts=day_start, ends=day_end, provider_ids=shown_ids)
        if shown_ids
        else []
    )

    def minutes_into_day(moment: dt.datetime) -> float:
        return (moment.astimezone(dt.UTC) - day_start) / dt.timedelta(minutes=1)

    # Opening hours are wall-clock times: on a daylight-saving day 06:00 is not 6 hours
    # after midnight, so they are placed like any other instant of that day.
    opens_at = minutes_into_day(dt.datetime.combine(day, settings.AGENDA_DAY_STARTS, tzinfo=zone))
    closes_at = minutes_into_day(dt.datetime.combine(day, settings.AGENDA_DAY_ENDS, tzinfo=zone))

    spans = [
        (
            consultation,
            max(0.0, minutes_into_day(consultation.starts_at)),
            min(day_minutes, minutes_into_day(consultation.ends_at)),
        )
        for consultation in consultations
    ]
    first_hour = math.floor(min([opens_at, *(start for _c, start, _e in spans)]) / 60)
    last_hour = math.ceil(max([closes_at, *(end for _c, _s, end in spans)]) / 60)
    first_hour = max(first_hour, 0)
    last_hour = min(last_hour, math.ceil(day_minutes / 60))
    origin = first_hour * 60
    end = last_hour * 60

    words = BlockWords.now()
    columns = {
        provider.pk: AgendaColumn(provider=provider, words=words) for provider in page_providers
    }
    for consultation, start, finish in spans:
        columns[consultation.provider_id].blocks.append(
            AgendaBlock(
                consultation=consultation,
                starts_local=consultation.starts_at.astimezone(zone),
                ends_local=consultation.ends_at.astimezone(zone),
                top=(start - origin) * REM_PER_MINUTE,
                height=(finish - start) * REM_PER_MINUTE,
                continues_before=consultation.starts_at < day_start,
                continues_after=consultation.ends_at > day_end,
                held_by_kairo=held_by_kairo_now(consultation, now=now),
            )
        )
    for column in columns.values():
        _lanes_assign(column.blocks)

    hours = [
        HourMark(
            label=(day_start + dt.timedelta(hours=hour)).astimezone(zone).strftime("%H:%M"),
            top=(hour * 60 - origin) * REM_PER_MINUTE,
        )
        for hour in range(first_hour, last_hour)
    ]
    closed_bands = [
        ClosedBand(
            top=(band_start - origin) * REM_PER_MINUTE,
            height=(band_end - band_start) * REM_PER_MINUTE,
        )
        for band_start, band_end in ((origin, min(opens_at, end)), (max(closes_at, origin), end))
        if band_end > band_start
    ]

    now_top = None
    if day_start <= now < day_end:
        now_minutes = minutes_into_day(now)
        if origin <= now_minutes <= end:
            now_top = (now_minutes - origin) * REM_PER_MINUTE

    return AgendaDay(
        day=day,
        zone_name=settings.ORGANIZATION_TIME_ZONE,
        is_today=day == organization_today(),
        previous_day=day - dt.timedelta(days=1) if day > first_day else None,
        next_day=day + dt.timedelta(days=1) if day < last_day else None,
        columns=list(columns.values()),
        hours=hours,
        height=(end - origin) * REM_PER_MINUTE,
        now_top=now_top,
        opens=settings.AGENDA_DAY_STARTS,
        closes=settings.AGENDA_DAY_ENDS,
        closed_bands=closed_bands,
        outside_hours_count=sum(
            1 for _c, start, finish in spans if start < opens_at or finish > closes_at
        ),
        day_consultation_count=day_counts.total,
        busy_only=busy_only,
        page=page,
        first_column=first + 1 if page_providers else 0,
        last_column=first + len(page_providers),
        column_total=len(providers),
        previous_page=page - 1 if page > 1 else None,
        next_page=page + 1 if page < pages else None,
    )


def _lanes_assign(blocks: list[AgendaBlock]) -> None:
    """Side-by-side lanes for blocks that overlap (they arrive sorted by start).

    Each group of transitively overlapping blocks gets as many lanes as it needs at its
    busiest; each block takes the first lane free at its start.
    """
    group: list[AgendaBlock] = []
    lane_ends: list[float] = []
    group_end = -math.inf
    for block in blocks:
        if group and block.top >= group_end:
            for member in group:
                member.lanes = len(lane_ends)
            group, lane_ends, group_end = [], [], -math.inf
        bottom = block.top + block.height
        free = [lane for lane, lane_end in enumerate(lane_ends) if lane_end <= block.top]
        if free:
            block.lane = free[0]
            lane_ends[block.lane] = bottom
        else:
            block.lane = len(lane_ends)
            lane_ends.append(bottom)
        group.append(block)
        group_end = max(group_end, bottom)
    for member in group:
        member.lanes = len(lane_ends)
