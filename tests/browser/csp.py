"""Content-Security-Policy violations as a real Chromium reports them.

`LISTENER` goes into a browser context with `context.add_init_script` (which the policy
does not govern): on every document it records each `securitypolicyviolation` event,
which the browser fires for anything the policy refused (an inline script or style, a
style attribute, a file from elsewhere). `csp_violations(page)` reads them for the
document now shown."""

from __future__ import annotations

LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.effectiveDirective + " refused " + (event.blockedURI || "inline")
    + " at " + (event.sourceFile || event.documentURI) + ":" + event.lineNumber
    + (event.sample ? " (" + event.sample + ")" : "")
  );
});
"""


def csp_violations(page) -> list[str]:
    """What the policy refused on the page shown, since it loaded (the listener must be
    in the page's context: `context.add_init_script(LISTENER)`)."""
    found = page.evaluate("window.__cspViolations")
    assert found is not None, "the violation listener is not in this browser context"
    return list(found)


def csp_check(page, staff_page, language) -> list[str]:
    """A crawl check (tests/browser/staff_pages.py): every violation is a problem."""
    return [f"Content-Security-Policy: {violation}" for violation in csp_violations(page)]
