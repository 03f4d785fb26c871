"""Figures and their rendering: `results.json` (machine-read) and `RESULTS.md` (people)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import Summary


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str = "ratio"
    op: str | None = None  # "<=" or ">=", None: reported without a target
    limit: float | None = None
    samples: dict[str, Summary] = field(default_factory=dict)
    note: str = ""
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.error or (isinstance(self.value, float) and math.isnan(self.value)):
            return "ERROR"
        if self.value is None:
            return "not measured"
        if self.op is None or self.limit is None:
            return "—"
        ok = self.value <= self.limit if self.op == "<=" else self.value >= self.limit
        return "PASS" if ok else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        return {
            "name": self.name,
            "value": None if value is None else round(value, 3),
            "unit": self.unit,
            "target": None if self.op is None else f"{self.op} {self.limit}",
            "verdict": self.verdict,
            "samples": {key: summary.as_dict() for key, summary in self.samples.items()},
            "note": self.note,
            "error": self.error,
        }


def _value(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    if isinstance(figure.value, float) and not math.isfinite(figure.value):
        return "∞"
    return f"{figure.value:.2f}" if figure.unit == "ratio" else f"{figure.value:.1f} {figure.unit}"


def _samples(figure: Figure) -> str:
    parts = [
        f"{key}: median {s.median:.1f} ms, p95 {s.p95:.1f} ms, n={s.runs}"
        for key, s in figure.samples.items()
    ]
    return "; ".join(parts)


def render_markdown(meta: dict[str, Any], figures: list[Figure]) -> str:
    lines = [
        "# Performance harness results",
        "",
        f"Mode **{meta.get('mode')}**, {meta.get('date')}, commit `{meta.get('commit')}`.",
        "",
        f"Machine: {meta.get('cpu_count')} CPU(s), {meta.get('cpu_model')}; "
        f"PostgreSQL {meta.get('postgres')}; Python {meta.get('python')}.",
        "",
        f"Data: small {meta.get('small')}, large {meta.get('large')}. "
        f"Server: gunicorn (gunicorn.conf.py) with {meta.get('gunicorn')}; "
        f"sandbox latency {meta.get('latency_ms')} ms.",
        "",
        "Each ratio is measured within this run, the compared requests taking turns. "
        "Times are wall-clock milliseconds seen by the client (docs/development.md, "
        '"Performance harness").',
        "",
        "| figure | value | target | result | samples |",
        "|---|---|---|---|---|",
    ]
    for figure in figures:
        target = "report only" if figure.op is None else f"{figure.op} {figure.limit:g}"
        detail = _samples(figure)
        if figure.note:
            detail = f"{detail}; {figure.note}" if detail else figure.note
        if figure.error:
            detail = f"{detail}; error: {figure.error}" if detail else f"error: {figure.error}"
        lines.append(
            f"| `{figure.name}` | {_value(figure)} | {target} | {figure.verdict} | {detail} |"
        )
    failed = [f.name for f in figures if f.verdict in ("FAIL", "ERROR")]
    lines += [
        "",
        f"{len(figures) - len(failed)} of {len(figures)} figures pass or are report-only"
        + (f"; failing: {', '.join(failed)}." if failed else "."),
        "",
    ]
    return "\n".join(lines)


def write_results(out_dir: Path, meta: dict[str, Any], figures: list[Figure]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "figures": [figure.as_dict() for figure in figures]}
    (out_dir / "results.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (out_dir / "RESULTS.md").write_text(render_markdown(meta, figures), encoding="utf-8")
