"""RESULTS.md and results.json: every figure with its samples, target and verdict."""

import json
import math

from bench.report import Figure, render_markdown, write_results
from bench.stats import Summary

META = {
    "mode": "quick",
    "date": "2026-12-07 08:00 UTC",
    "commit": "abc1234",
    "cpu_count": 2,
    "cpu_model": "Test CPU",
    "postgres": "15",
    "python": "3.11",
    "small": "1000",
    "large": "30000",
    "gunicorn": "2 workers",
    "latency_ms": 100,
}


def figures():
    return [
        Figure(
            "booking_overhead_ratio",
            1.1,
            op="<=",
            limit=1.25,
            samples={"desk": Summary(110.0, 130.0, 30), "bare": Summary(100.0, 104.0, 30)},
        ),
        Figure("scale_ratio_agenda", 2.0, op="<=", limit=1.5),
        Figure(
            "saturation_requests_per_second_per_core", 15.0, unit="req/s/core", op=">=", limit=12
        ),
        Figure("admin_vs_desk_ratio", 3.0),
        Figure("load_p95_ratio", None, op="<=", limit=2.0, error="login failed"),
        Figure("test_suite_seconds", None, unit="s", note="not measured"),
    ]


def test_verdicts():
    verdicts = [figure.verdict for figure in figures()]
    assert verdicts == ["PASS", "FAIL", "PASS", "—", "ERROR", "not measured"]


def test_markdown_lists_machine_samples_and_targets():
    text = render_markdown(META, figures())
    assert "2 CPU(s), Test CPU" in text
    assert "commit `abc1234`" in text
    line = next(row for row in text.splitlines() if "`booking_overhead_ratio`" in row)
    assert "| 1.10 | <= 1.25 | PASS |" in line
    assert "desk: median 110.0 ms, p95 130.0 ms, n=30" in line
    assert "report only" in next(row for row in text.splitlines() if "`admin_vs_desk_ratio`" in row)
    assert "failing: scale_ratio_agenda, load_p95_ratio." in text


def test_json_is_strict_even_with_infinite_values(tmp_path):
    items = [*figures(), Figure("webhook_p95_ratio", math.inf, op="<=", limit=5.0)]
    write_results(tmp_path, META, items)
    data = json.loads((tmp_path / "results.json").read_text())  # no Infinity, no NaN
    by_name = {item["name"]: item for item in data["figures"]}
    assert by_name["webhook_p95_ratio"]["value"] is None
    assert by_name["booking_overhead_ratio"]["samples"]["desk"] == {
        "median": 110.0,
        "p95": 130.0,
        "runs": 30,
    }
    assert by_name["booking_overhead_ratio"]["target"] == "<= 1.25"
    assert (tmp_path / "RESULTS.md").read_text().startswith("# Performance harness results")
