"""What a worker runs for one point: a pure function of the point's configuration to plain data.

A point that raises is returned as ``failed`` with its error text (the sweep goes on); the
headline figures are the columns of the results table (see docs/sweep.md).
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from typing import Any

from archsim.results import ChipResult
from archsim.sweep.spec import PointConfig

#: Headline figures, one column each in the results table; None where a command does not give it.
FIGURES = (
    "teraops_per_s",
    "ideal_peak_teraops_per_s",
    "peak_fraction",
    "teraops_per_w",
    "ns_per_char",
    "ns_per_window",
    "step_latency_ns",
    "window_latency_ns",
    "epoch_seconds",
    "energy_pj_per_char_total",
    "area_mm2",
    "teraops_per_s_per_mm2",
    "static_power_mw",
    "run_energy_j",
    "run_static_energy_j",
    "peak_memory_bytes",
    "memory_fits",
    "error_findings",
    "test_ce",
    "ns_per_sample",
    "samples_per_s",
    "test_error",
)


def chip_figures(r: ChipResult) -> dict[str, Any]:
    """The headline figures of a chip result."""
    return {
        "teraops_per_s": r.teraops_per_s,
        "ideal_peak_teraops_per_s": r.ideal_peak_teraops_per_s,
        "peak_fraction": r.peak_fraction,
        "teraops_per_w": r.teraops_per_w,
        "ns_per_char": r.ns_per_char,
        "ns_per_window": r.ns_per_window,
        "step_latency_ns": r.step_latency_ns,
        "window_latency_ns": r.window_latency_ns,
        "epoch_seconds": r.epoch_seconds,
        "energy_pj_per_char_total": r.energy_pj_per_char.get("total"),
        "area_mm2": r.area_mm2.get("total"),
        "teraops_per_s_per_mm2": r.teraops_per_s_per_mm2,
        "static_power_mw": r.static_power_mw.get("total"),
        # simulate: over an epoch; cosim: over the co-simulated windows
        "run_energy_j": r.run_energy.total_j if r.run_energy else None,
        "run_static_energy_j": r.run_energy.static_j if r.run_energy else None,
        "peak_memory_bytes": r.memory.get("peak_occupancy_bytes"),
        "memory_fits": r.memory.get("fits"),
        "error_findings": sum(f.level == "error" for f in r.findings),
        # a sample is a character (LSTMs) or an image (image networks)
        "ns_per_sample": r.ns_per_sample,
        "samples_per_s": r.samples_per_s,
    }


def _worker_name() -> str:
    """The Dask worker's address, or the host name outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return socket.gethostname()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _execute(config: PointConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    command = config.command
    if command.kind == "simulate":
        from archsim.chip import simulate
        from archsim.config.design import Design

        run = simulate(
            config.workload, Design(chip=config.chip, rpu=config.rpu), command.schedule, command.streams,
            windows=command.windows, max_windows=command.max_windows, engine=command.engine,
        )  # fmt: skip
        result = run.result()
        return {**chip_figures(result), "test_ce": None, "test_error": None}, result.to_dict()
    from archsim.sweep.cosim_adapter import run_cosim

    chip_result, test_ce, data = run_cosim(config)
    curve = data.get("train", {}).get("curve") or [{}]
    test_error = curve[-1].get("test_error")  # image networks
    return {**chip_figures(chip_result), "test_ce": test_ce, "test_error": test_error}, data


def run_point(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one point (``Point.payload()``); never raises for a failure of the point itself."""
    started, t0 = _now(), time.perf_counter()
    out: dict[str, Any] = {
        "point_id": payload["point_id"],
        "started_at": started,
        "worker": _worker_name(),
    }
    try:
        from archsim.threads import limit_blas

        limit_blas()  # a worker's BLAS on one thread (ARCHSIM_BLAS_THREADS allows more), as the CLI's
        config = PointConfig.model_validate(payload["config"])
        figures, result = _execute(config)
        out.update(status="done", error=None, figures=figures, result=result)
    except Exception as err:  # a failing point is a result, not the end of the sweep
        text = str(err).strip() or type(err).__name__
        out.update(status="failed", error=f"{type(err).__name__}: {text}", figures={}, result=None)
    out["finished_at"] = _now()
    out["wall_seconds"] = time.perf_counter() - t0
    return out
