"""The corpus catalogue: where each corpus (text) and image dataset lives, how large it is and
how it is split.

One place for every command: ``train`` and ``cosim`` take their train and test splits from it,
``simulate`` the length of an epoch. A workload whose corpus is missing, corrupt or of another
vocabulary fails the same way in all of them, naming the workload and the field.

A corpus is a byte string; every distinct byte value is one symbol. Built-in corpora are committed
gzipped under ``workloads/data`` and split as the paper splits them (by position); a text file
given by path (optionally gzipped) keeps its last 10 % as the test split.

A corpus is read in bounded chunks: a built-in never past its known size, a corpus given by path
never past MAX_CORPUS_BYTES, so a small gzip file that expands without bound is refused early.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

from archsim.config.errors import ConfigError, clip, echo
from archsim.paths import WORKLOADS_DIR

DATA_DIR = WORKLOADS_DIR / "data"


@dataclass(frozen=True)
class BuiltinCorpus:
    """A corpus committed gzipped under ``workloads/data``, with the paper's split."""

    file: str
    sha256: str  # of the decompressed text
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


@dataclass(frozen=True)
class BuiltinImages:
    """An image dataset committed under ``workloads/data/FOLDER`` as the four idx files, gzipped
    (the MNIST format), with the SHA-256 of each gzip file and its split sizes."""

    folder: str
    sha256: dict[str, str]  # file name -> SHA-256 of the gzip file as committed
    train_images: int
    test_images: int
    height: int
    width: int
    classes: int
    licence: str


#: The idx files of an image dataset, by role: the MNIST names (gzipped or not).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

BUILTIN_DATASETS = {
    "fashion-mnist": BuiltinImages(
        "fashion-mnist",
        {
            "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
        train_images=60_000,
        test_images=10_000,
        height=28,
        width=28,
        classes=10,
        licence="MIT (Zalando Research, 2017); see workloads/data/fashion-mnist/README.md",
    ),
}

#: Share of a corpus given by path that is held out as its test split (the last 10 % by position).
PATH_TEST_FRACTION = 0.1
#: Largest corpus given by path, in bytes after decompression (the built-ins: 3.3 and 6.4 MB).
MAX_CORPUS_BYTES = 64 * 2**20
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CorpusInfo:
    """A checked corpus: where it is, its split and its vocabulary (sorted distinct byte values)."""

    name: str  # built-in name, or the path as given
    path: Path
    train_chars: int
    test_chars: int
    symbols: bytes

    @property
    def vocab_size(self) -> int:
        return len(self.symbols)


def windows_per_stream(train_chars: int, steps: int, streams: int = 1) -> int:
    """Training windows of ``steps`` characters each stream takes in one epoch: the train split is
    cut into ``streams`` equal parts, and a window needs ``steps + 1`` characters (inputs and the
    next-character targets), so a part of n characters gives (n - 1) // steps windows."""
    return max(0, (train_chars // streams - 1) // steps)


def resolve_corpus(corpus: str, workload_file: Path | None) -> str:
    """A built-in name as it is; a relative path from the working directory or, failing that,
    beside the workload file that names it, made absolute (a result records where its corpus was);
    a path found nowhere as it is (loading it then fails, naming it)."""
    if corpus in BUILTIN_CORPORA or Path(corpus).is_absolute():
        return corpus
    if Path(corpus).exists():
        return str(Path(corpus).resolve())
    if workload_file is not None:
        beside = Path(workload_file).parent / corpus
        if beside.exists():
            return str(beside.resolve())
    return corpus


class _TooLong(Exception):
    """A corpus past its limit (the caller names the workload and the limit)."""


def _read_bounded(path: Path, limit: int) -> bytes:
    """The text of ``path``, decompressed chunk by chunk when it ends in ``.gz`` (every gzip
    member); raises _TooLong past ``limit`` bytes, before reading or decompressing more, and
    zlib.error for a file that is not gzip or ends inside a member."""
    with path.open("rb") as file:
        if path.suffix != ".gz":
            raw = file.read(limit + 1)
            if len(raw) > limit:
                raise _TooLong
            return raw
        out = bytearray()
        member, fed = zlib.decompressobj(wbits=31), False  # wbits 31: gzip header and trailer
        while chunk := file.read(_CHUNK):
            while chunk:
                fed = True
                out += member.decompress(chunk, limit + 1 - len(out))
                if len(out) > limit:
                    raise _TooLong
                if member.eof:  # the next member, if any, starts in what is left
                    chunk = member.unused_data
                    member, fed = zlib.decompressobj(wbits=31), False
                else:
                    chunk = member.unconsumed_tail
        if fed:
            raise zlib.error("the file ends inside a gzip member (truncated)")
        return bytes(out)


def _text(path: Path, limit: int, source: str, too_long: str) -> bytes:
    """:func:`_read_bounded` with errors that name ``source`` and the corpus file."""
    try:
        return _read_bounded(path, limit)
    except _TooLong:
        raise ConfigError(f"{source}: corpus: {clip(str(path), 200)} {too_long}") from None
    except OSError as err:
        raise ConfigError(f"{source}: corpus: cannot read {clip(str(path), 200)}: {err.strerror}") from None
    except zlib.error as err:
        raise ConfigError(
            f"{source}: corpus: {clip(str(path), 200)} is not a valid gzip file: {err}"
        ) from None


def read_corpus(
    corpus: str, vocab_size: int | None = None, source: str = "workload"
) -> tuple[CorpusInfo, bytes]:
    """The catalogue entry of ``corpus`` (a built-in name or a path) and its text, checked: a
    built-in against its SHA-256 and size, any corpus against ``vocab_size`` when given.
    Errors name ``source`` (the workload) and the field."""
    if corpus in BUILTIN_CORPORA:
        spec = BUILTIN_CORPORA[corpus]
        path = DATA_DIR / spec.file
        raw = _text(
            path,
            spec.total_chars,
            source,
            f"decompresses to more than the {spec.total_chars} characters of corpus '{corpus}'; "
            "restore the committed file",
        )
        digest = hashlib.sha256(raw).hexdigest()
        if digest != spec.sha256:
            raise ConfigError(
                f"{source}: corpus '{corpus}': {path} decompresses to SHA-256 {digest}, expected "
                f"{spec.sha256} (see ../shared/data/README.md); restore the committed file"
            )
        n_train, n_test = spec.train_chars, spec.test_chars
        if len(raw) != spec.total_chars:
            raise ConfigError(
                f"{source}: corpus '{corpus}': {len(raw)} characters, expected {spec.total_chars}"
            )
    else:
        path = Path(corpus)
        try:
            is_file = path.is_file()
        except (OSError, ValueError):  # a name too long for a file, or with a NUL byte
            is_file = False
        if corpus in BUILTIN_DATASETS:
            raise ConfigError(
                f"{source}: corpus: {echo(corpus, 200)} is an image dataset, which only an image network "
                "reads (model.kind: layers with an input, docs/cnn.md)"
            )
        if not is_file:
            raise ConfigError(
                f"{source}: corpus: {echo(corpus, 200)} is neither a built-in corpus "
                f"({', '.join(sorted(BUILTIN_CORPORA))}) nor a file"
            )
        raw = _text(
            path,
            MAX_CORPUS_BYTES,
            source,
            f"holds more than {MAX_CORPUS_BYTES} bytes (after decompression), the limit for a corpus "
            "given by path",
        )
        n_test = int(round(len(raw) * PATH_TEST_FRACTION))
        n_train = len(raw) - n_test
        if n_train < 2 or n_test < 2:
            raise ConfigError(
                f"{source}: corpus: {clip(str(path), 200)} is too small to split ({len(raw)} characters)"
            )
    symbols = bytes(sorted(set(raw)))
    if vocab_size is not None and len(symbols) != vocab_size:
        raise ConfigError(
            f"{source}: vocab_size: {vocab_size} does not match corpus {echo(corpus, 200)}, which has "
            f"{len(symbols)} distinct byte values; set vocab_size: {len(symbols)}"
        )
    return CorpusInfo(str(corpus), path, n_train, n_test, symbols), raw


@functools.lru_cache(maxsize=16)
def _cached_info(corpus: str, vocab_size: int | None, source: str, stamp: tuple) -> CorpusInfo:
    return read_corpus(corpus, vocab_size, source)[0]


def corpus_info(corpus: str, vocab_size: int | None = None, source: str = "workload") -> CorpusInfo:
    """:func:`read_corpus` without the text, remembered per file version (size and mtime), so that
    a sweep of many points reads each corpus once."""
    path = DATA_DIR / BUILTIN_CORPORA[corpus].file if corpus in BUILTIN_CORPORA else Path(corpus)
    try:
        st = path.stat()
        stamp = (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (str(path), None, None)
    return _cached_info(corpus, vocab_size, source, stamp)


def train_images(dataset: str, source: str = "workload") -> int:
    """Training images of an image dataset: a built-in's from the catalogue, a folder's from the
    header of its train-labels idx file (the images themselves are checked when training reads them)."""
    builtin = BUILTIN_DATASETS.get(dataset)
    if builtin is not None:
        return builtin.train_images
    stem = IDX_FILES["train_labels"]
    for name in (stem + ".gz", stem):
        path = Path(dataset) / name
        try:
            if not path.is_file():
                continue
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                header = f.read(8)
        except (OSError, ValueError, EOFError, zlib.error) as err:
            raise ConfigError(
                f"{source}: corpus: {echo(dataset, 200)}: cannot read {path.name}: {err}"
            ) from None
        if len(header) < 8 or header[:4] != b"\x00\x00\x08\x01":
            raise ConfigError(f"{source}: corpus: {echo(dataset, 200)}: {path.name} is not an idx label file")
        return int.from_bytes(header[4:8], "big")
    raise ConfigError(
        f"{source}: corpus: {echo(dataset, 200)} is neither a built-in image dataset "
        f"({', '.join(sorted(BUILTIN_DATASETS))}) nor a folder holding {stem}[.gz]"
    )
