"""Image datasets in the idx format (MNIST's): the reader and the train/test splits.

An idx file is a big-endian header, magic ``00 00 TYPE NDIM`` then NDIM int32 sizes, followed
by the values (here unsigned bytes, TYPE 0x08): images are (N, rows, cols) grey levels, labels
(N,). Files may be gzipped (recognised by their first bytes). A dataset is a built-in of the
catalogue (:data:`archsim.config.corpus.BUILTIN_DATASETS`, checked against its SHA-256 sums) or a
folder holding the four files under MNIST's names (``train-images-idx3-ubyte[.gz]`` ...), so a
user with MNIST itself can point a workload at it. The network reads grey levels scaled to [0, 1] (float32).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.config.corpus import BUILTIN_DATASETS, DATA_DIR, IDX_FILES
from archsim.config.errors import ConfigError, clip, echo

#: Largest idx file read, in bytes after decompression (Fashion-MNIST's train images: 47 MB).
MAX_IDX_BYTES = 512 * 2**20
_TYPES = {0x08: np.uint8}


class IdxError(ValueError):
    """A file that is not a valid idx file of unsigned bytes (the message says why)."""


def read_idx(path: Path | str, limit: int = MAX_IDX_BYTES) -> np.ndarray:
    """The array an idx file holds (gzipped or not): uint8 of the shape its header gives.
    Raises IdxError for a malformed file and OSError when it cannot be read."""
    path = Path(path)
    with path.open("rb") as file:
        head = file.read(2)
        file.seek(0)
        stream = gzip.GzipFile(fileobj=file) if head == b"\x1f\x8b" else file
        try:
            raw = stream.read(limit + 1)
        except (OSError, EOFError, zlib.error) as err:
            raise IdxError(f"not a valid gzip file: {err}") from None
    if len(raw) > limit:
        raise IdxError(f"more than {limit} bytes after decompression")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxError("no idx header (magic 00 00 TYPE NDIM)")
    kind, ndim = raw[2], raw[3]
    if kind not in _TYPES:
        raise IdxError(f"value type 0x{kind:02x}; only unsigned bytes (0x08) are read")
    if not 1 <= ndim <= 4 or len(raw) < 4 + 4 * ndim:
        raise IdxError(f"{ndim} dimensions in a header of {len(raw)} bytes")
    shape = tuple(int(v) for v in np.frombuffer(raw, ">i4", ndim, 4))
    size = int(np.prod(shape, dtype=np.int64))
    if len(raw) - 4 - 4 * ndim != size:
        raise IdxError(f"shape {shape} needs {size} values, the file holds {len(raw) - 4 - 4 * ndim}")
    return np.frombuffer(raw, _TYPES[kind], size, 4 + 4 * ndim).reshape(shape)


@dataclass(frozen=True)
class ImageData:
    """An image dataset: grey levels (N, H, W) uint8 (the network reads them scaled to [0, 1],
    :func:`pixels`) and labels (N,) int64."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: int

    def sha256(self) -> str:
        """The content (its name alone does not say what was read)."""
        digest = hashlib.sha256()
        for part in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            digest.update(part.nbytes.to_bytes(8, "little") + np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()


def pixels(images: np.ndarray) -> np.ndarray:
    """Grey levels (..., H, W) uint8 as the network's input (..., H, W, 1) float32 in [0, 1]."""
    return (images.astype(np.float32) * np.float32(1.0 / 255.0))[..., None]


def _idx_path(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def load_images(
    dataset: str, classes: int, shape: tuple[int, int, int], source: str = "workload"
) -> ImageData:
    """Load a built-in image dataset or the folder of idx files ``dataset`` names, checked: a
    built-in against its SHA-256 sums, every dataset against the network's input ``shape``
    (height, width, channels) and its ``classes``. Errors name ``source`` and the corpus field."""
    builtin = BUILTIN_DATASETS.get(dataset)
    folder = DATA_DIR / builtin.folder if builtin else Path(dataset)

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{source}: corpus: {echo(dataset, 200)}: {problem}")

    try:
        is_dir = folder.is_dir()
    except (OSError, ValueError):
        is_dir = False
    if not is_dir:
        raise fail(
            f"neither a built-in image dataset ({', '.join(sorted(BUILTIN_DATASETS))}) nor a folder of the "
            f"four idx files ({', '.join(IDX_FILES.values())}, gzipped or not)"
        )
    arrays = {}
    for role, stem in IDX_FILES.items():
        path = _idx_path(folder, stem)
        if path is None:
            raise fail(f"{stem}[.gz] is missing in {clip(str(folder), 200)}")
        if builtin is not None:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            expected = builtin.sha256.get(path.name)
            if digest != expected:
                raise fail(f"{path} has SHA-256 {digest}, expected {expected}; restore the committed file")
        try:
            arrays[role] = read_idx(path)
        except OSError as err:
            raise fail(f"cannot read {clip(str(path), 200)}: {err.strerror}") from None
        except IdxError as err:
            raise fail(f"{clip(str(path), 200)}: {err}") from None
    height, width, channels = shape
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (height, width) or channels != 1:
            raise fail(
                f"{split} images of shape {images.shape[1:]} x 1 channel, the network's input is "
                f"{height} x {width} x {channels}"
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise fail(f"{split}: {images.shape[0]} images but labels of shape {labels.shape}")
        if labels.size and int(labels.max()) >= classes:
            raise fail(f"{split} labels reach {int(labels.max())}; the softmax has {classes} classes")
        if images.shape[0] < 1:
            raise fail(f"no {split} images")

    return ImageData(
        name=dataset,
        train_images=arrays["train_images"],
        train_labels=arrays["train_labels"].astype(np.int64),
        test_images=arrays["test_images"],
        test_labels=arrays["test_labels"].astype(np.int64),
        classes=classes,
    )
