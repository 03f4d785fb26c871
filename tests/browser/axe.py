"""axe-core, from node_modules (installed by `make test` with `npm ci` from the pinned
package-lock.json; never a CDN), run in the page under test."""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page, *, disabled_rules: tuple[str, ...] = ()) -> list[dict]:
    """The WCAG A/AA violations axe-core finds on the page as it is now."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `npm ci` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy
        # does not govern: a <script> tag with axe inline would be refused (and reported
        # as a violation by tests/browser/csp.py).
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    options = {
        "runOnly": {"type": "tag", "values": WCAG_AA_TAGS},
        "rules": {rule: {"enabled": False} for rule in disabled_rules},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("(options) => axe.run(document, options)", options)
    return result["violations"]


def describe(violation: dict) -> str:
    """One violation, readably: rule, impact, what it means, and each element it fails."""
    lines = [f"{violation['id']} ({violation.get('impact')}): {violation['help']}"]
    for node in violation["nodes"]:
        target = " ".join(str(part) for part in node["target"])
        summary = " ".join((node.get("failureSummary") or "").split())
        lines.append(f"      at {target}: {summary}")
        lines.append(f"         {node['html'][:200]}")
    lines.append(f"      see {violation['helpUrl']}")
    return "\n".join(lines)
