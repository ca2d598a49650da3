"""The paper's figures as runs: which (RPU preset, dropout) each figure trains, the run ids and folders.

A run is one ``archsim train`` of a workload with an RPU preset, a learning rate, a dropout and a
seed. Its folder is ``DIR/runs/WORKLOAD/RPU-lrLR-dDROPOUT-sSEED`` (LR and DROPOUT written with
``%g``), holding exactly what ``archsim train --out`` writes there, so a run started by hand with
``archsim train`` is adopted as it is. Figures share runs: the dropout-0 runs of Fig. 4 are runs of
Fig. 3, and rpu-7bit at dropout 0 is in all three; a shared run is planned, and trained, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: (RPU preset, dropout) of every curve of each figure, in the order they are run and drawn.
FIGURES: dict[str, tuple[tuple[str, float], ...]] = {
    "fig3": (("fp", 0.0), ("rpu-baseline", 0.0), ("rpu-7bit", 0.0), ("rpu-5bit-sr", 0.0)),
    "fig4": tuple((rpu, p) for rpu in ("fp", "rpu-7bit") for p in (0.0, 0.2, 0.4)),
    # The states ablation (dw_min / 4) is compared with update management on (the *-um presets say
    # why), against rpu-7bit-um; the other ablations against rpu-7bit.
    "fig5": (
        ("rpu-7bit", 0.0),
        ("no-variation", 0.0),
        ("symmetric", 0.0),
        ("rpu-7bit-um", 0.0),
        ("4x-states-um", 0.0),
        ("symmetric-4x-states-um", 0.0),
    ),
}
TITLES = {
    "fig3": "Fig. 3: input resolution and rounding "
    "(FP, 5-bit RPU baseline, 7-bit, 5-bit stochastic rounding)",
    "fig4": "Fig. 4: dropout 0 / 0.2 / 0.4, FP and rpu-7bit",
    "fig5": "Fig. 5: device ablations at 7 bits (states ablation with update management)",
}

#: A run id: RPU-lrLR-dDROPOUT-sSEED.
_RUN_ID = re.compile(r"(?P<rpu>.+)-lr(?P<lr>[0-9.e+-]+)-d(?P<dropout>[0-9.e+-]+)-s(?P<seed>\d+)")


@dataclass(frozen=True, order=True)
class RunKey:
    """One run of an experiment."""

    workload: str  # the workload's name (a preset name, or the name in a workload file)
    rpu: str  # RPU preset name
    lr: float
    dropout: float
    seed: int

    @property
    def run_id(self) -> str:
        return run_id(self.rpu, self.lr, self.dropout, self.seed)

    @property
    def folder(self) -> str:
        """The run's folder under ``DIR/runs``."""
        return f"{self.workload}/{self.run_id}"

    @property
    def config(self) -> tuple[str, float]:
        """(RPU preset, dropout): what a figure's curve is."""
        return (self.rpu, self.dropout)


def run_id(rpu: str, lr: float, dropout: float, seed: int) -> str:
    return f"{rpu}-lr{lr:g}-d{dropout:g}-s{seed}"


def parse_run_id(workload: str, name: str) -> RunKey | None:
    """The run of a folder name (None: not a run folder's name)."""
    m = _RUN_ID.fullmatch(name)
    if m is None:
        return None
    try:
        key = RunKey(workload, m["rpu"], float(m["lr"]), float(m["dropout"]), int(m["seed"]))
    except ValueError:
        return None
    return key if key.run_id == name else None  # only the canonical spelling


def plan(figs: list[str], workloads: list[str], lrs: list[float], seeds: list[int]) -> list[RunKey]:
    """The runs of ``figs`` x ``workloads`` x ``lrs`` x ``seeds``, each once, in the order they are
    trained: by workload, learning rate, seed, then the figures' curves."""
    runs: dict[RunKey, None] = {}
    for workload in workloads:
        for lr in lrs:
            for seed in seeds:
                for fig in figs:
                    for rpu, dropout in FIGURES[fig]:
                        runs[RunKey(workload, rpu, lr, dropout, seed)] = None
    return list(runs)


def parse_figs(text: str) -> list[str]:
    """``fig3,fig5`` as a list; ValueError names an unknown figure and the known ones."""
    figs = _items(text)
    if not figs:
        raise ValueError(f"expected a comma-separated list of figures out of {', '.join(FIGURES)}")
    for fig in figs:
        if fig not in FIGURES:
            raise ValueError(f"unknown figure {fig!r}; expected some of {', '.join(FIGURES)}")
    return list(dict.fromkeys(figs))


def parse_lrs(text: str) -> list[float]:
    lrs = []
    for item in _items(text):
        try:
            lr = float(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a number") from None
        if not 0 < lr < float("inf"):
            raise ValueError(f"a learning rate must be a finite number > 0, got {item}")
        lrs.append(lr)
    if not lrs:
        raise ValueError("expected a comma-separated list of learning rates (e.g. 0.01,0.02)")
    return list(dict.fromkeys(lrs))


def parse_seeds(text: str) -> list[int]:
    seeds = []
    for item in _items(text):
        if not item.isdigit():
            raise ValueError(f"{item!r} is not a seed (an integer >= 0)")
        seeds.append(int(item))
    if not seeds:
        raise ValueError("expected a comma-separated list of seeds (e.g. 0,1,2)")
    return list(dict.fromkeys(seeds))


def parse_names(text: str, what: str) -> list[str]:
    names = _items(text)
    if not names:
        raise ValueError(f"expected a comma-separated list of {what}")
    return list(dict.fromkeys(names))


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
