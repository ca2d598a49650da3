"""The Chrome trace-event JSON of a finished simulation (opens in Perfetto): one complete event per
timed operation, one process per unit class and one thread per unit.

Every operation carries its category (``cat``: forward, backward, update, transfer, nlf, memory)
and, as structured ``args``, the array (layer), step, stream, window, training phase and passes (an
update: its pulse-train length ``bl``), so
that readers need not decode them from the name (``f_mvm lstm1 t3``, kept for people).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archsim.chip.graph import VERB_CLASS

if TYPE_CHECKING:
    from archsim.chip.simulation import ChipRun

#: Trace category of each hardware verb.
CATEGORY = {
    "forward": "forward",
    "backward": "backward",
    "update": "update",
    "transfer": "transfer",
    "activate": "nlf",
    "accumulate": "nlf",
    "store": "memory",
    "load": "memory",
}

#: Training phase of an operation, from the first letter of its graph key (``f_mvm``, ``b_nlf``, ...).
PHASES = {"f": "forward", "b": "backward", "u": "update"}


def chrome_trace(run: ChipRun, windows: int | None = None) -> list[dict]:
    """Trace events in microseconds of the first ``windows`` windows of every stream (None: all)."""
    s = run.scheduler
    cg = s.cg
    units = run.chip.units
    us = 1e-3 / run.config.clock_ghz
    classes = sorted({VERB_CLASS[v] for v in cg.verb})
    pid = {c: n + 1 for n, c in enumerate(classes)}
    events: list[dict] = [
        {"name": "process_name", "ph": "M", "pid": pid[c], "tid": 0, "args": {"name": c}} for c in classes
    ]
    for n, u in enumerate(units):
        if u.kind in pid:
            events.append(
                {"name": "thread_name", "ph": "M", "pid": pid[u.kind], "tid": n, "args": {"name": u.name}}
            )
    for (stream, window), rec in sorted(s.records.items()):
        if windows is not None and window >= windows:
            continue
        for i in range(cg.n):
            if rec.start[i] >= 0 and rec.end[i] > rec.start[i]:
                key = cg.keys[i]
                events.append(
                    {
                        "name": f"{key[0]} {key[1]} t{key[2]}",
                        "cat": CATEGORY[cg.verb[i]],
                        "ph": "X",
                        "ts": rec.start[i] * us,
                        "dur": (rec.end[i] - rec.start[i]) * us,
                        "pid": pid[cg.unit_class[i]],
                        "tid": cg.unit[i],
                        "args": {
                            "array": key[1],
                            "step": key[2],
                            "stream": stream,
                            "window": window,
                            "phase": PHASES.get(key[0][:1], "other"),
                            **(
                                {"bl": rec.passes[i]} if cg.verb[i] == "update" else {"passes": rec.passes[i]}
                            ),
                        },
                    }
                )
    return events
