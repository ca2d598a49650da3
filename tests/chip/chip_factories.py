"""Small chips and workloads built in code, so that every expected figure can be computed by hand."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from archsim.config.chip import ChipConfig
from archsim.config.design import Design
from archsim.config.errors import validate
from archsim.config.rpu import RPUConfig
from archsim.config.workload import WorkloadConfig

#: Characters of the test corpora: 9,000 of them train (the last 10 % are the test split).
CORPUS_CHARS = 10_000


def corpus_file(vocab: int) -> str:
    """A corpus of ``vocab`` distinct letters (written once per machine, atomically), so that the
    chip model's corpus check passes for the small vocabularies of these workloads."""
    folder = Path(tempfile.gettempdir()) / "archsim-test-corpora"
    path = folder / f"corpus-{vocab}.txt"
    if not path.is_file():
        folder.mkdir(exist_ok=True)
        text = bytes(65 + (k * 7 + k // vocab) % vocab for k in range(CORPUS_CHARS))
        tmp = folder / f".{path.name}.{os.getpid()}"
        tmp.write_bytes(text)
        os.replace(tmp, path)
    return str(path)


def make_workload(hidden: int = 2, layers: int = 1, vocab: int = 3, steps: int = 1) -> WorkloadConfig:
    return validate(
        WorkloadConfig,
        {
            "name": f"lstm{layers}-{hidden}-test",
            "corpus": corpus_file(vocab),
            "vocab_size": vocab,
            "model": {"kind": "lstm", "hidden_size": hidden, "num_layers": layers},
            "training": {"learning_rate": 0.1, "bptt_steps": steps},
        },
        "test workload",
    )


def ideal_chip(**tile) -> ChipConfig:
    """The paper's chip in miniature: 80-cycle array operations, everything else free."""
    t = {
        "rows": 64,
        "cols": 64,
        "count": 64,
        "t_integration_ns": 80,
        "t_update_slot_ns": 8,
        "dac": {"t_slot_ns": 0},
        "adc": {"count_per_tile": 64, "t_step_ns": 0},
    }
    t.update(tile)
    return validate(
        ChipConfig,
        {
            "name": "ideal-test",
            "clock_ghz": 1.0,
            "tile": t,
            "nlf": {"kind": "ideal"},
            "memory": {"kind": "ideal"},
        },
        "test chip",
    )


def real_chip() -> ChipConfig:
    """Contended units everywhere, with small numbers."""
    return validate(
        ChipConfig,
        {
            "name": "real-test",
            "clock_ghz": 1.0,
            "tile": {
                "rows": 64,
                "cols": 64,
                "count": 64,
                "t_integration_ns": 10,
                "t_update_slot_ns": 2,
                "dac": {"t_slot_ns": 2},
                "adc": {"count_per_tile": 8, "t_step_ns": 1},
            },
            "nlf": {
                "kind": "digital",
                "count": 1,
                "lanes": 4,
                "latency": {"sigmoid_ns": 2, "multiply_ns": 1},
            },
            "memory": {"kind": "sram", "capacity_bytes": 1 << 20, "bandwidth_gbps": 16, "latency_ns": 2},
            "links": {
                "tile_nlf": {"kind": "wired", "bandwidth_gbps": 32, "latency_ns": 1},
                "nlf_memory": {"kind": "wired", "bandwidth_gbps": 16},
            },
        },
        "test chip",
    )


def make_rpu(inp_bits: int = 7, out_bits: int = 9, bl: int = 10, **update) -> RPUConfig:
    """An analog RPU configuration with the given resolutions and BL (paper defaults otherwise)."""
    io = {"inp_bits": inp_bits, "out_bits": out_bits}
    return validate(
        RPUConfig,
        {"name": "test-rpu", "forward": io, "backward": io, "update": {"bl": bl, **update}},
        "test rpu",
    )


def ideal_design(**tile) -> Design:
    """:func:`ideal_chip` timed with BL 10 (the paper's): 80-cycle updates."""
    return Design(chip=ideal_chip(**tile), rpu=make_rpu())


def real_design(chip: ChipConfig | None = None) -> Design:
    """:func:`real_chip` with 3-bit DACs (3 slots x 2 ns = 6 cycles per pass), 5-bit ADCs (5
    cycles per conversion round) and BL 4 (8-cycle updates)."""
    return Design(chip=chip or real_chip(), rpu=make_rpu(inp_bits=3, out_bits=5, bl=4))
