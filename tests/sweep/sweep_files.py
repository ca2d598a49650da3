"""Small presets and sweep files written into a test's folder (each point simulates in ~0.1 s)."""

from __future__ import annotations

import textwrap
from pathlib import Path

WORKLOAD = """\
name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 2, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 4}
"""

CHIP = """\
name: small
clock_ghz: 1.0
tile: {rows: 64, cols: 64, count: 64, t_integration_ns: 10, t_update_slot_ns: 2,
       dac: {t_slot_ns: 2}, adc: {count_per_tile: 8, t_step_ns: 1},
       energy_mvm_per_device_pj: 0.01, leakage_mw: 1.0}
nlf: {kind: digital, count: 1, lanes: 4, latency: {sigmoid_ns: 2, multiply_ns: 1},
      energy_per_element_op_pj: 1.0}
memory: {kind: sram, capacity_bytes: 1048576, bandwidth_gbps: 16, latency_ns: 2, energy_per_byte_pj: 1.0}
links:
  tile_nlf: {kind: wired, bandwidth_gbps: 32, latency_ns: 1}
  nlf_memory: {kind: wired, bandwidth_gbps: 16}
"""


def write_sweep(folder: Path, body: str, name: str = "small-sweep") -> Path:
    """Write the small presets and a sweep file (``body``: command, axes, sampling) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.yaml").write_text(WORKLOAD)
    (folder / "abc.txt").write_text("abcab" * 800)  # the workload's corpus, found beside it
    (folder / "small.yaml").write_text(CHIP)
    path = folder / f"{name}.yaml"
    head = f"name: {name}\nbase: {{workload: tiny.yaml, chip: small.yaml, rpu: rpu-baseline}}\n"
    path.write_text(head + textwrap.dedent(body))
    return path
