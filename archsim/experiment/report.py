"""The experiment's report and status, from the run folders (and ``plan.json``) alone.

Per figure x workload x learning rate: the test-CE curves (per curve of the figure, the mean over
the finished seeds with a band of +- one standard deviation, each seed faint, unfinished runs
dashed) and a table of the final test CE (and, for an image network, the test error rate), mean +- sd
over the finished seeds and their number n.
A run is *finished* when it completed the characters its plan asked for (without a plan: when it
completed); finished runs of different lengths are separate rows. Runs not finished (interrupted,
running, or completed short of the plan) are listed as partial with their characters and last test
CE, diverged runs by seed: neither enters a mean. sd is the sample standard deviation (n - 1).

Writes ``DIR/report/index.html`` (self-contained: inline SVG, no script), ``summary.md`` (the
tables, ready to paste into a Markdown page) and ``summary.json`` (the tables and every run's curve).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsim.experiment.plan import FIGURES, Curve, RunKey
from archsim.experiment.runs import RunState, found, inspect, planned

REPORT_DIR = "report"
STATES = ("planned", "running", "interrupted", "completed", "diverged")
#: Width of ``archsim experiment status``'s table.
STATUS_WIDTH = 80


@dataclass
class Row:
    """One line of a figure's table: a curve of the figure (workload, RPU, dropout) over its seeds."""

    rpu: str
    dropout: float
    chars: int | None  # characters every finished seed trained (None: no finished seed)
    seeds: list[int] = field(default_factory=list)  # finished seeds
    finals: list[float] = field(default_factory=list)  # their final test CE, in seed order
    curve_chars: list[int] = field(default_factory=list)  # evaluation points all finished seeds share
    curve_mean: list[float] = field(default_factory=list)
    curve_sd: list[float | None] = field(default_factory=list)
    partial: list[dict[str, Any]] = field(default_factory=list)  # seed, state, chars, test_ce, of
    diverged: list[int] = field(default_factory=list)
    #: Where each diverged run stopped: seed, samples, last test CE and test error (None: an LSTM).
    diverged_at: list[dict[str, Any]] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # planned seeds not started
    runs: int = 0  # runs of this curve planned or found, in any state
    workload: str = ""  # the workload its runs train
    name: str = ""  # the curve's label
    errors: list[float] = field(default_factory=list)  # final test error rates (image networks)

    @property
    def n(self) -> int:
        return len(self.finals)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.finals) if self.finals else None

    @property
    def sd(self) -> float | None:
        return statistics.stdev(self.finals) if len(self.finals) > 1 else None

    @property
    def curve_key(self) -> tuple[str, str, float]:
        return (self.workload, self.rpu, self.dropout)


def mean_sd(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for a single value)."""
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def is_finished(run: RunState, target: int | None) -> bool:
    return run.state == "completed" and (target is None or run.chars >= target)


def curve_key(run: RunState) -> tuple[str, str, float]:
    return (run.key.workload, run.key.rpu, run.key.dropout)


def curves_of(fig: str, workload: str) -> list[tuple[tuple[str, str, float], str]]:
    """The curves of figure ``fig`` drawn for ``workload``: (the (workload, RPU, dropout) of its runs,
    its label), in order."""
    curves = FIGURES[fig].curves
    dropouts = any(c.dropout for c in curves)  # name the dropout where the figure varies it

    def name(c: Curve) -> str:
        return f"{c.label}, dropout {c.dropout:g}" if dropouts else c.label

    return [((c.run_workload(workload), c.rpu, c.dropout), name(c)) for c in curves]


def rows_of(runs: list[RunState], targets: dict[RunKey, int], curves) -> list[Row]:
    """The table rows of one figure x workload x learning rate: ``runs`` are its runs (any state),
    ``curves`` the figure's curves as :func:`curves_of` gives them."""
    out: list[Row] = []
    for (workload, rpu, dropout), name in curves:
        mine = sorted((r for r in runs if curve_key(r) == (workload, rpu, dropout)), key=lambda r: r.key.seed)
        finished = [r for r in mine if is_finished(r, targets.get(r.key))]
        lengths = sorted({r.chars for r in finished}) or [None]
        for chars in lengths:
            row = Row(rpu, dropout, chars, runs=len(mine), workload=workload, name=name)
            done = [r for r in finished if r.chars == chars]
            row.seeds = [r.key.seed for r in done]
            row.finals = [r.test_ce for r in done]
            row.errors = [r.test_error for r in done if r.test_error is not None]
            if done:
                shared = set.intersection(*({c for c, _ in r.curve} for r in done))
                row.curve_chars = sorted(shared)
                for c in row.curve_chars:
                    m, sd = mean_sd([dict(r.curve)[c] for r in done])
                    row.curve_mean.append(m)
                    row.curve_sd.append(sd)
            if chars == lengths[0]:  # the runs that are not finished go with the first row
                for r in mine:
                    if r.state == "diverged":
                        row.diverged.append(r.key.seed)
                        row.diverged_at.append(
                            {
                                "seed": r.key.seed,
                                "chars": r.chars,
                                "test_ce": r.test_ce,
                                "test_error": r.test_error,
                            }
                        )
                    elif r.state == "planned":
                        row.missing.append(r.key.seed)
                    elif not is_finished(r, targets.get(r.key)):
                        row.partial.append(
                            {
                                "seed": r.key.seed,
                                "state": r.state,
                                "chars": r.chars,
                                "of": targets.get(r.key),
                                "test_ce": r.test_ce,
                                "test_error": r.test_error,
                            }
                        )
            out.append(row)
    return out


@dataclass
class Group:
    """One figure on one workload at one learning rate."""

    fig: str
    workload: str
    lr: float
    rows: list[Row]
    runs: list[RunState]

    @property
    def title(self) -> str:
        return f"{self.fig}, {self.workload}, lr {self.lr:g}"

    @property
    def image(self) -> bool:
        """An image network's group: its runs report a test error rate, and count images."""
        return any(r.test_error is not None for r in self.runs)

    @property
    def unit(self) -> str:
        return "image" if self.image else "char"


def collect(out: Path) -> tuple[list[RunState], dict[RunKey, int]]:
    """Every run planned in ``out/plan.json`` or found in ``out/runs``, and the planned targets."""
    targets = planned(out)
    keys = list(dict.fromkeys([*targets, *found(out)]))
    return [inspect(out, key) for key in keys], targets


def groups(runs: list[RunState], targets: dict[RunKey, int], figs: list[str]) -> list[Group]:
    """The groups (figure x workload x learning rate) that have at least one run of the figure. A
    figure with its own workload is drawn for it; the others for every workload found, where they
    have a run that is not one of the former's (an fp run of the CNN sequence alone does not make a
    Fig. 3 of cnn2-fmnist)."""
    out = []
    workloads = list(dict.fromkeys(r.key.workload for r in runs))
    owned = {key for fig in figs if FIGURES[fig].workload for key, _ in curves_of(fig, FIGURES[fig].workload)}
    for fig in figs:
        own = FIGURES[fig].workload
        for wl in [own] if own else workloads:
            curves = curves_of(fig, wl)
            keys = {key for key, _ in curves}
            for lr in sorted({r.key.lr for r in runs if curve_key(r) in keys}):
                mine = [r for r in runs if r.key.lr == lr and curve_key(r) in keys]
                if own is None and all(curve_key(r) in owned for r in mine):
                    continue
                out.append(Group(fig, wl, lr, rows_of(mine, targets, curves), mine))
    return out


# -- text ---------------------------------------------------------------------------------------------


def label(fig: str, row: Row) -> str:
    return row.name


def _ce(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def mean_text(row: Row) -> str:
    if row.mean is None:
        return "-"
    return f"{row.mean:.3f} +- {row.sd:.3f}" if row.sd is not None else f"{row.mean:.3f} (one seed)"


def error_text(row: Row) -> str:
    """The final test error rate in percent, mean +- sd over the finished seeds (image networks)."""
    if not row.errors:
        return "-"
    mean, sd = mean_sd(row.errors)
    return f"{100 * mean:.2f} % +- {100 * sd:.2f}" if sd is not None else f"{100 * mean:.2f} % (one seed)"


def _chars(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def others_text(row: Row, unit: str = "char") -> str:
    """The runs of a row that are not in its mean: partial, diverged, not started (samples: ``unit``s)."""
    parts = []
    for p in row.partial:
        of = f" of {p['of']:,}" if p["of"] else ""
        err = "" if p.get("test_error") is None else f", test error {100 * p['test_error']:.2f} %"
        parts.append(
            f"s{p['seed']} {p['state']} at {p['chars']:,}{of} {unit}s, test CE {_ce(p['test_ce'])}{err}"
        )
    if row.diverged:
        # An image network's diverged runs (worse than guessing at the end) say how bad they were.
        images = [d for d in row.diverged_at if d["test_error"] is not None]
        if images:
            parts.append(
                "diverged: "
                + ", ".join(
                    f"s{d['seed']} at {d['chars']:,} {unit}s (test CE {_ce(d['test_ce'])}, test error "
                    f"{100 * d['test_error']:.2f} %)"
                    for d in images
                )
            )
        else:
            parts.append("diverged: " + ", ".join(f"s{s}" for s in row.diverged))
    if row.missing:
        parts.append("not started: " + ", ".join(f"s{s}" for s in row.missing))
    if not row.runs:
        parts.append("no run")
    return "; ".join(parts)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(groups_: list[Group]) -> str:
    out = [
        "# Experiment summary",
        "",
        "Final test CE (nats per character, or per image for an image network) and, for an image",
        "network, test error rate: mean +- sample sd over the finished seeds (n); runs not finished",
        "are listed apart and are in no mean.",
        "",
    ]
    for g in groups_:
        out += [f"### {g.title}", "", f"{FIGURES[g.fig].title}.", ""]
        err = ["test error, mean +- sd"] if g.image else []
        head = ["curve", *err, f"test CE (nats/{g.unit}), mean +- sd", "n", "seeds", f"{g.unit}s"]
        out += ["| " + " | ".join([*head, "not in the mean"]) + " |", "|---" * (len(head) + 1) + "|"]
        for row in g.rows:
            cells = [
                label(g.fig, row),
                *([error_text(row)] if g.image else []),
                mean_text(row),
                str(row.n),
                ", ".join(map(str, row.seeds)) or "-",
                _chars(row.chars),
                others_text(row, g.unit) or "-",
            ]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    if not groups_:
        out += ["No runs found.", ""]
    return "\n".join(out)


def summary_json(groups_: list[Group], runs: list[RunState], targets: dict[RunKey, int]) -> dict[str, Any]:
    def row_dict(g: Group, row: Row) -> dict[str, Any]:
        return {
            "curve": label(g.fig, row),
            "workload": row.workload,
            "rpu": row.rpu,
            "dropout": row.dropout,
            "chars": row.chars,
            "n": row.n,
            "seeds": row.seeds,
            "test_ce": row.finals,
            "test_ce_mean": row.mean,
            "test_ce_sd": row.sd,
            "test_error": row.errors,
            "test_error_mean": mean_sd(row.errors)[0] if row.errors else None,
            "test_error_sd": mean_sd(row.errors)[1] if row.errors else None,
            "curve_chars": row.curve_chars,
            "curve_mean": row.curve_mean,
            "curve_sd": row.curve_sd,
            "partial": row.partial,
            "diverged": row.diverged,
            "diverged_at": row.diverged_at,
            "not_started": row.missing,
        }

    return {
        "groups": [
            {
                "figure": g.fig,
                "workload": g.workload,
                "lr": g.lr,
                "unit": g.unit,
                "rows": [row_dict(g, r) for r in g.rows],
            }
            for g in groups_
        ],
        "runs": [
            {
                "folder": r.key.folder,
                "workload": r.key.workload,
                "rpu": r.key.rpu,
                "lr": r.key.lr,
                "dropout": r.key.dropout,
                "seed": r.key.seed,
                "state": r.state,
                "chars": r.chars,
                "target_chars": targets.get(r.key),
                "test_ce": r.test_ce,
                "test_error": r.test_error,
                "curve": [list(p) for p in r.curve],
                "curve_error": r.curve_error,
            }
            for r in runs
        ],
    }


def _count(n: int) -> str:
    """A number of samples in at most 7 characters: 1.234M, 60.0k, 200."""
    return f"{n / 1e6:.3f}M" if n >= 1_000_000 else f"{n / 1e3:.1f}k" if n >= 1000 else str(n)


def status_table(out: Path) -> str:
    """The runs of ``out`` as an 80-column table: state, samples (characters, or images for an image
    network; of the plan's), last test CE."""
    runs, targets = collect(out)
    widths = (42, 11, 17, 7)
    w = widths
    head = f"{'run':<{w[0]}} {'state':<{w[1]}} {'samples (of plan)':>{w[2]}} {'test CE':>{w[3]}}"
    lines = [head, "-" * len(head)]
    for r in runs:
        name = r.key.folder
        if len(name) > widths[0]:
            name = "..." + name[-(widths[0] - 3) :]
        target = targets.get(r.key)
        chars = _count(r.chars) + (f"/{_count(target)}" if target else "")
        state = r.state if not (r.state == "completed" and target and r.chars < target) else "short"
        lines.append(
            f"{name:<{widths[0]}} {state:<{widths[1]}} {chars:>{widths[2]}} {_ce(r.test_ce):>{widths[3]}}"
        )
    counts = {s: sum(r.state == s for r in runs) for s in STATES}
    total = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines.append(f"{len(runs)} runs: {total or 'none planned or found'}")
    problems = [f"{r.key.folder}: {r.problem}" for r in runs if r.problem]
    return "\n".join([line[:STATUS_WIDTH] for line in lines] + problems)


# -- the page -----------------------------------------------------------------------------------------


def chart(g: Group) -> str:
    """The test-CE curves of a group as an inline ``<svg>``: per row the mean over the finished
    seeds with a +- sd band, each finished seed faint, partial runs dashed."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    from archsim.report.charts import STYLE, _svg

    with rc_context(STYLE):
        fig = Figure(figsize=(10.0, 4.2), layout="constrained")
        ax = fig.subplots()
        colors = [f"C{i}" for i in range(10)]
        by_seed = {(curve_key(r), r.key.seed): r for r in g.runs}
        trained: list[float] = []  # test CE of the points drawn after training began
        for i, row in enumerate(g.rows):
            color = colors[i % len(colors)]
            name = label(g.fig, row)
            for seed in row.seeds:
                run = by_seed[row.curve_key, seed]
                trained += [ce for c, ce in run.curve if c > 0]
                ax.plot(*zip(*run.curve, strict=True), color=color, alpha=0.25, linewidth=0.8)
            if row.curve_chars:
                ax.plot(
                    row.curve_chars,
                    row.curve_mean,
                    color=color,
                    linewidth=1.8,
                    marker="o",
                    markersize=3,
                    label=f"{name} (mean of {row.n})",
                )
                if row.n > 1:
                    low = [m - s for m, s in zip(row.curve_mean, row.curve_sd, strict=True)]
                    high = [m + s for m, s in zip(row.curve_mean, row.curve_sd, strict=True)]
                    ax.fill_between(row.curve_chars, low, high, color=color, alpha=0.15, linewidth=0)
            for p in row.partial:
                run = by_seed[row.curve_key, p["seed"]]
                trained += [ce for c, ce in run.curve if c > 0]
                if run.curve:
                    ax.plot(
                        *zip(*run.curve, strict=True),
                        color=color,
                        linestyle="--",
                        linewidth=1.0,
                        label=f"{name} s{p['seed']} ({p['state']})",
                    )
        # The untrained point (about ln V) would squash the rest: the axis shows the trained points.
        if trained:
            low, high = min(trained), max(trained)
            pad = 0.08 * (high - low) or 0.05
            ax.set_ylim(low - pad, high + pad)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_xlabel(f"training {g.unit}s")
        ax.set_ylabel(f"test cross-entropy (nats/{g.unit})")
        ax.set_title(g.title)
        if ax.lines:
            ax.legend(fontsize=8, loc="upper right")
        prefix = f"svg-{g.fig}-{g.workload}-lr{g.lr:g}".replace(".", "_")
        return _svg(fig, prefix)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>archsim experiment</title>
<style>
body { font: 15px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1f2329; background: #f6f7f9; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 16px 20px;
          margin: 16px 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 0; } figure svg { display: block; width: 100%; height: auto; }
.note { color: #5b616b; font-size: 13.5px; }
</style></head><body><main>
<h1>archsim experiment</h1>
<p class="note">{{ runs }} runs: {{ counts }}. Final test CE in nats per character (per image for an
image network, with the test error rate beside it): mean &plusmn; sample
standard deviation over the finished seeds (n). Curves: the mean over the finished seeds (band:
&plusmn; one sd), each seed faint; runs not finished dashed, and in no mean; the axis shows the
points after training began (the first, untrained one is off the top). Data: summary.json;
tables: summary.md.</p>
{% for g in groups %}
<section id="{{ g.id }}">
<h2>{{ g.title }}</h2>
<p class="note">{{ g.caption }}</p>
<figure>{{ g.svg }}</figure>
<table><tr><th>curve</th>{% if g.image %}<th>test error, mean &plusmn; sd</th>{% endif %}
<th>test CE (nats/{{ g.unit }}), mean &plusmn; sd</th><th>n</th><th>seeds</th><th>{{ g.unit }}s</th>
<th>not in the mean</th></tr>
{% for r in g.rows %}<tr><td>{{ r.label }}</td>{% if g.image %}<td class="num">{{ r.error }}</td>{% endif %}
<td class="num">{{ r.mean }}</td><td class="num">{{ r.n }}</td>
<td>{{ r.seeds }}</td><td class="num">{{ r.chars }}</td><td>{{ r.others }}</td></tr>
{% endfor %}</table>
</section>
{% else %}<section><p>No runs found.</p></section>
{% endfor %}
</main></body></html>
"""


def page(groups_: list[Group], runs: list[RunState]) -> str:
    from jinja2 import Environment, StrictUndefined
    from markupsafe import Markup

    counts = {s: sum(r.state == s for r in runs) for s in STATES}
    data = [
        {
            "id": f"{g.fig}-{g.workload}-lr{g.lr:g}",
            "title": g.title,
            "caption": FIGURES[g.fig].title,
            "image": g.image,
            "unit": g.unit,
            "svg": Markup(chart(g)),
            "rows": [
                {
                    "label": label(g.fig, row),
                    "mean": mean_text(row),
                    "error": error_text(row),
                    "n": row.n,
                    "seeds": ", ".join(map(str, row.seeds)) or "-",
                    "chars": _chars(row.chars),
                    "others": others_text(row, g.unit) or "-",
                }
                for row in g.rows
            ],
        }
        for g in groups_
    ]
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(TEMPLATE).render(
        groups=data, runs=len(runs), counts=", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    )


def write_report(out: Path, figs: list[str]) -> Path:
    """Write ``out/report/`` (index.html, summary.md, summary.json); returns the page's path.
    Everything is drawn before anything is written, and each file is written atomically."""
    from archsim import atomic

    runs, targets = collect(out)
    gs = groups(runs, targets, figs)
    html, md = page(gs, runs), markdown(gs)
    data = json.dumps(summary_json(gs, runs, targets), indent=1, allow_nan=False) + "\n"
    folder = Path(out) / REPORT_DIR
    atomic.write_text(folder / "summary.json", data)
    atomic.write_text(folder / "summary.md", md)
    return atomic.write_text(folder / "index.html", html)
