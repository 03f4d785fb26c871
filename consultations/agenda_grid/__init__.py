"""The day's agenda laid out for its page (`layout`: columns, blocks placed and sized by
their windows, lanes, hour marks) and its blocks written as markup (`blocks`)."""

from consultations.agenda_grid.blocks import (
    BlockWords,
    block_status_label,
    blocks_html,
    held_by_kairo_now,
    held_status_label,
)
from consultations.agenda_grid.layout import (
    COLUMNS_PER_PAGE,
    REM_PER_MINUTE,
    SHORT_BLOCK_REM,
    AgendaBlock,
    AgendaColumn,
    AgendaDay,
    agenda_day,
)

__all__ = [
    "COLUMNS_PER_PAGE",
    "REM_PER_MINUTE",
    "SHORT_BLOCK_REM",
    "AgendaBlock",
    "AgendaColumn",
    "AgendaDay",
    "BlockWords",
    "agenda_day",
    "block_status_label",
    "blocks_html",
    "held_by_kairo_now",
    "held_status_label",
]
