"""docs/operations.md and deploy/ say the same: every file of deploy/ is named there, and
a code block that shows one (its first line is the file's own `# deploy/...` header) is
the file itself, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OPERATIONS = ROOT / "docs" / "operations.md"
CODE_BLOCK = re.compile(r"^```[\w-]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHOWN_FILE = re.compile(r"# (deploy/[\w./-]+?):")


def _deploy_files() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in DEPLOY.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def _shown() -> list[tuple[str, str]]:
    """Each code block of docs/operations.md that shows a file of deploy/: (path, text)."""
    shown = []
    for block in CODE_BLOCK.findall(OPERATIONS.read_text()):
        match = SHOWN_FILE.match(block)
        if match:
            shown.append((match[1], block))
    return shown


def test_the_operations_document_shows_the_main_files():
    assert {path for path, _ in _shown()} >= {
        "deploy/systemd/desk-web.service",
        "deploy/systemd/desk-worker.service",
        "deploy/nginx/desk.conf",
    }


@pytest.mark.parametrize("path", [path for path, _ in _shown()])
def test_a_file_shown_in_the_documentation_is_the_file(path):
    (text,) = [text for shown, text in _shown() if shown == path]
    assert text == (ROOT / path).read_text()


@pytest.mark.parametrize(
    "path",
    [
        path
        for path in _deploy_files()
        if not path.startswith("deploy/systemd/")  # named by their unit's name (below)
    ],
)
def test_every_deploy_file_is_named_in_the_operations_document(path):
    shown = {shown for shown, _ in _shown()}
    named = f"`{path}`" in OPERATIONS.read_text()
    assert named or path in shown, f"name {path} in docs/operations.md"


def test_every_unit_is_named_in_the_operations_document():
    text = OPERATIONS.read_text()
    units = sorted(path.name for path in (DEPLOY / "systemd").iterdir())
    assert len(units) >= 14
    missing = [
        unit
        for unit in units
        if f"`{unit}`" not in text
        and not (
            unit.endswith(".timer")
            and f"`{unit.removesuffix('.timer')}.service` and `.timer`" in text
        )
    ]
    assert not missing


def test_every_script_says_where_it_is_documented():
    for path in _deploy_files():
        if path.endswith((".sh", ".py")):
            head = "\n".join((ROOT / path).read_text().splitlines()[:5])
            assert "docs/operations.md" in head or "deploy/" in head, path


def _systemctl_commands() -> list[str]:
    """Each `systemctl stop|start` command of docs/operations.md's code blocks that
    names a timer, its continuation lines joined."""
    commands = []
    for block in CODE_BLOCK.findall(OPERATIONS.read_text()):
        for command in block.replace("\\\n", " ").splitlines():
            if re.match(r"\s*systemctl (stop|start) ", command) and ".timer" in command:
                commands.append(" ".join(command.split()))
    return commands


def test_the_stop_and_start_lists_name_every_timer():
    # An upgrade or a restore that leaves one timer running lets a job meet a half-done
    # migration or a database being replaced.
    timers = {path.name for path in (DEPLOY / "systemd").glob("*.timer")}
    commands = _systemctl_commands()
    assert len(commands) >= 4  # upgrade stop/start, restore stop/start
    for command in commands:
        assert timers <= set(command.split()), command
