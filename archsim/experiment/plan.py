"""The paper's figures as runs: which curves (RPU preset, dropout, workload) each figure trains, the
run ids and folders.

A run is one ``archsim train`` of a workload with an RPU preset, a learning rate, a dropout and a
seed. Its folder is ``DIR/runs/WORKLOAD/RPU-lrLR-dDROPOUT-sSEED`` (LR and DROPOUT written with
``%g``), holding exactly what ``archsim train --out`` writes there, so a run started by hand with
``archsim train`` is adopted as it is. Figures share runs: the dropout-0 runs of Fig. 4 are runs of
Fig. 3, and rpu-7bit at dropout 0 is in all three; a shared run is planned, and trained, once.
Figs. 3-5 are drawn for each workload of ``--workloads``; the CNN sequence (``cnn``) has its own
workload, cnn2-fmnist, and its last curve trains a variant of it (cnn2-fmnist-k1-devices).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    """One curve of a figure: runs of an RPU preset at a dropout, on the figure's workload or on a
    variant of it that the curve names (the CNN sequence's last step changes the workload, not
    the RPU preset)."""

    rpu: str
    dropout: float = 0.0
    workload: str | None = None  # the curve's own workload preset (None: the figure's)

    def run_workload(self, base: str) -> str:
        """The workload this curve's runs train when its figure is drawn for ``base``."""
        return self.workload or base

    @property
    def label(self) -> str:
        return self.rpu if self.workload is None else f"{self.rpu} on {self.workload}"


@dataclass(frozen=True)
class Figure:
    """A figure of the paper as runs: its curves, in the order they are run and drawn."""

    title: str
    curves: tuple[Curve, ...]
    #: The figure's own workload preset; None: it is drawn for each workload of ``--workloads``.
    workload: str | None = None

    @property
    def workloads(self) -> tuple[str, ...]:
        """The workloads of a figure with its own workload: its own and its curves' variants."""
        if self.workload is None:
            return ()
        return tuple(dict.fromkeys(c.run_workload(self.workload) for c in self.curves))


#: The paper's figures: Figs. 3-5 of Gokmen, Rasch & Haensch (2018) over the ``--workloads``, and
#: the sequence of Gokmen, Onen & Haensch (2017) on cnn2-fmnist (docs/cnn.md).
FIGURES: dict[str, Figure] = {
    "fig3": Figure(
        "Fig. 3: input resolution and rounding (FP, 5-bit RPU baseline, 7-bit, 5-bit stochastic rounding)",
        (Curve("fp"), Curve("rpu-baseline"), Curve("rpu-7bit"), Curve("rpu-5bit-sr")),
    ),
    "fig4": Figure(
        "Fig. 4: dropout 0 / 0.2 / 0.4, FP and rpu-7bit",
        tuple(Curve(rpu, p) for rpu in ("fp", "rpu-7bit") for p in (0.0, 0.2, 0.4)),
    ),
    # The states ablation (dw_min / 4) is compared with update management on (the *-um presets say
    # why), against rpu-7bit-um; the other ablations against rpu-7bit.
    "fig5": Figure(
        "Fig. 5: device ablations at 7 bits (states ablation with update management)",
        tuple(
            Curve(rpu)
            for rpu in (
                "rpu-7bit",
                "no-variation",
                "symmetric",
                "rpu-7bit-um",
                "4x-states-um",
                "symmetric-4x-states-um",
            )
        ),
    ),
    "cnn": Figure(
        "CNN sequence (Gokmen, Onen & Haensch 2017): FP; RPU baseline; + noise and bound management; "
        "+ update management; + device-variability reduction in K1 (cnn2-fmnist-k1-devices)",
        (
            Curve("fp"),
            Curve("cnn-rpu-baseline"),
            Curve("cnn-rpu-nmbm"),
            Curve("cnn-rpu-um"),
            Curve("cnn-rpu-um", workload="cnn2-fmnist-k1-devices"),
        ),
        workload="cnn2-fmnist",
    ),
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


def drawn(figs: list[str], workloads: list[str]) -> list[tuple[str, str]]:
    """(figure, workload) of every figure drawn: a figure with its own workload for that workload,
    the others for each of ``workloads``."""
    pairs = [(fig, wl) for wl in workloads for fig in figs if FIGURES[fig].workload is None]
    own = [(fig, FIGURES[fig].workload) for fig in figs if FIGURES[fig].workload is not None]
    return pairs + own  # type: ignore[return-value]  (own workloads are not None)


def plan(figs: list[str], workloads: list[str], lrs: list[float], seeds: list[int]) -> list[RunKey]:
    """The runs of ``figs`` (each drawn as :func:`drawn` says) x ``lrs`` x ``seeds``, each once, in
    the order they are trained: by workload, learning rate, seed, then the figures' curves."""
    pairs = drawn(figs, workloads)
    runs: dict[RunKey, None] = {}
    for base in dict.fromkeys(wl for _, wl in pairs):
        for lr in lrs:
            for seed in seeds:
                for fig, wl in pairs:
                    if wl == base:
                        for c in FIGURES[fig].curves:
                            runs[RunKey(c.run_workload(base), c.rpu, lr, c.dropout, seed)] = None
    return list(runs)


def parse_figs(text: str) -> list[str]:
    """``fig3,cnn`` as a list; ValueError names an unknown figure and the known ones."""
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
