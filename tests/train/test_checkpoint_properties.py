"""Property-based checkpoint faults (hypothesis): whatever the bytes or the metadata, loading and
restoring either works on exactly the content that was saved, or raises CheckpointError naming the
file; never another exception."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.config import load_rpu
from archsim.config.options import TrainOptions
from archsim.train.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint, restore
from archsim.train.data import load_corpus
from archsim.train.session import TrainingSession
from archsim.train.trainer import train

from .tiny_runs import tiny_workload

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
OPTIONS = TrainOptions(chars=200, eval_chars=100)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A checkpoint of a tiny two-layer analog run, its bytes and what loads from it."""
    folder = tmp_path_factory.mktemp("prop")
    corpus_path = folder / "tiny.txt"
    corpus_path.write_bytes(b"the quick brown fox jumps over the lazy dog. " * 200)
    workload = tiny_workload(corpus_path, hidden=8, layers=2)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    rpu = load_rpu("rpu-baseline")
    train(workload, rpu, corpus, OPTIONS, folder / "run")
    path = folder / "run" / CHECKPOINT_NAME
    return {"workload": workload, "corpus": corpus, "rpu": rpu, "bytes": path.read_bytes(), "folder": folder}


def _session(saved) -> TrainingSession:
    return TrainingSession(saved["workload"], saved["rpu"], saved["corpus"], OPTIONS)


def _load_and_restore(saved, data: bytes):
    """Load ``data`` as a checkpoint and restore it into a fresh session: the payload, or the
    CheckpointError (which must name the file)."""
    path = saved["folder"] / "candidate.npz"
    path.write_bytes(data)
    try:
        payload = load_checkpoint(path, "--resume")
        session = _session(saved)
        restore(path, payload, session, session.net.new_state(), "--resume")
    except CheckpointError as err:
        assert str(err).startswith(f"--resume: {path}: ") and "\n" not in str(err)
        return err
    return payload


@SETTINGS
@given(data=st.data())
def test_any_splice_of_the_bytes(saved, data):
    """Delete, insert or overwrite a run of bytes anywhere."""
    good = saved["bytes"]
    start = data.draw(st.integers(0, len(good)))
    stop = data.draw(st.integers(start, min(len(good), start + 64)))
    insert = data.draw(st.binary(max_size=64))
    candidate = good[:start] + insert + good[stop:]
    result = _load_and_restore(saved, candidate)
    if not isinstance(result, CheckpointError):
        original = load_checkpoint(_write(saved, good))
        assert json.dumps(result["progress"]) == json.dumps(original["progress"])
        for a, b in zip(result["tiles"], original["tiles"], strict=True):
            assert np.array_equal(a["weights"], b["weights"])


def _write(saved, data: bytes):
    path = saved["folder"] / "original.npz"
    path.write_bytes(data)
    return path


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**130), 2**130)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(tree, prefix=()):
    """Every path to a value in a JSON tree."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for k, value in enumerate(tree):
            yield from _paths(value, (*prefix, k))


@SETTINGS
@given(data=st.data())
def test_any_value_anywhere_in_the_metadata(saved, data):
    """Replace any value of meta.json by any JSON value, with the checksums recomputed (a forger's
    file): refused with CheckpointError, or restored (the value was one the run accepts)."""
    with zipfile.ZipFile(io.BytesIO(saved["bytes"])) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(members["meta.json"])
    paths = [p for p in _paths(meta) if p]
    path = data.draw(st.sampled_from(paths))
    value = data.draw(_JSON)
    node = meta
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    members["meta.json"] = json.dumps(meta).encode()
    members["sha256.json"] = json.dumps(
        {n: hashlib.sha256(d).hexdigest() for n, d in members.items() if n != "sha256.json"}
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    _load_and_restore(saved, buf.getvalue())
