"""Designs side by side: the configuration fields in which results differ, their headline figures
and the ratios to the first (``archsim compare``). A pure function of results, like every report:
it reads the results schema, the records' configuration included, and nothing of the simulator.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from jinja2 import Environment, StrictUndefined

from archsim.results import ChipResult, CosimResult, TrainResult

#: Headline figures: (name, unit, higher is better), in the order they are shown.
FIGURES = (
    ("TeraOps/s", "", True),
    ("of the ideal peak", "%", True),
    ("TeraOps/W", "", True),
    ("area", "mm^2", False),
    ("TeraOps/s/mm^2", "", True),
    ("static power", "mW", False),
    ("time per char", "ns", False),
    ("samples per second", "chars or images/s", True),
    ("step latency", "ns", False),
    ("epoch", "s", False),
    ("energy per char", "nJ", False),
    ("peak memory", "MiB", False),
    ("test CE", "nats/char", False),
    ("train CE", "nats/char", False),
    ("chars trained", "", True),
)


def _chip(c: ChipResult) -> dict[str, float | None]:
    out = {
        "TeraOps/s": c.teraops_per_s,
        "of the ideal peak": 100 * c.peak_fraction,
        "TeraOps/W": c.teraops_per_w,
        "time per char": c.ns_per_char,  # per image for an image network
        "samples per second": c.samples_per_s,
        "step latency": c.step_latency_ns,
        "epoch": c.epoch_seconds,
        "energy per char": c.energy_pj_per_char.get("total", math.nan) / 1e3,
        "peak memory": c.memory["peak_occupancy_bytes"] / 2**20,
    }
    if c.area_mm2:  # results written before the area model have none
        out["area"] = c.area_mm2.get("total")
        out["TeraOps/s/mm^2"] = c.teraops_per_s_per_mm2
        out["static power"] = c.static_power_mw.get("total")
    return out


def headline(result: ChipResult | TrainResult | CosimResult) -> dict[str, float | None]:
    """The headline figures of one result, by the names of :data:`FIGURES` (absent: not given)."""
    if isinstance(result, ChipResult):
        return _chip(result)
    if isinstance(result, TrainResult):
        return {"test CE": result.test_ce, "train CE": result.train_ce, "chars trained": result.chars_trained}
    out = _chip(result.chip) if result.chip is not None else {}
    t = result.train
    return out | {"test CE": t.test_ce, "train CE": t.train_ce, "chars trained": t.chars_trained}


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = value


def differences(results: list[Any]) -> list[tuple[str, list[Any]]]:
    """The configuration that differs between results: a section of the records (workload, chip,
    rpu, options) that some results lack, as one row ("-" where absent); then every field (dotted
    path) whose value differs among the results that have it."""
    records = [{} if r.record is None else r.record.model_dump(mode="json") for r in results]
    rows: list[tuple[str, list[Any]]] = []
    command = [rec.get("command") for rec in records]
    if len(set(command)) > 1:
        rows.append(("command", command))
    sections = sorted({k for rec in records for k, v in rec.items() if isinstance(v, dict)})
    for section in sections:
        present = [section in rec for rec in records]
        if not all(present):
            names = [rec[section].get("name", "(given)") if section in rec else None for rec in records]
            rows.append((section, names))
        flat = []
        for rec in records:
            out: dict[str, Any] = {}
            if section in rec:
                _flatten(rec[section], section, out)
            flat.append(out)
        for path in sorted({p for f in flat for p in f}):
            have = [f[path] for f in flat if path in f]
            if len(have) > 1 and len({repr(v) for v in have}) > 1:
                rows.append((path, [f.get(path) for f in flat]))
    return rows


def _produced_by(record: Any) -> str | None:
    if record is None:
        return None
    return f"archsim {record.archsim_version} ({record.git_commit or 'installed'}), {record.date}"


def comparison(results: list[Any], labels: list[str]) -> dict[str, Any]:
    """Everything ``archsim compare`` shows: per result its label, kind and what produced it; the
    differing configuration; each headline figure with every result's value and its ratio to the
    first result's."""
    values = [headline(r) for r in results]
    rows = []
    for name, unit, higher in FIGURES:
        got = [v.get(name) for v in values]
        if all(g is None for g in got):
            continue
        base = got[0]
        ratios = [
            g / base if isinstance(g, int | float) and isinstance(base, int | float) and base else None
            for g in got
        ]
        rows.append(
            {"figure": name, "unit": unit, "higher_is_better": higher, "values": got, "ratios": ratios}
        )
    runs = [
        {"label": label, "kind": r.kind, "produced_by": _produced_by(r.record)}
        for r, label in zip(results, labels, strict=True)
    ]
    return {"runs": runs, "differences": differences(results), "figures": rows}


def csv_text(c: dict[str, Any], letters: str) -> str:
    """The headline figures of a comparison as CSV: figure, unit, each result's value (A, B, ...),
    then each ratio to A (B/A, ...); an empty cell where a result has no such figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["figure", "unit", *letters, *(f"{x}/{letters[0]}" for x in letters[1:])])
    for row in c["figures"]:
        cells = ["" if v is None else repr(v) if isinstance(v, float) else v for v in row["values"]]
        cells += ["" if r is None else repr(float(r)) for r in row["ratios"][1:]]
        writer.writerow([row["figure"], row["unit"], *cells])
    return buffer.getvalue()


def fmt(value: Any) -> str:
    """A value for a table cell: numbers to 4 significant digits, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def ratio(value: float | None) -> str:
    return "-" if value is None else f"x{value:.3f}"


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>archsim compare</title>
<style>
body { font: 15px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1f2329; background: #f6f7f9;
       margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 16px 20px;
          margin: 16px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ratio { color: #5b616b; font-size: 13px; } code { font-size: 13px; }
</style></head><body><main>
<h1>archsim compare</h1>
<section><h2>Results</h2>
<table><tr><th></th><th>file</th><th>command</th><th>produced by</th></tr>
{% for run in c.runs %}<tr><th>{{ letters[loop.index0] }}</th><td><code>{{ run.label }}</code></td>
<td>{{ run.kind }}</td><td>{{ run.produced_by or "-" }}</td></tr>
{% endfor %}</table></section>
<section><h2>Configuration that differs</h2>
{% if c.differences %}<table><tr><th>field</th>{% for run in c.runs %}<th>{{ letters[loop.index0] }}</th>
{% endfor %}</tr>
{% for path, vals in c.differences %}<tr><td><code>{{ path }}</code></td>
{% for v in vals %}<td>{{ fmt(v) }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p>The results record the same configuration.</p>{% endif %}</section>
<section><h2>Headline figures</h2>
<table><tr><th>figure</th>{% for run in c.runs %}<th>{{ letters[loop.index0] }}</th>{% endfor %}</tr>
{% for row in c.figures %}<tr><td>{{ row.figure }}{% if row.unit %} ({{ row.unit }}){% endif %}</td>
{% for v in row["values"] %}<td class="num">{{ fmt(v) }}
{%- set r = row.ratios[loop.index0] %}{% if not loop.first and r is not none %}
<span class="ratio">{{ ratio(r) }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</table><p>Ratios are to A.</p></section>
</main></body></html>
"""
#: How the results are named in the tables (A is the reference of the ratios).
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_ENV = Environment(autoescape=True, undefined=StrictUndefined)


def html(c: dict[str, Any]) -> str:
    """The comparison as one self-contained HTML page."""
    return _ENV.from_string(_TEMPLATE).render(c=c, fmt=fmt, ratio=ratio, letters=LETTERS)
