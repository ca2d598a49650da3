"""Checkpoints under attack and faults: nothing in a checkpoint can run code, no damage resumes
silently, and every refusal is one line naming the file and the problem, never a traceback.

Most cases go through the command line (``archsim train --resume`` with typer's CliRunner) on a
checkpoint of a tiny two-layer analog run; the many byte flips go through the same loader directly
and a sample of them through the command line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import load_rpu
from archsim.config.options import TrainOptions
from archsim.train.checkpoint import (
    CHECKPOINT_NAME,
    OLD_CHECKPOINT_NAME,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from archsim.train.data import load_corpus
from archsim.train.trainer import train

from .tiny_runs import tiny_workload

#: Exit status of `archsim train` for bad input (a refused checkpoint is one).
EXIT_BAD_INPUT = 2  # the CLI boundary: bad input (a refused checkpoint) is exit status 2
TRAINED = 200  # characters in the checkpoint; resuming to the same target trains nothing


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny two-layer analog run (rpu-baseline) checkpointed after TRAINED characters."""
    folder = tmp_path_factory.mktemp("ckpt")
    corpus_path = folder / "tiny.txt"
    corpus_path.write_bytes(b"the quick brown fox jumps over the lazy dog. " * 200)
    (folder / "tiny.yaml").write_text(
        f"name: tiny\ncorpus: {corpus_path}\nvocab_size: 28\n"
        "model: {hidden_size: 8, num_layers: 2}\ntraining: {learning_rate: 0.1, bptt_steps: 20}\n"
    )
    res = CliRunner().invoke(app, [*_args(folder, folder / "good"), "--chars", str(TRAINED)])
    assert res.exit_code == 0, res.output
    return folder


def _args(folder: Path, out: Path) -> list[str]:
    return ["train", str(folder / "tiny.yaml"), "--rpu", "rpu-baseline", "--eval-chars", "100",
            "--out", str(out), "--no-progress"]  # fmt: skip


def _good_bytes(run: Path) -> bytes:
    return (run / "good" / CHECKPOINT_NAME).read_bytes()


def _out_with(run: Path, tmp_path: Path, data: bytes, name: str = CHECKPOINT_NAME) -> Path:
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    return out


def _resume(run: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, [*_args(run, out), "--chars", str(TRAINED), *extra, "--resume"])


def _assert_refused(res, path: Path, *needles: str, option: str = "--resume") -> str:
    """Exit status for bad input, no traceback, one error line naming the option, file and problem."""
    assert res.exit_code == EXIT_BAD_INPUT, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, res.output
    assert f"error: {option}: {path}: " in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members: dict[str, bytes], resign: bool = True) -> bytes:
    """A checkpoint of these members; ``resign``: recompute sha256.json as a forger would."""
    members = dict(members)
    if resign:
        digests = {n: hashlib.sha256(d).hexdigest() for n, d in members.items() if n != "sha256.json"}
        members["sha256.json"] = json.dumps(digests).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def _with_weights(run: Path, tile: int, change) -> bytes:
    """The good checkpoint with tile ``tile``'s weights changed by ``change(w)`` and re-signed."""
    members = _members(_good_bytes(run))
    weights = np.load(io.BytesIO(members[f"tile{tile}.npy"])).copy()
    members[f"tile{tile}.npy"] = _npy(change(weights))
    return _zip(members)


def _with_meta(run: Path, change) -> bytes:
    members = _members(_good_bytes(run))
    meta = json.loads(members["meta.json"])
    change(meta)
    members["meta.json"] = json.dumps(meta).encode()
    return _zip(members)


# -- code execution ----------------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates a directory: the proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_the_payload_is_live(tmp_path):
    """The payload of the tests below does run code when unpickled (so its absence means something)."""
    pickle.loads(pickle.dumps(_Payload(tmp_path / "ran")))
    assert (tmp_path / "ran").is_dir()


def test_a_pickle_is_never_unpickled(run, tmp_path):
    marker = tmp_path / "code-ran"
    evil = pickle.dumps({"format": 1, "tiles": _Payload(marker)})
    out = _out_with(run, tmp_path, evil)
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "old format", "pickle", "not loaded")
    assert not marker.exists()


def test_an_old_checkpoint_pkl_is_not_loaded_and_says_how_to_proceed(run, tmp_path):
    marker = tmp_path / "code-ran"
    out = _out_with(run, tmp_path, pickle.dumps(_Payload(marker)), name=OLD_CHECKPOINT_NAME)
    _assert_refused(
        _resume(run, out), out / OLD_CHECKPOINT_NAME, "old format", "train again", "without --resume"
    )
    res = CliRunner().invoke(app, [*_args(run, out), "--chars", str(TRAINED)])  # a new run there
    _assert_refused(res, out / OLD_CHECKPOINT_NAME, "old format", "another --out", option="--out")
    assert not marker.exists() and not (out / CHECKPOINT_NAME).exists()


def test_an_object_array_in_the_npz_is_refused(run, tmp_path):
    """A forged .npz whose weights are a pickled object array (with valid checksums)."""
    marker = tmp_path / "code-ran"
    members = _members(_good_bytes(run))
    members["tile1.npy"] = _npy(np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    out = _out_with(run, tmp_path, _zip(members))
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "tile1.npy: expected a 2-D float32 array")
    with pytest.raises(ValueError, match="allow_pickle"):  # numpy's own reader refuses it too
        np.load(out / CHECKPOINT_NAME, allow_pickle=False)["tile1"]
    assert not marker.exists()


def test_cosim_init_refuses_a_pickle(run, tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps(_Payload(marker)))
    res = CliRunner().invoke(
        app,
        ["cosim", str(run / "tiny.yaml"), "--chip", "baseline", "--rpu", "rpu-baseline", "--chars", "20",
         "--init", str(evil), "--no-progress"],
    )  # fmt: skip
    _assert_refused(res, evil, "old format", option="--init")
    assert not marker.exists()


def test_cosim_init_checks_the_tiles_too(run, tmp_path):
    def change(w):
        w[0, 0] = 1968.0
        return w

    forged = tmp_path / "forged.npz"
    forged.write_bytes(_with_weights(run, 0, change))
    res = CliRunner().invoke(
        app,
        ["cosim", str(run / "tiny.yaml"), "--chip", "baseline", "--rpu", "rpu-baseline", "--chars", "20",
         "--init", str(forged), "--no-progress"],
    )  # fmt: skip
    _assert_refused(
        res, forged, "weights of tile 0 (lstm1): 1 value outside the device bounds", option="--init"
    )


# -- damaged files -----------------------------------------------------------------------------------


def test_empty_file(run, tmp_path):
    out = _out_with(run, tmp_path, b"")
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "empty file")


@pytest.mark.parametrize("keep", [1, 3, 4, 30, 200, 0.5, -100, -22, -1])
def test_truncated_file(run, tmp_path, keep):
    data = _good_bytes(run)
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    out = _out_with(run, tmp_path, data[:cut])
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME)


def test_not_a_checkpoint(run, tmp_path):
    out = _out_with(run, tmp_path, b"hello, I am a text file\n" * 10)
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "not an archsim checkpoint")


def test_random_byte_flips_never_resume_silently(run, tmp_path):
    """Flip one byte at 400 positions (fixed seed; every member's data and the zip's structure):
    each file is refused, naming it, or loads to exactly the original content (a flip in a part of
    the zip that carries no content, such as a timestamp). A sample goes through the CLI."""
    good = _good_bytes(run)
    original = load_checkpoint(run / "good" / CHECKPOINT_NAME)
    rng = np.random.default_rng(11)
    path = tmp_path / CHECKPOINT_NAME
    refused = 0
    for n, pos in enumerate(rng.choice(len(good), size=min(400, len(good)), replace=False)):
        data = bytearray(good)
        data[pos] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(data))
        try:
            loaded = load_checkpoint(path, "--resume")
        except CheckpointError as err:
            assert str(err).startswith(f"--resume: {path}: ") and "\n" not in str(err)
            refused += 1
        else:
            _assert_same(loaded, original)
        if n % 40 == 0:  # the command line: refused with one line, or resumes the same content
            out = _out_with(run, tmp_path / str(n), bytes(data))
            res = _resume(run, out)
            if res.exit_code != 0:
                _assert_refused(res, out / CHECKPOINT_NAME)
    assert refused > 350


def _assert_same(a: dict, b: dict) -> None:
    for key in ("fingerprint", "rng_dropout", "progress"):
        assert a[key] == b[key]
    for ta, tb in zip(a["tiles"], b["tiles"], strict=True):
        assert ta.keys() == tb.keys() and all(np.array_equal(ta[k], tb[k]) for k in ta)
    for v in "hc":
        assert all(np.array_equal(x, y) for x, y in zip(a["state"][v], b["state"][v], strict=True))


def test_a_changed_member_fails_its_checksum(run, tmp_path):
    """Content changed with a valid zip CRC but the old SHA-256: the checksum catches it."""
    members = _members(_good_bytes(run))
    weights = np.load(io.BytesIO(members["tile1.npy"])).copy()
    weights[0, 0] += 0.01
    members["tile1.npy"] = _npy(weights)
    out = _out_with(run, tmp_path, _zip(members, resign=False))
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "tile1.npy does not match its SHA-256 checksum")


def test_a_compressed_member_is_refused(run, tmp_path):
    """Members are stored plain, so that a small file cannot expand into a huge allocation."""
    members = _members(_good_bytes(run))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    out = _out_with(run, tmp_path, buf.getvalue())
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "compressed or encrypted")


# -- valid checksums, impossible content -------------------------------------------------------------


def test_weights_outside_the_device_bounds(run, tmp_path):
    """The issue's example: weights of -16 and 1968 on devices bounded near +-0.6."""

    def change(w):
        w[0, 0], w[1, 1], w[2, 2] = -16.0, 1968.0, 0.9
        return w

    out = _out_with(run, tmp_path, _with_weights(run, 1, change))
    _assert_refused(
        _resume(run, out),
        out / CHECKPOINT_NAME,
        "weights of tile 1 (lstm2): 3 values outside the device bounds",
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights(run, tmp_path, bad):
    def change(w):
        w[3, 4] = bad
        return w

    out = _out_with(run, tmp_path, _with_weights(run, 2, change))
    _assert_refused(
        _resume(run, out), out / CHECKPOINT_NAME, "weights of tile 2 (softmax): 1 value not finite"
    )


def test_wrong_shape(run, tmp_path):
    out = _out_with(run, tmp_path, _with_weights(run, 0, lambda w: w[:, :-1]))
    _assert_refused(
        _resume(run, out),
        out / CHECKPOINT_NAME,
        "weights of tile 0 (lstm1): shape (32, 36), expected (32, 37)",
    )


def test_wrong_dtype(run, tmp_path):
    out = _out_with(run, tmp_path, _with_weights(run, 0, lambda w: w.astype(np.float64)))
    _assert_refused(
        _resume(run, out), out / CHECKPOINT_NAME, "tile0.npy: expected a 2-D float32 array, got float64"
    )


def test_recurrent_state_out_of_range(run, tmp_path):
    members = _members(_good_bytes(run))
    members["h1.npy"] = _npy(np.full((1, 8), 3.0, dtype=np.float32))
    out = _out_with(run, tmp_path, _zip(members))
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "recurrent state h: values outside [-1, 1]")


def _set(path: tuple, value):
    def change(meta):
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("progress", "chars_trained"), -20, "progress: chars_trained"),
        (("progress", "chars_trained"), 210, "not whole windows of 20"),
        (("progress", "pos"), True, "progress: pos"),
        (("progress", "interval_loss"), "1.0", "progress: interval_loss"),
        (("progress", "curve"), [{"chars": 0, "test_ce": None, "train_ce": None}], "curve[0]"),
        (("tiles", 1, "counter"), -1, "tiles[1]: seed and counter"),
        (("tiles", 1, "counter"), 1.5, "tiles[1]: seed and counter"),
        (("tiles", 1, "seed"), 7, "tile 1 (lstm2): seed 7"),
        (("tiles", 0, "kind"), "fp", "tiles[0]: a floating-point tile"),
        (("rng_dropout", "state", "inc"), -3, "rng_dropout"),
        (("version",), 1, "format version 1"),
        (("format",), "something else", "not an archsim training checkpoint"),
    ],
)
def test_impossible_metadata(run, tmp_path, path, value, needle):
    out = _out_with(run, tmp_path, _with_meta(run, _set(path, value)))
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, needle)


def test_nan_in_the_json(run, tmp_path):
    members = _members(_good_bytes(run))
    members["meta.json"] = members["meta.json"].replace(b'"ema": ', b'"ema": NaN, "x": ', 1)
    out = _out_with(run, tmp_path, _zip(members))
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, "meta.json: NaN is not a finite number")


def test_text_from_the_file_is_quoted_not_interpreted(run, tmp_path):
    """A string from the file is shown as JSON on the one error line: no line break, no markup."""
    forged = _with_meta(run, _set(("fingerprint", "workload", "name"), "[/red]\nx"))
    out = _out_with(run, tmp_path, forged)
    _assert_refused(_resume(run, out), out / CHECKPOINT_NAME, 'workload.name: "[/red]\\nx" in the checkpoint')


# -- another run -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--eval-chars", "2"], "eval_chars: 100 in the checkpoint, 2 now"),
        (["--lr", "0.3"], "learning_rate: 0.1 in the checkpoint, 0.3 now"),
        (["--seed", "4"], "seed: 0 in the checkpoint, 4 now"),
        (["--dropout", "0.5"], "dropout: 0.0 in the checkpoint, 0.5 now"),
        (["--eval-every", "40"], 'eval_every: "auto" in the checkpoint, 40 now'),
        (["--rpu", "rpu-7bit"], "rpu.forward.inp_bits: 5 in the checkpoint, 7 now"),
        (["--rpu", "fp"], 'rpu.kind: "analog" in the checkpoint, "fp" now'),
    ],
)
def test_a_checkpoint_of_other_options_is_refused(run, tmp_path, extra, needle):
    out = _out_with(run, tmp_path, _good_bytes(run))
    line = _assert_refused(
        _resume(run, out, *extra), out / CHECKPOINT_NAME, "written with other options", needle
    )
    assert "start a new run in another --out folder" in line


def test_a_checkpoint_of_another_workload_is_refused(run, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "tiny.yaml").write_text(
        (run / "tiny.yaml").read_text().replace("hidden_size: 8", "hidden_size: 16")
    )
    shutil.copy(run / "tiny.txt", other / "tiny.txt")
    out = _out_with(run, tmp_path, _good_bytes(run))
    res = CliRunner().invoke(app, [*_args(other, out), "--chars", str(TRAINED), "--resume"])
    _assert_refused(res, out / CHECKPOINT_NAME, "workload.model.hidden_size: 8 in the checkpoint, 16 now")


def test_a_shorter_target_is_refused_a_longer_one_continues(run, tmp_path):
    out = _out_with(run, tmp_path, _good_bytes(run))
    res = CliRunner().invoke(app, [*_args(run, out), "--chars", "100", "--resume"])
    _assert_refused(res, out / CHECKPOINT_NAME, "already trained 200 chars, more than the 100 asked for")
    res = CliRunner().invoke(app, [*_args(run, out), "--chars", "240", "--resume"])
    assert res.exit_code == 0, res.output
    assert load_checkpoint(out / CHECKPOINT_NAME)["progress"]["chars_trained"] == 240


def test_the_good_checkpoint_resumes(run, tmp_path):
    """The control: the untouched file resumes (to the same target: nothing more to train)."""
    out = _out_with(run, tmp_path, _good_bytes(run))
    res = _resume(run, out)
    assert res.exit_code == 0, res.output
    assert (out / CHECKPOINT_NAME).read_bytes() == _good_bytes(run)  # deterministic bytes


# -- a kill during a write ---------------------------------------------------------------------------


_WRITER = """
import os, sys, time
from pathlib import Path
import archsim.train.checkpoint as ckpt
from archsim.train.checkpoint import load_checkpoint, save_checkpoint

path, stage = Path(sys.argv[1]), sys.argv[2]
payload = load_checkpoint(path)
payload["progress"]["chars_trained"] += 20  # the next checkpoint of the run

def hang(*args, **kwargs):
    print("writing", flush=True)
    time.sleep(60)

if stage == "data":  # killed while the data of a member is being written
    real = ckpt.zipfile.ZipFile.writestr
    count = [0]
    def writestr(self, info, data):
        count[0] += 1
        if count[0] == 3:
            real(self, info, data[: len(data) // 2])  # half a member on disk, then the kill
            hang()
        real(self, info, data)
    ckpt.zipfile.ZipFile.writestr = writestr
else:  # killed after the whole temporary file is written, before the rename
    ckpt.os.fsync = hang
save_checkpoint(path, payload)
"""


@pytest.mark.parametrize("stage", ["data", "fsync"])
def test_a_kill_during_a_write_leaves_the_previous_checkpoint_whole(run, tmp_path, stage):
    out = _out_with(run, tmp_path, _good_bytes(run))
    path = out / CHECKPOINT_NAME
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_WRITER), str(path), stage], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert path.with_name(CHECKPOINT_NAME + ".tmp").exists()  # killed in the middle of the write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert path.read_bytes() == _good_bytes(run)
    res = _resume(run, out)  # the previous checkpoint resumes; the next write replaces the stale .tmp
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, [*_args(run, out), "--chars", str(TRAINED + 20), "--resume"])
    assert res.exit_code == 0, res.output
    assert load_checkpoint(path)["progress"]["chars_trained"] == TRAINED + 20
    assert not path.with_name(CHECKPOINT_NAME + ".tmp").exists()


def test_an_error_during_a_write_removes_the_temporary_file(run, tmp_path, monkeypatch):
    out = _out_with(run, tmp_path, _good_bytes(run))
    path = out / CHECKPOINT_NAME
    payload = load_checkpoint(path)

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("archsim.train.checkpoint.os.fsync", fail)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(path, payload)
    assert path.read_bytes() == _good_bytes(run)
    assert sorted(p.name for p in out.iterdir()) == [CHECKPOINT_NAME]


# -- the API -----------------------------------------------------------------------------------------


def test_save_then_load_round_trips(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, hidden=8, layers=2, dropout=0.2)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    train(workload, load_rpu("rpu-baseline"), corpus, TrainOptions(chars=200, eval_chars=100), tmp_path / "a")
    first = load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME)
    save_checkpoint(tmp_path / "b" / CHECKPOINT_NAME, first)
    again = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)
    _assert_same(again, load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME))
    assert (tmp_path / "a" / CHECKPOINT_NAME).read_bytes() == (tmp_path / "b" / CHECKPOINT_NAME).read_bytes()
