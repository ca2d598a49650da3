"""Character corpora: bytes as symbols, the vocabulary map and the paper's positional split.

A corpus is a byte string; every distinct byte value is one symbol. The vocabulary is the sorted
set of byte values of the whole corpus file (train and test together), so index ``k`` is the
``k``-th smallest byte value that occurs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.config.corpus import read_corpus
from archsim.config.errors import resolve_preset
from archsim.config.workload import LayersModel, WorkloadConfig, load_workload
from archsim.paths import WORKLOADS_DIR
from archsim.train.images import ImageData, load_images


@dataclass(frozen=True)
class Corpus:
    """An encoded corpus: symbol indices of the train and test splits and the byte values."""

    name: str
    symbols: np.ndarray  # (V,) uint8: byte value of each symbol index
    train: np.ndarray  # (train_chars,) uint8 symbol indices
    test: np.ndarray  # (test_chars,) uint8 symbol indices

    @property
    def vocab_size(self) -> int:
        return int(self.symbols.shape[0])


def encode(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(symbols, indices): the sorted distinct byte values and each byte's symbol index."""
    data = np.frombuffer(raw, dtype=np.uint8)
    symbols = np.unique(data)
    table = np.zeros(256, dtype=np.uint8)
    table[symbols] = np.arange(symbols.shape[0], dtype=np.uint8)
    return symbols, table[data]


def load_corpus(corpus: str, vocab_size: int | None = None, source: str = "workload") -> Corpus:
    """Load a built-in corpus (``warpeace``, ``linux``) or a text file given by path, checked and
    split as the corpus catalogue (:mod:`archsim.config.corpus`) says; ``vocab_size``, if given,
    must equal the number of distinct byte values; ``source`` names the workload in errors."""
    info, raw = read_corpus(corpus, vocab_size, source)
    symbols, indices = encode(raw)
    n_train = info.train_chars
    return Corpus(name=str(corpus), symbols=symbols, train=indices[:n_train], test=indices[n_train:])


def load_workload_corpus(workload: str | Path) -> tuple[WorkloadConfig, Corpus | ImageData]:
    """A workload preset (name or path) and its corpus, or the image dataset of an image network.
    Errors name the workload file."""
    path = resolve_preset(workload, WORKLOADS_DIR, "workload")
    config = load_workload(path)
    return config, load_workload_data(config, str(path))


def load_workload_data(config: WorkloadConfig, source: str) -> Corpus | ImageData:
    """The corpus of an LSTM workload, or the image dataset of an image network."""
    if isinstance(config.model, LayersModel) and config.model.input is not None:
        image = config.model.input
        return load_images(config.corpus, config.classes, (image.height, image.width, image.channels), source)
    return load_corpus(config.corpus, config.vocab_size, source=source)
