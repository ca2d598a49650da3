"""The short Markdown summary of a report (``summary.md``)."""

from __future__ import annotations

from typing import Any

from archsim.report import figures as F


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict[str, Any]]) -> list[str]:
    return [
        "| figure | value |",
        "|---|---|",
        *(f"| {_cell(r['figure'])} | {_cell(r['text'])} |" for r in rows),
    ]


def summary(figs: dict[str, Any]) -> str:
    """Headline figures, findings, and the gist of every chart, as Markdown."""
    out = [f"# {figs['title']}", ""]
    if figs["subtitle"]:
        out += [figs["subtitle"], ""]
    if figs["findings"]:
        out += ["## Findings", ""]
        out += [f"- **{x['level']}** `{x['field']}`: {x['message']}" for x in figs["findings"]]
        out.append("")
    if figs["chip_headline"]:
        out += ["## Chip", "", *_table(figs["chip_headline"]), ""]
    if figs.get("design"):
        rows = [{"figure": r["parameter"], "text": r["value"]} for r in figs["design"]]
        out += ["## What ran", "", *_table(rows), ""]
    charts = figs["charts"]
    if F.UTILIZATION in charts:
        u = charts[F.UTILIZATION]
        top = sorted(zip(u["units"], u["fraction"], strict=True), key=lambda kv: -kv[1])[:8]
        out += ["Busiest units: " + ", ".join(f"{k} {100 * v:.1f} %" for k, v in top) + ".", ""]
    if F.BREAKDOWN in charts:
        b = charts[F.BREAKDOWN]
        i = b["arrays"].index(b["busiest"])
        parts = [
            f"{label} {100 * b['fraction'][k][i]:.1f} %"
            for k, label in zip(b["categories"], b["labels"], strict=True)
            if b["fraction"][k][i] >= 5e-4
        ]
        out += [f"Time of the busiest array ({b['busiest']}): " + ", ".join(parts) + ".", ""]
        if b["note"]:
            out += [b["note"] + ".", ""]
    if F.ENERGY in charts:
        e = charts[F.ENERGY]
        parts = [
            f"{c} {v:,.4g} nJ ({100 * s:.0f} %)"
            for c, v, s in zip(e["components"], e["nj_per_char"], e["share"], strict=True)
        ]
        out += [f"Energy per character {e['total_nj_per_char']:,.4g} nJ: " + ", ".join(parts) + ".", ""]
    if F.GANTT in charts:
        out += [f"Pipeline timeline. {charts[F.GANTT]['note']}.", ""]
    if figs["train_headline"]:
        out += ["## Training", "", *_table(figs["train_headline"]), ""]
    if F.CE_CHARS in charts:
        c = charts[F.CE_CHARS]
        chip = charts.get(F.CE_CHIP_TIME)
        times = dict(zip(chip["chars"], chip["chip_seconds"], strict=True)) if chip else {}
        scale, unit = (1e3, "ms") if times and max(times.values()) < 1 else (1.0, "s")
        images = c.get("unit") == "images"
        errors = c.get("test_error") or [None] * len(c["chars"])
        per = "image" if images else "char"
        head = f"| {'images' if images else 'chars'} | test CE (nats/{per}) | train CE |"
        head += " test error |" * images + (f" chip time ({unit}) |" if times else "")
        out += [head, "|---|---|---|" + "---|" * images + ("---|" if times else "")]
        for chars, test, train, error in zip(c["chars"], c["test_ce"], c["train_ce"], errors, strict=True):
            row = f"| {chars:,} | {'n/a' if test is None else f'{test:.4f}'} | "
            row += f"{'' if train is None else f'{train:.4f}'} |"
            if images:
                row += f" {'' if error is None else f'{100 * error:.1f} %'} |"
            if times:
                t = times.get(chars)
                row += f" {'' if t is None else f'{t * scale:.4g}'} |"
            out.append(row)
        out.append("")
    out += ["The full report: `index.html`; the plotted data: `figures.json`.", ""]
    return "\n".join(out)
