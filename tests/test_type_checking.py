"""The type checker's ground rules: mypy (run by `make lint`) checks the app's code with
nothing switched off wholesale, and each `# type: ignore` names its error code and says
why, beside it on the same line."""

from __future__ import annotations

import io
import re
import tokenize
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("clinic", "consultations")

IGNORE = re.compile(
    r"#\s*type:\s*ignore\b(?P<codes>\[[a-z0-9-]+(?:,\s*[a-z0-9-]+)*\])?(?P<rest>.*)"
)
REASON = re.compile(r"^\s+#\s*\S")


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def _checked_sources() -> list[Path]:
    return sorted(
        path
        for package in CHECKED
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def _type_ignores(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return [
        (token.start[0], token.string)
        for token in tokens
        if token.type == tokenize.COMMENT and IGNORE.search(token.string)
    ]


def test_mypy_checks_the_app_with_untyped_bodies_too():
    config = _mypy_config()
    assert set(config["files"]) == set(CHECKED)
    assert config["check_untyped_defs"] is True
    assert config["warn_unused_ignores"] is True
    assert "mypy_django_plugin.main" in config["plugins"]


def test_nothing_is_switched_off_wholesale():
    config = _mypy_config()
    blanket = {"ignore_errors", "disable_error_code", "ignore_missing_imports"}
    assert not blanket & set(config)
    for override in config.get("overrides", []):
        assert not blanket & set(override), override


def test_every_type_ignore_names_its_code_and_says_why():
    sources = _checked_sources()
    assert len(sources) > 50  # the scan found the code
    unexplained = [
        f"{path.relative_to(ROOT)}:{line}: {comment}"
        for path in sources
        for line, comment in _type_ignores(path)
        if not (match := IGNORE.search(comment))["codes"] or not REASON.match(match["rest"])
    ]
    assert not unexplained, "\n".join(unexplained)


def test_the_rule_tells_a_reasoned_ignore_from_a_bare_one():
    def ok(comment: str) -> bool:
        match = IGNORE.search(comment)
        assert match is not None
        return bool(match["codes"]) and bool(REASON.match(match["rest"]))

    assert ok("# type: ignore[arg-type]  # typeshed says str")
    assert ok("# type: ignore[assignment, arg-type]  # both, for one reason")
    assert not ok("# type: ignore")
    assert not ok("# type: ignore  # a reason, but no code")
    assert not ok("# type: ignore[arg-type]")
    assert not ok("# type: ignore[arg-type] because")
