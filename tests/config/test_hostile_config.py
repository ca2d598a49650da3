"""Hostile configuration: malformed, absurd or bomb-like files of every kind (chip, RPU, workload,
sweep) fail with a ConfigError that names the file and the field, in a bounded message, in
bounded time and memory; never another exception, a hang or a silently accepted value."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from archsim.chip import MappingError, map_workload
from archsim.config import (
    ConfigError,
    CosimOptions,
    OptionsError,
    SimulateOptions,
    TrainOptions,
    corpus,
    errors,
    load_chip,
    load_rpu,
    load_workload,
)
from archsim.config.chip import ChipConfig
from archsim.config.errors import MAX_PROBLEMS, MAX_YAML_BYTES, validate
from archsim.paths import MODELS_DIR, WORKLOADS_DIR
from archsim.sweep import load_sweep

#: Bounds every case is held to.
MAX_LINE = 500
MAX_SECONDS = 1.0
MAX_PEAK_BYTES = 64 * 2**20

LOADERS = {"rpu": load_rpu, "chip": load_chip, "workload": load_workload, "sweep": load_sweep}

#: A valid file of each kind, which a case extends or overrides.
BASE = {
    "rpu": "extends: rpu-baseline\n",
    "chip": "extends: baseline\n",
    "workload": "extends: lstm1-64-wp\n",
    "sweep": "name: s\nbase: {workload: lstm1-64-wp, chip: baseline}\ncommand: {kind: simulate}\n",
}


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """The billion laughs: ~500 bytes of text, width**levels scalars once aliases are expanded."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nbomb: *a{levels}\n"


def alias_depth_bomb(levels: int = 8, nesting: int = 10) -> str:
    """Every alias adds ``nesting`` levels: shallow as text, deep once expanded."""
    lines = ["d0: &d0 " + "[" * nesting + "]" * nesting]
    lines += [f"d{i}: &d{i} " + "[" * nesting + f"*d{i - 1}" + "]" * nesting for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


#: (name, text or bytes, what the message must contain), for every kind of file.
YAML_CASES = [  # fmt: skip
    ("alias-bomb", alias_bomb(), "nodes with aliases expanded"),
    ("alias-depth-bomb", alias_depth_bomb(), "nested deeper than 32 levels with aliases expanded"),
    ("deep-flow", "x: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),  # libyaml: "maximum nesting depth"
    ("deep-flow-lines", "x: " + "[\n  " * 5000 + "]" * 5000 + "\n", "nested deeper than 32 levels"),
    ("deep-block", "".join("  " * i + f"k{i}:\n" for i in range(200)), "nested deeper than 32 levels"),
    ("recursive-alias", "x: &a [1, *a]\n", "recursive alias"),
    ("binary", bytes(range(256)) * 8, "not UTF-8 text"),
    ("latin-1", "description: caf\xe9\n".encode("latin-1"), "not UTF-8 text"),
    ("nul-byte", "name: a\x00b\n", "not valid YAML"),
    ("empty", "", "the file is empty"),
    ("comments-only", "# nothing here\n", "the file is empty"),
    ("oversize", "#" * (MAX_YAML_BYTES + 10) + "\n", f"larger than {MAX_YAML_BYTES} bytes"),
    ("top-level-list", "- 1\n- 2\n", "the top level must be a mapping"),
    ("top-level-scalar", "42\n", "the top level must be a mapping"),
    ("repeated-key", "name: a\nname: b\n", "key 'name' is given twice"),
    ("bad-date", "name: 2020-13-45\n", "month must be in 1..12"),
    ("python-tag", "name: !!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
    ("huge-int", "name: " + "9" * 5000 + "\n", "not valid YAML"),
    ("two-documents", "name: a\n---\nname: b\n", "expected a single document"),
    ("unclosed", "name: [a, b\n", "not valid YAML"),
    ("tab", "name:\t\n\t- a\n", "not valid YAML"),
]

#: A grid of 9 axes of 10 values (1e9 points), and random sampling of two points.
NINE_AXES = (
    "axes: {" + ", ".join(f"chip.tile.a{i}: [{', '.join(map(str, range(10)))}]" for i in range(9)) + "}"
)
RANDOM = "sampling: {kind: random, samples: 2}\n"

#: (kind, YAML added to the base (or replacing it, when it extends), field named, what else is said).
FIELD_CASES = [
    # RPU: every number finite and physical; strict types
    ("rpu", "device: {dw_min: .inf}", "device.dw_min", "finite number"),
    ("rpu", "device: {dw_min: .nan}", "device.dw_min", "finite number"),
    ("rpu", "device: {dw_min: 10}", "device", "dw_min (10) must be between"),
    ("rpu", "device: {dw_min: 1e-12}", "device", "dw_min (1e-12) must be between"),
    ("rpu", "device: {dw_min: '1e-3'}", "device.dw_min", "valid number"),
    ("rpu", "device: {w_max: .inf}", "device.w_max", "finite number"),
    ("rpu", "device: {w_max: 1000}", "device.w_max", "less than or equal to 100"),
    ("rpu", "device: {w_min: 0.5}", "device.w_min", "less than 0"),
    ("rpu", "device: {dw_min_c2c: .inf}", "device.dw_min_c2c", "finite number"),
    ("rpu", "device: {dw_min_d2d: 5}", "device.dw_min_d2d", "less than or equal to 1"),
    ("rpu", "device: {up_down: 1}", "device.up_down", "less than 1"),
    ("rpu", "forward: {out_noise: .inf}", "forward.out_noise", "finite number"),
    ("rpu", "forward: {out_noise: 20}", "forward", "out_noise (20) must be below out_bound (12)"),
    ("rpu", "backward: {out_bound: 1e9}", "backward.out_bound", "less than or equal to 1000"),
    ("rpu", "backward: {out_bound: 0}", "backward.out_bound", "greater than 0"),
    ("rpu", "forward: {inp_bits: 17}", "forward.inp_bits", "less than or equal to 16"),
    ("rpu", "forward: {out_bits: 30}", "forward.out_bits", "less than or equal to 24"),
    ("rpu", "forward: {inp_bits: 7.0}", "forward.inp_bits", "valid integer"),
    ("rpu", "forward: {noise_management: 'yes'}", "forward.noise_management", "valid boolean"),
    ("rpu", "update: {bl: true}", "update.bl", "valid integer"),
    ("rpu", "update: {bl: 65}", "update.bl", "less than or equal to 64"),
    ("rpu", "update: {bl: 1e30}", "update.bl", "valid integer"),
    ("rpu", "kind: [analog]", "kind", "unknown ['analog']"),
    ("rpu", "kind: {a: 1}", "kind", "allowed: analog, fp"),
    ("rpu", "extends: [rpu-7bit]", "extends", "must be a preset name"),
    ("rpu", "name: " + "n" * 500, "name", "at most 100 characters"),
    # chip: times, clock, energies and counts bounded, so every duration is a sane cycle count
    ("chip", "clock_ghz: .inf", "clock_ghz", "finite number"),
    ("chip", "clock_ghz: 1e-300", "clock_ghz", "greater than or equal to 0.001"),
    ("chip", "clock_ghz: 0", "clock_ghz", "greater than or equal to 0.001"),
    ("chip", "clock_ghz: '1'", "clock_ghz", "valid number"),
    ("chip", "tile: {t_integration_ns: 1e308}", "tile.t_integration_ns", "less than or equal to 1000000"),
    ("chip", "tile: {t_update_slot_ns: -1}", "tile.t_update_slot_ns", "greater than or equal to 0"),
    ("chip", "tile: {energy_mvm_per_device_pj: .inf}", "tile.energy_mvm_per_device_pj", "finite number"),
    ("chip", "tile: {leakage_mw: 1e300}", "tile.leakage_mw", "less than or equal to 1000000"),
    ("chip", "tile: {count: true}", "tile.count", "valid integer"),
    ("chip", "tile: {count: 100000000}", "tile.count", "less than or equal to 16384"),
    ("chip", "tile: {rows: 1e30}", "tile.rows", "valid integer"),
    ("chip", "tile: {adc: {count_per_tile: 1000000}}", "tile.adc.count_per_tile", "less than or equal"),
    ("chip", "nlf: {count: 100000000}", "nlf.count", "less than or equal to 256"),
    ("chip", "nlf: {lanes: 1e9}", "nlf.lanes", "valid integer"),
    ("chip", "nlf: {kind: [digital]}", "nlf", "does not match any of the expected tags"),
    ("chip", "nlf: {latency: {exp_ns: .nan}}", "nlf.latency.exp_ns", "finite number"),
    ("chip", "memory: {capacity_bytes: 1e30}", "memory.capacity_bytes", "valid integer"),
    ("chip", "memory: {capacity_bytes: 1000000000000000}", "memory.capacity_bytes", "less than or equal"),
    ("chip", "memory: {bandwidth_gbps: 1e-300}", "memory.bandwidth_gbps", "greater than or equal to 0.001"),
    ("chip", "links: {tile_nlf: {kind: wired, latency_ns: .inf}}", "links.tile_nlf.latency_ns", "finite"),
    ("chip", "bytes_per_value: 1000", "bytes_per_value", "less than or equal to 8"),
    ("chip", "tile: " + "{" * 40 + "}" * 40, "", "nested deeper than 32 levels"),
    # workload: the network's size bounded before anything is allocated
    ("workload", "model: {hidden_size: 1e30}", "model.hidden_size", "valid integer"),
    ("workload", "model: {hidden_size: 50000}", "model.hidden_size", "less than or equal to 4096"),
    ("workload", "model: {hidden_size: 4096, num_layers: 8}", "model", "devices; at most 67108864"),
    ("workload", "model: {num_layers: 100}", "model.num_layers", "less than or equal to 8"),
    ("workload", "model: {kind: [lstm]}", "model.kind", "'lstm'"),
    ("workload", "training: {bptt_steps: 1000000000}", "training.bptt_steps", "less than or equal to 1000"),
    ("workload", "training: {learning_rate: .nan}", "training.learning_rate", "finite number"),
    ("workload", "training: {learning_rate: .inf}", "training.learning_rate", "finite number"),
    ("workload", "training: {dropout: .nan}", "training.dropout", "finite number"),
    ("workload", "vocab_size: true", "vocab_size", "valid integer"),
    ("workload", "vocab_size: 100000", "vocab_size", "less than or equal to 256"),
    ("workload", "corpus: 42", "corpus", "valid string"),
    ("workload", "corpus: " + "c" * 10_000, "corpus", "at most 4096 characters"),
    # sweep: points counted before they are expanded, ranges finite, the command's options bounded
    ("sweep", NINE_AXES, "axes", "= 1000000000 points; at most 10000"),
    ("sweep", "sampling: {kind: random, samples: 10001}", "sampling.samples", "less than or equal to 10000"),
    ("sweep", RANDOM + "axes: {chip.tile.t_integration_ns: {low: .nan, high: 5}}",
     "axes.chip.tile.t_integration_ns: low", "finite number"),
    ("sweep", RANDOM + "axes: {chip.tile.t_integration_ns: {low: 1, high: .inf}}",
     "axes.chip.tile.t_integration_ns: high", "finite number"),
    ("sweep", f"axes: {{command.streams: [{2**70}]}}", "command.streams", "less than or equal to 64"),
    ("sweep", "axes: {command.streams: [true]}", "command.streams", "valid integer"),
    ("sweep", "axes: {command.windows: [1000000000]}", "command.windows", "less than or equal to 10000"),
    ("sweep", "axes: {command.streams: [64], command.windows: [1000]}", "command.windows",
     "at most 10000 windows over all streams"),
    ("sweep", "axes: {command.kind: [[simulate]]}", "command", "does not match any of the expected tags"),
    ("sweep", "axes: {chip.nlf.count: [100000000]}", "chip.nlf.count", "less than or equal to 256"),
    ("sweep", "axes: {chip.tile.count: " + "x" * 20_000 + "}", "axes.chip.tile.count", "expected a list"),
    ("sweep", "axes: {rpu: [" + "r" * 20_000 + "]}", "rpu", "unknown RPU preset"),
]  # fmt: skip


def _write(folder: Path, kind: str, content: str | bytes) -> Path:
    path = folder / f"hostile-{kind}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _fails_within_bounds(kind: str, path: Path, *needles: str, trace_memory: bool = False) -> str:
    """Load ``path`` as ``kind``: a ConfigError (any other exception fails the test), naming the
    file and ``needles``, in bounded lines, time and (when traced) memory; returns the message."""
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        LOADERS[kind](path)
    seconds = time.perf_counter() - t0
    assert seconds < MAX_SECONDS, f"{seconds:.2f} s"
    if trace_memory:  # again, traced (tracing slows Python down several times)
        tracemalloc.start()
        try:
            with pytest.raises(ConfigError):
                LOADERS[kind](path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < MAX_PEAK_BYTES, f"peak {peak / 2**20:.0f} MiB"
    message = str(err.value)
    lines = message.splitlines()
    assert 1 <= len(lines) <= MAX_PROBLEMS + 1
    assert all(len(line) < MAX_LINE for line in lines), max(lines, key=len)
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    return message


@pytest.mark.parametrize("kind", list(LOADERS))
@pytest.mark.parametrize(("case", "content", "needle"), YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_malformed_yaml_of_every_kind(tmp_path, kind, case, content, needle):
    _fails_within_bounds(kind, _write(tmp_path, kind, content), needle, trace_memory=True)


@pytest.mark.parametrize(("case", "content", "needle"), YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_malformed_yaml_with_the_python_parser(tmp_path, monkeypatch, case, content, needle):
    """The same limits where PyYAML has no libyaml (read_yaml takes libyaml's parser if it can)."""
    monkeypatch.setattr(errors, "_BoundedLoader", errors._PyBoundedLoader)
    _fails_within_bounds("rpu", _write(tmp_path, "rpu", content), needle)


def test_both_parsers_read_the_shipped_files_alike():
    files = [*MODELS_DIR.rglob("*.yaml"), *WORKLOADS_DIR.rglob("*.yaml")]
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        assert yaml.load(text, errors._PyBoundedLoader) == yaml.load(text, errors._BoundedLoader), path


@pytest.mark.parametrize(
    ("kind", "text", "field", "needle"), FIELD_CASES, ids=[f"{c[0]}-{c[1][:40]}" for c in FIELD_CASES]
)
def test_out_of_range_values_name_the_field(tmp_path, kind, text, field, needle):
    path = _write(tmp_path, kind, ("" if text.startswith("extends:") else BASE[kind]) + text + "\n")
    _fails_within_bounds(kind, path, f": {field}" if field else "", needle)


@pytest.mark.parametrize("kind", list(LOADERS))
def test_a_flood_of_unknown_keys_lists_a_few_and_counts_the_rest(tmp_path, kind):
    keys = "".join(f"unknown_key_{i}: {i}\n" for i in range(1500))
    path = _write(tmp_path, kind, BASE[kind] + keys)
    _fails_within_bounds(
        kind, path, "unknown key 'unknown_key_0'", f"... and {1500 - MAX_PROBLEMS} more problems"
    )


def test_an_echoed_value_is_cut(tmp_path):
    path = _write(tmp_path, "rpu", "extends: rpu-baseline\ndevice: {dw_min: '" + "9" * 50_000 + "'}\n")
    message = _fails_within_bounds("rpu", path, "device.dw_min: Input should be a valid number (got '999")
    assert len(message) < 300


def test_the_loader_reads_yaml_1_2_floats_and_keeps_ints(tmp_path):
    rpu = load_rpu(
        _write(tmp_path, "rpu", "extends: rpu-baseline\ndevice: {dw_min: 1e-3}\nupdate: {bl: 12}\n")
    )
    assert rpu.device.dw_min == 0.001 and isinstance(rpu.update.bl, int) and rpu.update.bl == 12


def test_aliases_within_the_limits_still_work(tmp_path):
    text = "extends: rpu-baseline\nforward: &io {inp_bits: 7, out_noise: 0.1}\nbackward: *io\n"
    rpu = load_rpu(_write(tmp_path, "rpu", text))
    assert rpu.forward.inp_bits == rpu.backward.inp_bits == 7 and rpu.backward.out_noise == 0.1


def test_a_file_that_cannot_be_read_or_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read: Is a directory"):
        load_sweep(tmp_path)
    for name in ("n" * 5000, "a\x00b"):  # too long for a file name; a NUL byte
        with pytest.raises(ConfigError, match=r"unknown RPU preset '[na]") as err:
            load_rpu(name)
        assert len(str(err.value)) < MAX_LINE


# -- bounded memory outside Python's allocator too: the bombs in a process under RLIMIT_AS --------

_UNDER_LIMIT = """
import json, resource, sys
from archsim.config import ConfigError, load_chip, load_rpu, load_workload
from archsim.paths import MODELS_DIR, WORKLOADS_DIR
from archsim.sweep import load_sweep
pages = int(open("/proc/self/statm").read().split()[0])
limit = pages * resource.getpagesize() + 512 * 2**20  # what is mapped now, and 512 MiB more
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
loaders = {"rpu": load_rpu, "chip": load_chip, "workload": load_workload, "sweep": load_sweep}
out = {}
for kind, path in json.loads(sys.argv[1]):
    try:
        loaders[kind](path)
        out[path] = "accepted"
    except ConfigError:
        out[path] = "ConfigError"
    except BaseException as err:
        out[path] = type(err).__name__
print(json.dumps(out))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_bombs_under_a_memory_limit(tmp_path):
    files = []
    for kind in LOADERS:
        for name, content in (("alias", alias_bomb(12)), ("depth", alias_depth_bomb())):
            path = tmp_path / f"{kind}-{name}.yaml"
            path.write_text(BASE[kind] + content)
            files.append((kind, str(path)))
    run = subprocess.run(
        [sys.executable, "-c", _UNDER_LIMIT, json.dumps(files)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(json.loads(run.stdout).values()) == {"ConfigError"}, run.stdout


# -- corpora: decompressed in chunks, against a stated size ---------------------------------------


def test_a_gzip_bomb_given_by_path_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "MAX_CORPUS_BYTES", 2**20)
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"ab" * 2**24, 9))  # 32 MiB in about 32 KiB
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match=r"w.yaml: corpus: .*bomb.txt.gz holds more than 1048576 bytes"):
            corpus.read_corpus(str(path), 2, "w.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_a_built_in_corpus_never_expands_past_its_size(tmp_path, monkeypatch):
    (tmp_path / "warpeace_input.txt.gz").write_bytes(gzip.compress(b"x" * 2**25, 9))
    monkeypatch.setattr(corpus, "DATA_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"decompresses to more than the 3258246 characters"):
        corpus.read_corpus("warpeace", 87, "w.yaml")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (gzip.compress(b"abcdefgh" * 1000)[:-30], "ends inside a gzip member"),
        (b"plain text, not gzip", "is not a valid gzip file"),
        (b"", r"too small to split \(0 characters\)"),
    ],
)
def test_broken_gzip_corpora(tmp_path, content, needle):
    path = tmp_path / "c.txt.gz"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=needle):
        corpus.read_corpus(str(path), None, "w.yaml")


def test_a_gzip_of_several_members_is_read_whole(tmp_path):
    path = tmp_path / "c.txt.gz"
    path.write_bytes(gzip.compress(b"abc" * 100) + gzip.compress(b"cab" * 100))
    info, raw = corpus.read_corpus(str(path), 3, "w.yaml")
    assert raw == b"abc" * 100 + b"cab" * 100 and info.vocab_size == 3


def test_an_empty_corpus_is_refused_before_simulating(tmp_path):
    from archsim.chip import simulate
    from archsim.config.design import load_design

    (tmp_path / "empty.txt").write_text("")
    path = _write(tmp_path, "workload", "extends: lstm1-64-wp\ncorpus: empty.txt\nvocab_size: 3\n")
    with pytest.raises(ConfigError, match=r"corpus: .*empty.txt is too small to split"):
        simulate(load_workload(path), load_design("paper-ideal"), windows=1)


# -- mapping, options ------------------------------------------------------------------------------


def test_tiles_are_counted_before_any_is_assigned():
    tiny = validate(
        ChipConfig,
        {**load_chip("paper-ideal").model_dump(), "tile": {**load_chip("paper-ideal").tile.model_dump(),
                                                           "rows": 1, "cols": 1, "count": 16384}},
        "tiny",
    )  # fmt: skip
    t0 = time.perf_counter()
    with pytest.raises(MappingError, match=r"tile.count: .* needs 3372631 tiles of 1x1"):
        map_workload(load_workload("lstm2-512-wp"), tiny)
    assert time.perf_counter() - t0 < MAX_SECONDS


@pytest.mark.parametrize(
    ("model", "values", "expected"),
    [
        (SimulateOptions, {"streams": 2**70}, "streams: expected >= 1 and <= 64"),
        (SimulateOptions, {"streams": 10_000}, "streams: expected >= 1 and <= 64"),
        (SimulateOptions, {"streams": True}, "streams: input should be a valid integer"),
        (SimulateOptions, {"windows": 10**9}, "windows: expected >= 1 and <= 10000"),
        (
            SimulateOptions,
            {"streams": 64, "max_windows": 1000},
            "max_windows: expected at most 10000 windows",
        ),
        (SimulateOptions, {"windows": 1.5}, "windows: input should be a valid integer"),
        (TrainOptions, {"epochs": math.inf}, "epochs: expected a finite number"),
        (TrainOptions, {"epochs": 1e9}, "epochs: expected > 0 and <= 10000"),
        (TrainOptions, {"learning_rate": math.nan}, "learning_rate: expected a finite number"),
        (TrainOptions, {"checkpoint_every_s": math.inf}, "checkpoint_every_s: expected a finite number"),
        (TrainOptions, {"diverge_ce": math.nan}, "diverge_ce: expected a finite number"),
        (TrainOptions, {"eval_streams": 10**9}, "eval_streams: expected >= 1 and <= 1024"),
        (TrainOptions, {"seed": 2**70}, "seed: expected >= 0 and <= 9223372036854775807"),
        (TrainOptions, {"chars": 10**15}, "chars: expected >= 1 and <= 1000000000000"),
        (TrainOptions, {"dropout": "0.5"}, "dropout: input should be a valid number"),
        (CosimOptions, {"chars": 10**15}, "chars: expected >= 1 and <= 1000000000000"),
        (
            CosimOptions,
            {"chars": 100, "eval_every": 10**20},
            "eval_every: expected >= 1 and <= 1000000000000",
        ),
    ],
)
def test_options_out_of_their_limits(model, values, expected):
    with pytest.raises(OptionsError) as err:
        model(**values)
    assert expected in str(err.value)


def test_options_keep_paths_as_strings():
    assert CosimOptions(chars=10, init="a/b.pkl").init == Path("a/b.pkl")


def test_the_update_kernel_takes_the_longest_train_the_config_allows():
    from archsim.config.rpu import MAX_BL
    from archsim.numerics.update import MAX_SLOTS

    assert MAX_BL == MAX_SLOTS


def test_every_shipped_preset_stays_within_the_limits():
    from archsim.config import chip_presets, rpu_presets, workload_presets

    for name in rpu_presets():
        load_rpu(name)
    for name in chip_presets():
        load_chip(name)
    for name in workload_presets():
        load_workload(name)
    for path in sorted((WORKLOADS_DIR / "sweeps").glob("*.yaml")):
        assert load_sweep(path).points


def test_every_duration_the_limits_allow_is_a_sane_whole_number_of_cycles():
    """The slowest and the fastest chip the limits allow: every duration converts to a whole
    number of cycles below 2**53 (no overflow, no division by zero); sums of them stay exact."""
    from archsim.chip.costs import Periphery, TileTiming, TransferTiming
    from archsim.config import chip as c
    from archsim.config.rpu import MAX_BL

    slow = {"t_integration_ns": c.MAX_NS, "t_update_slot_ns": c.MAX_NS, "t_update_overhead_ns": c.MAX_NS,
            "dac": {"t_slot_ns": c.MAX_NS}, "adc": {"count_per_tile": 1, "t_step_ns": c.MAX_NS}}  # fmt: skip
    for clock in (c.MIN_CLOCK_GHZ, c.MAX_CLOCK_GHZ):
        base = load_chip("baseline").model_dump()
        chip = validate(ChipConfig, {**base, "clock_ghz": clock, "tile": {**base["tile"], **slow}}, "extreme")
        timing = TileTiming.of(chip.tile, Periphery((16, 16), (24, 24), MAX_BL, False), chip.clock_ghz)
        converted = [*timing.encode_cycles, timing.integrate_cycles, *timing.conversion_round_cycles,
                     *timing.update_cycles_by_bl]  # fmt: skip
        assert all(isinstance(n, int) and 0 <= n < 2**53 for n in converted)  # exact in a float too
        longest = timing.mvm_cycles(0, 2**16, passes=1024)  # 65536 rounds of one ADC, 1024 passes
        assert isinstance(longest, int) and math.isfinite(float(longest))
        slowest = TransferTiming(timing.integrate_cycles, c.MIN_GBPS / c.MAX_CLOCK_GHZ)
        assert slowest.cycles(2**30) < 2**53
