"""The Spanish interface is complete, and the committed .mo matches the .po.

The compiled catalog is committed so that a fresh machine needs no gettext tools; these
tests catch a .po edited without recompiling, an untranslated string, and (where
xgettext is installed, as in CI) a string added to the code but not to the .po.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries(catalog) -> dict[tuple[str | None, str], str | tuple]:
    result = {}
    for entry in catalog:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            value = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
        else:
            value = entry.msgstr
        result[(entry.msgctxt, entry.msgid)] = value
    return result


def test_every_string_is_translated_to_spanish():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:10]}"


def test_every_plural_has_each_form_the_catalog_declares():
    """Spanish declares three plural forms (Plural-Forms); a missing one shows English
    for the counts that pick it."""
    po = polib.pofile(str(PO))
    forms = int(po.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    short = [
        e.msgid
        for e in po
        if e.msgid_plural and any(not e.msgstr_plural.get(i) for i in range(forms))
    ]
    assert not short, f"plural forms missing: {short[:10]}"


def test_compiled_catalog_matches_the_po_file():
    assert _entries(polib.mofile(str(MO))) == _entries(polib.pofile(str(PO))), (
        "locale/es/LC_MESSAGES/django.mo is stale: run `make messages`"
    )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext's xgettext")
def test_po_file_has_every_string_in_the_code(tmp_path):
    for folder in ("clinic", "consultations", "templates", "locale"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)) if not e.obsolete}
    new = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in committed)
    assert not new, f"strings missing from django.po (run `make messages`): {new[:10]}"
