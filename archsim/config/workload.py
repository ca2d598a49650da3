"""Workloads: a stacked character-level LSTM with a softmax layer, its corpus and its training.

The same YAML file drives training (archsim.train) and the chip model (archsim.chip): both take
the array shapes from :meth:`WorkloadConfig.arrays`. The network's size is bounded (``MAX_*``
below) so that no workload asks for more memory than a workstation has before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from archsim.config.corpus import resolve_corpus
from archsim.config.errors import (
    MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
    load_preset,
    preset_names,
    resolve_preset,
)
from archsim.paths import WORKLOADS_DIR

#: Widest LSTM layer (the paper's widest: 512).
MAX_HIDDEN_SIZE = 4096
#: Most RPU devices of all arrays together: 2^26, 256 MiB per float32 copy of the weights (the
#: paper's largest network, LSTM2-512, has 3.4 M).
MAX_DEVICES = 2**26
#: Longest unrolled window (the paper's: 100).
MAX_BPTT_STEPS = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class LSTMModel(_Frozen):
    """Stacked LSTM layers, each mapped onto one 4m x (m + n + 1) array, plus a V x (m + 1) softmax."""

    kind: Literal["lstm"] = "lstm"
    hidden_size: int = Field(ge=1, le=MAX_HIDDEN_SIZE, description="Hidden units m per layer.")
    num_layers: int = Field(ge=1, le=8, description="Stacked LSTM layers.")


class TrainingConfig(_Frozen):
    """Plain SGD with batch 1, as the paper trains."""

    learning_rate: float = Field(gt=0, allow_inf_nan=False, description="Fixed SGD learning rate.")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout probability on non-recurrent connections.")
    bptt_steps: int = Field(
        100, ge=1, le=MAX_BPTT_STEPS, description="Unrolled time steps per window (nBPTT)."
    )
    init: Literal["fan-in", "reference"] = Field(
        "fan-in",
        description="Initial weights: fan-in: U(+-1/sqrt(cols)) per array and a forget-gate bias of 0.5; "
        "reference: U(+-1/sqrt(H)) for every weight and bias, as the reference simulator's LSTM.",
    )


class WorkloadConfig(_Frozen):
    """One training workload (paper naming: LSTM2-512-WP = 2 layers of 512 on War and Peace)."""

    name: str = Field(max_length=MAX_NAME_CHARS, description="Short name, e.g. lstm2-512-wp.")
    description: str = Field(
        "", max_length=MAX_DESCRIPTION_CHARS, description="What it is and where it comes from."
    )
    corpus: str = Field(
        max_length=4096,  # PATH_MAX
        description="Built-in corpus (warpeace, linux) or a path to a text file (one symbol per byte)."
    )
    vocab_size: int = Field(gt=1, le=256, description="Distinct byte values V in the corpus.")
    model: LSTMModel
    training: TrainingConfig

    @model_validator(mode="after")
    def _devices_within_limit(self) -> WorkloadConfig:
        devices = sum(a.devices for a in self.arrays())
        if devices > MAX_DEVICES:
            raise ValueError(
                f"model: {self.model.num_layers} layer(s) of hidden_size {self.model.hidden_size} need "
                f"{devices} devices; at most {MAX_DEVICES} (2^26) in all"
            )
        return self

    def arrays(self) -> list[ArrayShape]:
        """The RPU arrays of the paper's mapping, input layer first, softmax last."""
        m, v = self.model.hidden_size, self.vocab_size
        shapes = []
        n = v
        for layer in range(self.model.num_layers):
            shapes.append(ArrayShape(f"lstm{layer + 1}", rows=4 * m, cols=m + n + 1))
            n = m
        shapes.append(ArrayShape("softmax", rows=v, cols=m + 1))
        return shapes


@dataclass(frozen=True)
class ArrayShape:
    """One logical array: ``rows`` outputs (forward) by ``cols`` inputs, the bias column included."""

    name: str
    rows: int
    cols: int

    @property
    def devices(self) -> int:
        return self.rows * self.cols


def load_workload(name_or_path: str | Path) -> WorkloadConfig:
    """A workload preset by name (``workloads/NAME.yaml``) or by path; a corpus given by a relative
    path is looked up in the working directory, then beside the workload file."""
    path = resolve_preset(name_or_path, WORKLOADS_DIR, "workload")
    config = load_preset(path, WORKLOADS_DIR, "workload", WorkloadConfig)
    corpus = resolve_corpus(config.corpus, path)
    return config if corpus == config.corpus else config.model_copy(update={"corpus": corpus})


def workload_presets() -> list[str]:
    """Names of the presets in ``workloads/``."""
    return preset_names(WORKLOADS_DIR)
