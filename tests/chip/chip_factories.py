"""Small chips and workloads built in code, so that every expected figure can be computed by hand."""

from __future__ import annotations

from archsim.config.chip import ChipConfig
from archsim.config.errors import validate
from archsim.config.workload import WorkloadConfig


def make_workload(hidden: int = 2, layers: int = 1, vocab: int = 3, steps: int = 1) -> WorkloadConfig:
    return validate(
        WorkloadConfig,
        {
            "name": f"lstm{layers}-{hidden}-test",
            "corpus": "warpeace",
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
        "update_bl": 10,
        "dac": {"bits": 7, "t_slot_ns": 0},
        "adc": {"count_per_tile": 64, "t_conversion_ns": 0},
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
                "update_bl": 4,
                "dac": {"bits": 3, "t_slot_ns": 2},
                "adc": {"count_per_tile": 8, "t_conversion_ns": 5},
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
