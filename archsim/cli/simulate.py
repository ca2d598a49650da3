"""``archsim simulate``: throughput, latency, utilization and energy of a workload on a chip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archsim import atomic
from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_FAILURE
from archsim.cli.outputs import check_file, check_folder


def _table(result) -> Table:
    r = result
    table = Table(
        title=f"{r.workload} on {r.chip} with {r.rpu}: {r.schedule}, {r.streams} stream(s)", show_header=False
    )
    table.add_column("figure")
    table.add_column("value")
    table.add_row(
        "TeraOps/s",
        f"{r.teraops_per_s:.2f}  ({100 * r.peak_fraction:.2f} % of this mapping's ideal "
        f"{r.ideal_peak_teraops_per_s:.2f})",
    )
    table.add_row("TeraOps/W", f"{r.teraops_per_w:.2f}")
    for label, value in area_rows(r):
        table.add_row(label, value)
    if r.sample == "image":  # a window is one image
        table.add_row("time per image", f"{r.ns_per_sample / 1e3:.2f} us ({r.samples_per_s:,.0f} images/s)")
    else:
        table.add_row("time per char / window", f"{r.ns_per_char:.1f} ns / {r.ns_per_window / 1e3:.2f} us")
        if r.samples_per_s is not None:
            table.add_row("chars per second", f"{r.samples_per_s:,.0f}")
    table.add_row(
        "latency: step / window", f"{r.step_latency_ns:.0f} ns / {r.window_latency_ns / 1e3:.2f} us"
    )
    per = "images" if r.sample == "image" else "windows"
    table.add_row("epoch", f"{r.epoch_seconds:.3f} s ({r.windows_per_epoch} {per} per stream)")
    parts = ", ".join(f"{k} {100 * v:.1f} %" for k, v in r.breakdown.items() if v >= 5e-4)
    table.add_row(f"busiest array ({r.busiest_array})", parts)
    top = sorted(r.utilization.items(), key=lambda kv: -kv[1])[:6]
    table.add_row("utilization", ", ".join(f"{k} {100 * v:.0f} %" for k, v in top))
    energy = ", ".join(f"{k} {v / 1e3:.1f}" for k, v in r.energy_pj_per_char.items() if k != "total")
    table.add_row(f"energy per {r.sample}", f"{r.energy_pj_per_char['total'] / 1e3:.1f} nJ ({energy})")
    if r.run_energy is not None:
        e = r.run_energy
        table.add_row(
            "energy per epoch", f"{e.total_j:.3g} J: dynamic {e.dynamic_j:.3g}, static {e.static_j:.3g}"
        )
    layers = ", ".join(f"{a} {p['total'] / 1e3:.1f}" for a, p in r.energy_pj_per_char_by_array.items())
    table.add_row("energy by layer (nJ)", layers)
    m = r.memory
    cap = "unlimited" if m["capacity_bytes"] is None else f"{m['capacity_bytes'] / 2**20:.1f} MiB"
    table.add_row(
        "memory",
        f"peak {m['peak_occupancy_bytes'] / 2**20:.2f} MiB of {cap}; "
        f"{(m['bytes_written_per_window'] + m['bytes_read_per_window']) / 2**20:.2f} MiB moved per window",
    )
    s = r.steady_state
    table.add_row(
        "steady state",
        f"periodic every {s.period_windows} window(s) from window {s.first_periodic_window}"
        if s.periodic
        else s.note,
    )
    table.add_row(
        "simulated",
        f"{r.simulated_operations} operations, {r.simulated_events} events, {r.wall_seconds:.2f} s wall",
    )
    return table


def _parts(parts: dict[str, float], fmt: str) -> str:
    """The nonzero components of ``parts`` (with a "total"), largest first."""
    top = sorted(((k, v) for k, v in parts.items() if k != "total" and v > 0), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:{fmt}}" for k, v in top)


def area_rows(r) -> list[tuple[str, str]]:
    """Table rows of a chip result's area, density and static power (none for a result written
    before they existed); ``archsim cosim`` shows them too."""
    rows = []
    if r.area_mm2:
        area = r.area_mm2["total"]
        density = "" if r.teraops_per_s_per_mm2 is None else f"; {r.teraops_per_s_per_mm2:.3g} TeraOps/s/mm^2"
        rows.append(("area", f"{area:.4g} mm^2{density}"))
        if area > 0:
            rows.append(("area by part (mm^2)", _parts(r.area_mm2, ".3g")))
    if r.static_power_mw:
        power = r.static_power_mw["total"]
        parts = f" ({_parts(r.static_power_mw, '.3g')})" if power > 0 else ""
        rows.append(("static power", f"{power:.4g} mW{parts}"))
    return rows


@app.command("simulate")
def simulate_command(
    workload: Annotated[str, typer.Argument(help="Workload preset name or YAML path.")],
    chip: Annotated[str, typer.Option("--chip", help="Chip preset name or YAML path.")],
    rpu: Annotated[
        str,
        typer.Option(
            "--rpu",
            help="RPU preset name or YAML path: the design's DAC/ADC resolutions and update BL.",
        ),
    ] = "rpu-baseline",
    schedule: Annotated[str, typer.Option(help="sequential or dataflow.")] = "dataflow",
    streams: Annotated[int, typer.Option(help="Independent sequences in flight.")] = 1,
    windows: Annotated[
        int | None,
        typer.Option(help="Simulate exactly N windows per stream (default: until the schedule is periodic)."),
    ] = None,
    max_windows: Annotated[
        int | None,
        typer.Option(help="Look for a periodic schedule over at most N windows per stream (default: ~32)."),
    ] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")] = None,
    csv_file: opt.CsvFile = None,
    sets: opt.Overrides = None,
    trace: Annotated[Path | None, typer.Option(help="Write a Chrome trace-event JSON (Perfetto).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write result.json, trace.json and the report (index.html) into this folder."),
    ] = None,
    engine: opt.EngineOption = "lean",
    progress: opt.ShowProgress = True,
) -> None:
    """Simulate training WORKLOAD on a chip and RPU preset: TeraOps/s, latency, utilization, energy."""
    from archsim.config.chip import load_chip
    from archsim.config.design import Design
    from archsim.config.options import SimulateOptions
    from archsim.config.rpu import load_rpu
    from archsim.config.workload import load_workload

    options = opt.build_options(
        SimulateOptions,
        schedule=schedule,
        streams=streams,
        windows=windows,
        max_windows=max_windows,
        engine=engine,
    )
    design = Design(chip=opt.load("--chip", load_chip, chip), rpu=opt.load("--rpu", load_rpu, rpu))
    wl = opt.load("WORKLOAD", load_workload, workload)
    (wl, chip_cfg, rpu_cfg), overrides = opt.override(sets, workload=wl, chip=design.chip, rpu=design.rpu)
    design = Design(chip=chip_cfg, rpu=rpu_cfg)
    check_file(json_file, "--json")
    check_file(csv_file, "--csv")
    check_file(trace, "--trace")
    check_folder(out, "--out")
    result = execute(wl, design, options, json_file, trace, out, progress, csv_file, overrides)
    if any(f.level == "error" for f in result.findings):
        raise typer.Exit(EXIT_FAILURE)


def execute(
    wl, design, options, json_file: Path | None, trace: Path | None, out: Path | None, progress: bool,
    csv_file: Path | None = None, overrides: dict | None = None,
):  # fmt: skip
    """Simulate with a progress display (building the model, the windows, the figures, the files),
    print the figures, write what was asked for (result JSON and CSV, trace, the report in ``out``;
    the ``--set`` overrides in the record) and print the findings; returns the result. ``archsim
    rerun`` uses it too."""
    from archsim.chip.simulation import ChipRun
    from archsim.cli.progress import Phases

    console = Console()
    err = Console(stderr=True)
    k = options.streams
    with Phases(err, progress) as phases:
        phases.say(f"simulate {wl.name} on {design.chip.name}, {k} stream(s)")
        with phases.phase("build model"):
            run = ChipRun(wl, design, options.schedule, k, engine=options.engine)
        windows = phases.start("simulate", None, "windows", "" if options.windows else "until periodic")

        def on_round(done: int, rounds: int) -> None:
            windows.update(done * k, rounds * k)

        run.run(options.windows, options.max_windows, progress=on_round)
        period = run.scheduler.period
        note = "" if options.windows is not None else "periodic" if period else "no period found"
        windows.finish(note, len(run.scheduler.round_end) * k)
        with phases.phase("figures"):
            result = opt.recorded(run.result(), overrides)
        trace_paths = [p for p in (trace, out / "trace.json" if out else None) if p is not None]
        if json_file or csv_file or out or trace_paths:
            with phases.phase("write results"):
                for path in (json_file, out / "result.json" if out else None):
                    if path is not None:
                        result.write_json(path)
                if csv_file is not None:
                    result.write_csv(csv_file)
                if trace_paths:
                    text = json.dumps(run.trace())
                    for path in trace_paths:
                        atomic.write_text(path, text)
        if out is not None:
            from archsim.report import render

            with phases.phase("write report"):
                index = render(out)
    console.print(_table(result))
    if out is not None:
        console.print(f"report: {index}", highlight=False, soft_wrap=True)
    for f in result.findings:
        err.print(
            f"[red]{f.level}:[/red] {f.field}: {f.message}", markup=True, highlight=False, soft_wrap=True
        )
    return result
