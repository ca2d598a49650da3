"""Checkpoints: everything a run needs to continue bit for bit, in a file that cannot run code and
cannot be silently corrupt, written atomically.

``checkpoint.npz`` is a zip in numpy's ``.npz`` layout (``np.load`` opens it), members stored
uncompressed:

- ``tile{k}.npy``: the weights of tile k, float32 (rows, cols); the workload's arrays in order,
  input layer first, softmax last (a Tiki-Taka tile: its slow array C);
- ``fast{k}.npy``, ``buffer{k}.npy``: a Tiki-Taka tile's fast array A and (TTv2) digital buffer;
- ``bias{k}.npy``: the digital bias (1, rows) of a tile with ``measures.digital_bias``;
- ``h{l}.npy``, ``c{l}.npy``: hidden and cell state of layer l carried into the next window,
  float32 (1, hidden);
- ``meta.json``: the format and its version, the run's fingerprint (what ``--resume`` must match),
  each tile's kind (analog tiles: their seed and random-stream counter; Tiki-Taka tiles also A's
  counter, the update count, the next column and whether a buffer is stored; a tile with the 2019
  measures its weight scale and whether a digital bias is stored), the dropout RNG state and
  the progress (characters trained, data position, accumulators, the curve);
- ``sha256.json``: the SHA-256 of every other member.

Reading never unpickles: each array through numpy's reader with ``allow_pickle=False``, after its
header (dtype, shape, size) is checked; JSON without NaN or Infinity; every member must match its
SHA-256. The content is then checked against the run that loads it: the fingerprint, shapes,
finite values, every analog weight within its device's bounds (drawn from the tile's seed), the
type and range of every count and state. Every failure is a :class:`CheckpointError` (a
ValueError) whose one line names the file and what is wrong. The checksum catches corruption, not
forgery: a file edited with recomputed digests is still refused by the content checks when its
values are impossible (out of bounds, NaN, inconsistent counts).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from archsim.numerics import AnalogTile
from archsim.numerics.transfer import TransferTile
from archsim.train.lstm import RecurrentState
from archsim.train.session import DIVERGE_WINDOWS, TrainingSession

CHECKPOINT_NAME = "checkpoint.npz"
#: The checkpoints of earlier archsim versions: pickles, never loaded (unpickling can run code).
OLD_CHECKPOINT_NAME = "checkpoint.pkl"
FORMAT = "archsim training checkpoint"
VERSION = 2

_META, _DIGESTS = "meta.json", "sha256.json"
_ARRAY = re.compile(r"(tile|fast|buffer|bias|h|c)(\d{1,4})\.npy")
#: The arrays of a tile state besides its weights, and their members (``fast{k}.npy``, ...).
_TILE_ARRAYS = {"fast_weights": "fast", "buffer": "buffer", "bias": "bias"}
_FLOAT32 = np.dtype("<f4")
#: What the old format is and how to proceed, for the messages that meet one.
OLD_FORMAT = (
    "a checkpoint of archsim's old format (a Python pickle: loading it could run code), which is not "
    "loaded; train again to write a checkpoint.npz (archsim train without --resume, in a new --out folder)"
)
#: Errors the zip, npy and JSON readers raise on damaged bytes.
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    struct.error,
    NotImplementedError,
    OverflowError,
)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: ``option: path: problem`` in one line."""

    def __init__(self, path: Path | str, problem: str, option: str = "") -> None:
        self.path, self.problem, self.option = Path(path), problem, option
        super().__init__(f"{option}: {path}: {problem}" if option else f"{path}: {problem}")


class _Problem(ValueError):
    """What is wrong with a checkpoint's content (the caller adds the file)."""


# -- writing -----------------------------------------------------------------------------------------


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` (``fingerprint``, ``tiles`` (state dicts), ``state`` (``h``, ``c``),
    ``rng_dropout``, ``progress``) to ``path`` atomically: a temporary file in the same folder,
    fsync, rename over the previous checkpoint, fsync of the folder. A kill at any point leaves the
    previous checkpoint whole (and at worst a stale temporary file, replaced by the next write)."""
    members: dict[str, bytes] = {}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": payload["fingerprint"],
        "tiles": [_tile_meta(t) for t in payload["tiles"]],
        "rng_dropout": payload["rng_dropout"],
        "progress": payload["progress"],
    }
    members[_META] = json.dumps(meta, allow_nan=False).encode()
    for k, tile in enumerate(payload["tiles"]):
        members[f"tile{k}.npy"] = _npy(tile["weights"])
        for key, member in _TILE_ARRAYS.items():
            if key in tile:
                members[f"{member}{k}.npy"] = _npy(tile[key])
    for layer, (h, c) in enumerate(zip(payload["state"]["h"], payload["state"]["c"], strict=True)):
        members[f"h{layer}.npy"], members[f"c{layer}.npy"] = _npy(h), _npy(c)
    members[_DIGESTS] = json.dumps({name: _sha256(data) for name, data in members.items()}).encode()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
                for name, data in members.items():
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes each time
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


def _tile_meta(state: dict[str, Any]) -> dict[str, Any]:
    """A tile state without its arrays (a transfer tile says whether it has a buffer)."""
    meta = {key: value for key, value in state.items() if key != "weights" and key not in _TILE_ARRAYS}
    if state["kind"] == "transfer":
        meta["buffer"] = "buffer" in state
    if "scale" in state:
        meta["digital_bias"] = "bias" in state
    return meta


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array, dtype=_FLOAT32), (1, 0), allow_pickle=False)
    return buf.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- reading -----------------------------------------------------------------------------------------


def load_checkpoint(path: Path | str, option: str = "") -> dict[str, Any]:
    """Read and verify a checkpoint written by :func:`save_checkpoint`: the payload it was given,
    the arrays float32. Checks the file's integrity and the type of every value, not that it fits
    a run (see :func:`restore` and :func:`restore_tiles`). Raises :class:`CheckpointError`."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such file", option)
    if not path.is_file():
        raise CheckpointError(path, "not a file", option)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as err:
        raise CheckpointError(path, f"cannot be read ({err.strerror or err})", option) from None
    if size == 0:
        raise CheckpointError(path, "empty file (0 bytes)", option)
    if head[:1] == b"\x80":  # the protocol opcode that starts every pickle of protocol 2 and later
        raise CheckpointError(path, OLD_FORMAT, option)
    if head != b"PK\x03\x04":
        raise CheckpointError(path, "not an archsim checkpoint (expected a .npz zip file)", option)
    try:
        return _payload(_members(path, size))
    except _Problem as err:
        raise CheckpointError(path, str(err), option) from None
    except _DAMAGED as err:
        reason = json.dumps(str(err) or type(err).__name__)[1:-1][:120]  # one line, as the reader said
        raise CheckpointError(path, f"damaged or truncated file ({reason})", option) from None


def _members(path: Path, size: int) -> dict[str, bytes]:
    """Every member's bytes, after the zip's own checks (CRC-32) and ours (names, storage, SHA-256)."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise _Problem("a member name appears twice in the zip")
        for info in infos:
            if info.filename not in (_META, _DIGESTS) and not _ARRAY.fullmatch(info.filename):
                raise _Problem(f"unexpected member {info.filename[:40]!r} in the zip")
            if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1:
                raise _Problem(f"member {info.filename} is compressed or encrypted (archsim stores it plain)")
            if info.file_size > size or info.compress_size > size:
                raise _Problem(f"member {info.filename} claims more bytes than the file holds")
        members = {info.filename: zf.read(info) for info in infos}
    if _DIGESTS not in members:
        raise _Problem(f"no checksums ({_DIGESTS})")
    digests = _json(members.pop(_DIGESTS), _DIGESTS)
    if not isinstance(digests, dict) or set(digests) != set(members):
        raise _Problem(f"{_DIGESTS} does not list exactly the other members")
    for name in sorted(members):
        if digests[name] != _sha256(members[name]):
            raise _Problem(f"{name} does not match its SHA-256 checksum: the file is corrupt")
    return members


def _json(data: bytes, name: str) -> Any:
    def no_constant(value: str) -> None:
        raise _Problem(f"{name}: {value} is not a finite number")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _Problem(f"{name} is not valid JSON ({str(err)[:80]})") from None


def _array(name: str, data: bytes) -> np.ndarray:
    """A 2-D float32 array from its .npy bytes; the header is checked before any allocation."""
    fh = io.BytesIO(data)
    version = np.lib.format.read_magic(fh)
    if version != (1, 0):
        raise _Problem(f"{name}: .npy format version {version}, expected (1, 0)")
    shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fh)
    if dtype != _FLOAT32 or fortran_order or len(shape) != 2:
        raise _Problem(f"{name}: expected a 2-D float32 array, got {dtype} of shape {shape}")
    if fh.tell() + 4 * shape[0] * shape[1] != len(data) or min(shape) < 1:
        raise _Problem(f"{name}: {len(data) - fh.tell()} bytes of data for shape {shape}")
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def _payload(members: dict[str, bytes]) -> dict[str, Any]:
    """The payload of verified members, every value's type checked."""
    if _META not in members:
        raise _Problem(f"no {_META}")
    meta = _json(members[_META], _META)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _Problem("not an archsim training checkpoint")
    if meta.get("version") != VERSION:
        raise _Problem(f"format version {_brief(meta.get('version'))}; this archsim reads version {VERSION}")
    expected = {"format", "version", "fingerprint", "tiles", "rng_dropout", "progress"}
    if set(meta) != expected:
        raise _Problem(f"{_META}: expected the fields {', '.join(sorted(expected))}")
    if not isinstance(meta["fingerprint"], dict):
        raise _Problem(f"{_META}: fingerprint: expected an object")
    tiles = meta["tiles"]
    if not isinstance(tiles, list) or not tiles:
        raise _Problem(f"{_META}: tiles: expected a list of tiles")
    for k, tile in enumerate(tiles):
        _check_tile_meta(k, tile)
    layers = sum(1 for name in members if name.startswith("h"))
    names = {_META} | {f"tile{k}.npy" for k in range(len(tiles))}
    names |= {f"fast{k}.npy" for k, t in enumerate(tiles) if t["kind"] == "transfer"}
    names |= {f"buffer{k}.npy" for k, t in enumerate(tiles) if t["kind"] == "transfer" and t["buffer"]}
    names |= {f"bias{k}.npy" for k, t in enumerate(tiles) if t.get("digital_bias")}
    names |= {f"{v}{layer}.npy" for layer in range(layers) for v in "hc"}
    if set(members) != names:
        raise _Problem(f"the members do not match {len(tiles)} tiles and {layers} layers of state")
    _check_rng(meta["rng_dropout"])
    _check_progress(meta["progress"])
    arrays = {name: _array(name, data) for name, data in members.items() if name != _META}
    return {
        "fingerprint": meta["fingerprint"],
        "tiles": [_tile_state(k, t, arrays) for k, t in enumerate(tiles)],
        "state": {v: [arrays[f"{v}{layer}.npy"] for layer in range(layers)] for v in "hc"},
        "rng_dropout": meta["rng_dropout"],
        "progress": meta["progress"],
    }


def _tile_state(k: int, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Tile k's state dict from its meta and its arrays (the inverse of :func:`_tile_meta`)."""
    state = {key: value for key, value in meta.items() if key not in ("buffer", "digital_bias")}
    state["weights"] = arrays[f"tile{k}.npy"]
    for key, member in _TILE_ARRAYS.items():
        if f"{member}{k}.npy" in arrays:
            state[key] = arrays[f"{member}{k}.npy"]
    return state


def _is_int(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value < high  # a bool is not an integer


def _is_real(value: Any) -> bool:
    """A finite number >= 0 (losses, seconds)."""
    return type(value) in (int, float) and 0 <= value < float("inf")


_COUNT = 2**63  # counts and counters: an int64


def _check_tile_meta(k: int, tile: Any) -> None:
    where = f"{_META}: tiles[{k}]"
    if not isinstance(tile, dict) or tile.get("kind") not in ("analog", "fp", "transfer"):
        raise _Problem(f"{where}: expected an object with kind 'analog', 'fp' or 'transfer'")
    if tile["kind"] != "fp" and ("scale" in tile or "digital_bias" in tile):  # the 2019 measures
        scale, bias = tile.get("scale"), tile.get("digital_bias")
        if not (type(scale) in (int, float) and 0 < scale < float("inf")) or type(bias) is not bool:
            raise _Problem(f"{where}: scale (a number > 0) and digital_bias (true or false) go together")
        tile = {key: value for key, value in tile.items() if key not in ("scale", "digital_bias")}
    if tile["kind"] == "fp" and set(tile) != {"kind"}:
        raise _Problem(f"{where}: a floating-point tile has only a kind")
    if tile["kind"] == "analog":
        if set(tile) != {"kind", "seed", "counter"}:
            raise _Problem(f"{where}: an analog tile has a kind, a seed and a counter")
        if not _is_int(tile["seed"], 0, 2**32) or not _is_int(tile["counter"], 0, _COUNT):
            raise _Problem(f"{where}: seed and counter must be integers >= 0 (seed < 2**32, counter < 2**63)")
    if tile["kind"] == "transfer":
        fields = {"kind", "seed", "counter", "fast_counter", "updates", "column", "buffer"}
        if set(tile) != fields:
            raise _Problem(f"{where}: a transfer tile has the fields {', '.join(sorted(fields))}")
        counts = (tile["seed"], tile["counter"], tile["fast_counter"], tile["updates"], tile["column"])
        if not _is_int(counts[0], 0, 2**32) or not all(_is_int(v, 0, _COUNT) for v in counts[1:]):
            raise _Problem(
                f"{where}: seed, counter, fast_counter, updates and column must be integers >= 0 "
                "(seed < 2**32, the others < 2**63)"
            )
        if type(tile["buffer"]) is not bool:
            raise _Problem(f"{where}: buffer: expected true or false")


def _check_rng(state: Any) -> None:
    ok = (
        isinstance(state, dict)
        and set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}
        and state["bit_generator"] == "PCG64"
        and isinstance(state["state"], dict)
        and set(state["state"]) == {"state", "inc"}
        and all(_is_int(v, 0, 2**128) for v in state["state"].values())
        and _is_int(state["has_uint32"], 0, 2)
        and _is_int(state["uinteger"], 0, 2**32)
    )
    if not ok:
        raise _Problem(f"{_META}: rng_dropout: not the state of a PCG64 generator")


_PROGRESS: dict[str, Callable[[Any], bool]] = {
    "chars_trained": lambda v: _is_int(v, 0, _COUNT),
    "interval_loss": _is_real,
    "interval_chars": lambda v: _is_int(v, 0, _COUNT),
    "recent": lambda v: isinstance(v, list) and len(v) <= DIVERGE_WINDOWS and all(map(_is_real, v)),
    "ema": lambda v: v is None or _is_real(v),
    "pos": lambda v: _is_int(v, 0, _COUNT),
    "train_seconds": _is_real,
    "timed_chars": lambda v: _is_int(v, 0, _COUNT),
    "curve": lambda v: isinstance(v, list),
}


def _check_progress(progress: Any) -> None:
    where = f"{_META}: progress"
    if not isinstance(progress, dict) or set(progress) != set(_PROGRESS):
        raise _Problem(f"{where}: expected the fields {', '.join(_PROGRESS)}")
    for key, valid in _PROGRESS.items():
        if not valid(progress[key]):
            raise _Problem(f"{where}: {key}: {_brief(progress[key])} is not a valid value")
    chars = progress["chars_trained"]
    if progress["interval_chars"] > chars or progress["timed_chars"] > chars:
        raise _Problem(f"{where}: more characters counted than the {chars} trained")
    previous = -1
    for n, point in enumerate(progress["curve"]):
        ok = (
            isinstance(point, dict)
            and set(point) - {"test_error"} == {"chars", "test_ce", "train_ce"}
            and _is_int(point["chars"], previous + 1, chars + 1)
            and _is_real(point["test_ce"])
            and (point["train_ce"] is None or _is_real(point["train_ce"]))
            and (
                point.get("test_error") is None
                or (_is_real(point["test_error"]) and 0 <= point["test_error"] <= 1)
            )
        )
        if not ok:
            raise _Problem(
                f"{where}: curve[{n}]: expected chars (increasing, at most {chars}), finite test_ce "
                "and train_ce, a test_error in [0, 1] or null"
            )
        previous = point["chars"]


# -- checking against the run ------------------------------------------------------------------------


def fingerprint_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: VALUE in the checkpoint, VALUE now`` for every leaf (nested keys dotted:
    ``rpu.device.dw_min``) that the two fingerprints do not have the same."""
    old, new = _flatten(stored), _flatten(json.loads(json.dumps(current)))
    keys = list(new) + [key for key in old if key not in new]
    return [
        f"{json.dumps(key)[1:-1][:60]}: {_brief(old.get(key, _NONE))} in the checkpoint, "
        f"{_brief(new.get(key, _NONE))} now"
        for key in keys
        if key not in old or key not in new or old[key] != new[key]
    ]


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict) or not tree:
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _brief(value: Any) -> str:
    """A value read from a file, for a one-line message: JSON (control characters escaped), cut to
    40 characters; ``_NONE`` for a value that is not there."""
    if value is _NONE:
        return "(none)"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


_NONE = object()


def _listed(differences: list[str], most: int = 6) -> str:
    more = len(differences) - most
    return "; ".join(differences[:most]) + (f"; and {more} more" if more > 0 else "")


def restore_tiles(
    path: Path, states: list[dict[str, Any]], tiles: list[Any], names: list[str], option: str = ""
) -> None:
    """Check the tile states of a checkpoint against the run's tiles (kind, seed, shape, finite
    weights, each analog weight within its device's bounds) and load them into the tiles."""

    def fail(problem: str) -> None:
        raise CheckpointError(path, problem, option)

    if len(states) != len(tiles):
        fail(f"{len(states)} tiles, the network has {len(tiles)}")
    for k, (logical, state, name) in enumerate(zip(tiles, states, names, strict=True)):
        where = f"tile {k} ({name})"
        measured = getattr(logical, "inner", None)  # the 2019 measures: the analog tile inside
        tile = logical if measured is None else measured
        tile = getattr(tile, "array", tile)  # several devices per weight: the physical array
        kind = {AnalogTile: "analog", TransferTile: "transfer"}.get(type(tile), "fp")
        if state["kind"] != kind:
            fail(f"{where}: a tile of kind {state['kind']}, the run's RPU has {kind} tiles")
        if kind != "fp" and state["seed"] != tile.seed:
            fail(f"{where}: seed {state['seed']}, the run's tile has seed {tile.seed}")
        # The arrays of the state and the analog array whose bounds each must keep (None: none).
        arrays = [("weights", state["weights"], tile if kind == "analog" else None)]
        if kind == "transfer":
            arrays = [
                ("weights", state["weights"], tile.slow),
                ("fast array", state["fast_weights"], tile.fast),
            ]
            if ("buffer" in state) != (tile.buffer is not None):
                fail(f"{where}: a buffer only with algorithm ttv2, the run's is {tile.algorithm.kind}")
            if "buffer" in state:
                arrays.append(("buffer", state["buffer"], None))
            if state["column"] >= tile.in_size:
                fail(f"{where}: column {state['column']}, the tile has {tile.in_size} columns")
        for what, weights, array in arrays:
            _check_weights(fail, f"{what} of {where}", weights, (tile.out_size, tile.in_size), array)
        if ("scale" in state) != (measured is not None):
            fail(f"{where}: weight scale and digital bias only with the run's measures")
        if ("bias" in state) != (getattr(logical, "bias", None) is not None):
            fail(f"{where}: a digital bias only with measures.digital_bias")
        if "bias" in state:
            _check_weights(fail, f"bias of {where}", state["bias"], (1, logical.out_size), None)
    for tile, state in zip(tiles, states, strict=True):
        tile.load_state_dict(state)


def _check_weights(
    fail: Callable[[str], None], where: str, weights: np.ndarray, shape: tuple[int, int], array: Any
) -> None:
    """Shape, finite values and (``array``: an AnalogTile) every value within its device's bounds."""
    if weights.shape != shape:
        fail(f"{where}: shape {weights.shape}, expected {shape}")
    bad = int(np.count_nonzero(~np.isfinite(weights)))
    if bad:
        fail(f"{where}: {_values(bad)} not finite (NaN or inf)")
    if array is not None:
        # The kernels clip in float64 and store float32: allow the float32 rounding of a bound.
        low = np.nextafter(array.devices.bmin, np.float32(-np.inf))
        high = np.nextafter(array.devices.bmax, np.float32(np.inf))
        outside = int(np.count_nonzero((weights < low) | (weights > high)))
        if outside:
            fail(f"{where}: {_values(outside)} outside the device bounds")


def _values(n: int) -> str:
    return "1 value" if n == 1 else f"{n} values"


def restore(
    path: Path, payload: dict[str, Any], session: TrainingSession, state: RecurrentState | None, option: str
) -> dict[str, Any]:
    """Check a checkpoint of ``archsim train`` against the run ``session`` is about to continue and
    load it: the tiles, the recurrent ``state``, the dropout RNG and the session's progress.
    Returns the progress (with the training loop's own fields: ``pos``, ``train_seconds``,
    ``timed_chars``). Raises :class:`CheckpointError`, which names the options that differ."""
    differences = fingerprint_differences(payload["fingerprint"], session.fingerprint)
    if differences:
        raise CheckpointError(
            path,
            f"written with other options ({_listed(differences)}); resume with the same workload, "
            "--rpu and options, or start a new run in another --out folder",
            option,
        )
    names = [a.name for a in session.workload.arrays()]
    restore_tiles(path, payload["tiles"], session.net.tiles, names, option)
    if state is None and any(payload["state"][v] for v in "hc"):  # image networks carry no state
        raise CheckpointError(path, "recurrent state: an image network has none", option)
    for v in "hc" if state is not None else "":
        hidden = state.h[0].shape
        arrays = payload["state"][v]
        if len(arrays) != len(state.h) or any(a.shape != hidden for a in arrays):
            raise CheckpointError(
                path, f"recurrent state {v}: expected {len(state.h)} arrays of shape {hidden}", option
            )
        if not all(np.isfinite(a).all() for a in arrays):
            raise CheckpointError(path, f"recurrent state {v}: NaN or inf values", option)
    if any(np.abs(a).max() > 1 for a in payload["state"]["h"]):  # h = o * tanh(c)
        raise CheckpointError(path, "recurrent state h: values outside [-1, 1]", option)
    progress = payload["progress"]
    chars, pos, steps = progress["chars_trained"], progress["pos"], session.steps
    if chars % steps or pos % steps or pos > len(session.texts[0]):
        raise CheckpointError(
            path, f"progress: {chars} chars trained, position {pos}: not whole windows of {steps}", option
        )
    if chars > session.target:
        raise CheckpointError(
            path,
            f"already trained {chars} chars, more than the {session.target} asked for now "
            "(--chars/--epochs); ask for at least as many",
            option,
        )
    if state is not None:
        state.load(payload["state"])
    session.dropout_rng.bit_generator.state = payload["rng_dropout"]
    session.load_state_dict(progress)
    return progress
