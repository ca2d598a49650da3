"""Property-based checks of the configuration: any value at any field of a valid preset, and any
YAML document, either loads into a configuration whose every number is finite (its JSON is
strict JSON) or fails with a ConfigError that names the file in a few short lines; any run
options either build or fail with an OptionsError naming the field."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.config import (
    ConfigError,
    CosimOptions,
    OptionsError,
    SimulateOptions,
    TrainOptions,
    load_chip,
    load_rpu,
    load_workload,
)
from archsim.config.chip import CHIPS_DIR
from archsim.config.errors import MAX_PROBLEMS, load_preset_data
from archsim.config.rpu import RPU_DIR
from archsim.paths import WORKLOADS_DIR
from archsim.sweep import load_sweep

SETTINGS = settings(
    max_examples=int(os.environ.get("ARCHSIM_HYPOTHESIS_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _preset(folder: Path, name: str) -> Any:
    return lambda: load_preset_data(folder / f"{name}.yaml", folder, "preset")


#: Each kind: its loader and the full data of a shipped file (``extends:`` resolved).
KINDS = {
    "rpu": (load_rpu, _preset(RPU_DIR, "rpu-baseline")),
    "chip": (load_chip, _preset(CHIPS_DIR, "baseline")),
    "workload": (load_workload, _preset(WORKLOADS_DIR, "lstm1-64-wp")),
    "sweep": (load_sweep, _preset(WORKLOADS_DIR / "sweeps", "adc-streams-baseline")),
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 1e-300, 1e300, 2**63, 0.5, 64, 65, 4096, 10**9]),
    st.text(max_size=30),
    st.text(min_size=500, max_size=600),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _leaves(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Paths to every value of a nested mapping, mappings included."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _leaves(value, (*prefix, key))


def _replaced(data: dict, path: tuple, value: Any) -> dict:
    data = json.loads(json.dumps(data))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def _check(kind: str, path: Path) -> None:
    loader = KINDS[kind][0]
    try:
        loaded = loader(path)
    except ConfigError as err:
        lines = str(err).splitlines()
        assert str(path) in str(err)
        assert 1 <= len(lines) <= MAX_PROBLEMS + 1 and all(len(line) < 500 for line in lines), str(err)
        return
    dumps = [p.config for p in loaded.points] if kind == "sweep" else [loaded]
    for model in dumps:  # every number finite: strict JSON
        json.dumps(model.model_dump(mode="json"), allow_nan=False)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@pytest.mark.parametrize("kind", list(KINDS))
@SETTINGS
@given(data=st.data())
def test_any_value_at_any_field(folder, kind, data):
    base = KINDS[kind][1]()
    where = data.draw(st.sampled_from(sorted(_leaves(base), key=str)))
    value = data.draw(values)
    path = folder / f"{kind}.yaml"
    path.write_text(yaml.safe_dump(_replaced(base, where, value), allow_unicode=True))
    _check(kind, path)


@pytest.mark.parametrize("kind", list(KINDS))
@SETTINGS
@given(document=st.dictionaries(st.text(max_size=12), values, max_size=6) | values)
def test_any_document(folder, kind, document):
    path = folder / f"{kind}-doc.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    _check(kind, path)


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text(folder, text):
    path = folder / "text.yaml"
    path.write_text(text)
    _check("rpu", path)


options = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)


@pytest.mark.parametrize("model", [SimulateOptions, TrainOptions, CosimOptions])
@SETTINGS
@given(data=st.data())
def test_any_run_options(model, data):
    fields = data.draw(st.lists(st.sampled_from(sorted(model.model_fields)), max_size=3, unique=True))
    values_ = {field: data.draw(options) for field in fields}
    if model is CosimOptions:
        values_.setdefault("chars", 100)
    try:
        built = model(**values_)
    except OptionsError as err:
        assert err.problems and all(
            field in model.model_fields or field == "options" for field, _ in err.problems
        )
        assert len(str(err)) < 2000
        return
    json.dumps(built.model_dump(mode="json"), allow_nan=False)
