"""Finding English on a page that should be Spanish.

`english_fragments(text)` returns the English source strings visible verbatim in a
page's text: the msgids of our catalog, of the Django and library catalogs that have a
Spanish translation (so the Spanish page should show that instead), and the English
texts of Kairo Connect's error codes. A msgid is split at its placeholders (`%(name)s`,
`{name}`, `%s`) and at markup; each literal piece of at least two words counts, unless
the same words also appear in some Spanish translation (brand names such as "Kairo
Connect", "requestId", "Ley 1581 de 2012" are the same in both languages).

`page_text(html)` is the text a person reads on a rendered page: element text plus the
attributes that are read out or shown (title, aria-label, placeholder, alt, button
values), without scripts, styles, and any element inside the page marked with another
language (`lang="en"`: Kairo Connect's own messages, shown on purpose as a detail; the
`<html lang>` itself is no exception).

Used by tests/consultations/test_spanish_crawl.py (Django test client) and meant for the browser
suite too: pass it `page_text(page.content())` (or `page.inner_text("body")`, which
then also holds the details marked English).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
import phonenumber_field
import polib
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
OUR_CATALOG = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
_DJANGO = Path(django.__file__).parent
# The library catalogs that ship Spanish: a staff page in Spanish must show it.
LIBRARY_CATALOGS = (
    _DJANGO / "conf" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    *(
        _DJANGO / "contrib" / app / "locale" / "es" / "LC_MESSAGES" / "django.po"
        for app in ("admin", "auth", "contenttypes", "sessions", "postgres")
    ),
    Path(phonenumber_field.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po",
)

# Where a msgid's literal text stops: placeholders, template variables, markup.
_PLACEHOLDER = re.compile(
    r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{[^{}]*\}|\{\{.*?\}\}|<[^>]*>|\n"
)
_WORD = re.compile(r"[A-Za-z]{2,}")
# English the app itself stores and must word for staff before showing (a delivery's
# `last_error`): not in any catalog, so looked for by name.
STORED_ENGLISH = ("Skipped: consultation", "Not sent: consultation")
_MIN_WORDS = 2


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _pieces(msgid: str) -> list[str]:
    """The literal pieces of a msgid worth looking for (>= 2 words each)."""
    pieces = []
    for piece in _PLACEHOLDER.split(msgid):
        piece = _normalized(piece).strip(" ,;:·–—()[]\"'«»")
        if len(_WORD.findall(piece)) >= _MIN_WORDS:
            pieces.append(piece)
    return pieces


def _entries(path: Path) -> list[polib.POEntry]:
    if not path.exists():
        return []
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete and entry.msgid]


@cache
def _catalog() -> tuple[frozenset[str], str]:
    """(English pieces to look for, every Spanish translation joined for reference)."""
    english: set[str] = set()
    spanish: list[str] = []
    for path in (OUR_CATALOG, *LIBRARY_CATALOGS):
        for entry in _entries(path):
            translations = (
                list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            )
            translations = [text for text in translations if text]
            if not translations:
                continue  # no Spanish to show instead: not evidence of a missed one
            spanish.extend(_normalized(text) for text in translations)
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                english.update(_pieces(msgid))
    english.update(_kairo_english())
    english.update(STORED_ENGLISH)
    reference = "\n".join(spanish)
    # A piece that a Spanish translation also contains is shared wording, not English.
    kept = frozenset(piece for piece in english if piece not in reference)
    return kept, reference


def _kairo_english() -> set[str]:
    from consultations.kairo_texts import KAIRO_ERROR_TEXTS

    with translation.override("en"):
        return {piece for text in KAIRO_ERROR_TEXTS.values() for piece in _pieces(str(text))}


def english_fragments(text: str, language: str = "es") -> list[str]:
    """The English source strings found verbatim in `text` (a page's visible text),
    longest first, each once. Empty for an English page."""
    if language != "es":
        return []
    haystack = _normalized(text)
    pieces, _reference = _catalog()
    found = [
        piece
        for piece in pieces
        if piece in haystack
        and re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", haystack)
    ]
    # A piece inside a longer one found is the same finding.
    found.sort(key=len, reverse=True)
    result: list[str] = []
    for piece in found:
        if not any(piece in longer for longer in result):
            result.append(piece)
    return result


# --- Page text ---------------------------------------------------------------------------

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_HIDDEN = {"script", "style", "template", "noscript"}
_READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)

    @property
    def skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or "").lower()
        # The <html> element's lang is the page's own claim, not an exception inside it.
        marked_other = tag != "html" and bool(lang and not lang.startswith("es"))
        skipped = tag in _HIDDEN or marked_other
        if not self.skipping and not skipped:
            for name in _READ_ATTRIBUTES:
                if values.get(name):
                    self.parts.append(str(values[name]))
            if tag == "input" and values.get("type") in ("submit", "button", "reset"):
                self.parts.append(str(values.get("value") or ""))
        if tag not in _VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The text a person reads on the page (see the module docstring), one line per
    piece of text."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "\n".join(part.strip() for part in parser.parts if part.strip())
