"""Character corpora: bytes as symbols, the vocabulary map and the paper's positional split.

A corpus is a byte string; every distinct byte value is one symbol. The vocabulary is the sorted
set of byte values of the whole corpus file (train and test together), so index ``k`` is the
``k``-th smallest byte value that occurs.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.config.errors import ConfigError, resolve_preset
from archsim.config.workload import WorkloadConfig, load_workload
from archsim.paths import WORKLOADS_DIR

DATA_DIR = WORKLOADS_DIR / "data"


@dataclass(frozen=True)
class BuiltinCorpus:
    """A corpus committed gzipped under ``workloads/data``, with the paper's split."""

    file: str
    sha256: str
    total_chars: int
    train_chars: int
    test_chars: int


BUILTIN_CORPORA = {
    "warpeace": BuiltinCorpus(
        "warpeace_input.txt.gz",
        "fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e",
        3_258_246,
        2_933_246,
        325_000,
    ),
    "linux": BuiltinCorpus(
        "linux_input.txt.gz",
        "d8e733b0e53d5679f3ea90d94ff33442a46a08eb4b53ce8bba481e63f450225d",
        6_448_461,
        6_111_421,
        337_040,
    ),
}

#: Share of a corpus given by path that is held out as its test split (the last 10 % by position).
PATH_TEST_FRACTION = 0.1


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


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"corpus: cannot read {path}: {err.strerror}") from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ConfigError(f"corpus: {path} is not a valid gzip file: {err}") from None
    return raw


def encode(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(symbols, indices): the sorted distinct byte values and each byte's symbol index."""
    data = np.frombuffer(raw, dtype=np.uint8)
    symbols = np.unique(data)
    table = np.zeros(256, dtype=np.uint8)
    table[symbols] = np.arange(symbols.shape[0], dtype=np.uint8)
    return symbols, table[data]


def load_corpus(corpus: str, vocab_size: int | None = None, source: str = "workload") -> Corpus:
    """Load a built-in corpus (``warpeace``, ``linux``) or a text file given by path.

    Built-in corpora are checked against their SHA-256 and split as the paper splits them. A file
    given by path is split by position: the last 10 % (at least one window's worth is not
    guaranteed) is the test split. ``vocab_size``, if given, must equal the number of distinct
    byte values; ``source`` names the workload file in the error.
    """
    if corpus in BUILTIN_CORPORA:
        spec = BUILTIN_CORPORA[corpus]
        path = DATA_DIR / spec.file
        raw = _read_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
        if digest != spec.sha256:
            raise ConfigError(
                f"corpus '{corpus}': {path} decompresses to SHA-256 {digest}, expected {spec.sha256} "
                "(see ../shared/data/README.md); restore the committed file"
            )
        n_train, n_test = spec.train_chars, spec.test_chars
        if len(raw) != spec.total_chars or n_train + n_test != len(raw):
            raise ConfigError(f"corpus '{corpus}': {len(raw)} characters, expected {spec.total_chars}")
    else:
        path = Path(corpus)
        if not path.is_file():
            raise ConfigError(
                f"{source}: corpus: '{corpus}' is neither a built-in corpus "
                f"({', '.join(sorted(BUILTIN_CORPORA))}) nor a file"
            )
        raw = _read_bytes(path)
        n_test = int(round(len(raw) * PATH_TEST_FRACTION))
        n_train = len(raw) - n_test
        if n_train < 2 or n_test < 2:
            raise ConfigError(f"{source}: corpus: {path} is too small to split ({len(raw)} characters)")
    symbols, indices = encode(raw)
    if vocab_size is not None and symbols.shape[0] != vocab_size:
        raise ConfigError(
            f"{source}: vocab_size: {vocab_size} does not match corpus '{corpus}', which has "
            f"{symbols.shape[0]} distinct byte values; set vocab_size: {symbols.shape[0]}"
        )
    return Corpus(name=str(corpus), symbols=symbols, train=indices[:n_train], test=indices[n_train:])


def load_workload_corpus(workload: str | Path) -> tuple[WorkloadConfig, Corpus]:
    """A workload preset (name or path) and its corpus; a relative corpus path is looked up in the
    working directory, then beside the workload file. Errors name the workload file."""
    path = resolve_preset(workload, WORKLOADS_DIR, "workload")
    config = load_workload(path)
    corpus = config.corpus
    if not Path(corpus).is_absolute() and not Path(corpus).exists():
        beside = path.parent / corpus
        corpus = str(beside) if beside.exists() else corpus
    return config, load_corpus(corpus, config.vocab_size, source=str(path))
