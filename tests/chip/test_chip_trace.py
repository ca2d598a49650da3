"""The Chrome trace: what it holds (metadata), its categories, sort order, stream names and the
counter tracks (busy units, memory occupancy), checked against the simulation's own records."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from chip_factories import make_workload, real_design

from archsim.chip import simulate
from archsim.chip.trace import CATEGORIES, PROCESS_ORDER


@pytest.fixture(scope="module")
def run():
    """Two streams, three windows each, on a chip whose units all take time (memory of 1 MiB)."""
    return simulate(make_workload(hidden=8, layers=2, vocab=3, steps=4), real_design(), streams=2, windows=3)


@pytest.fixture(scope="module")
def trace(run):
    return json.loads(json.dumps(run.trace()))  # as a reader loads trace.json


def test_trace_is_the_object_form_and_says_what_it_holds(run, trace):
    assert set(trace) == {"traceEvents", "displayTimeUnit", "metadata"}
    m = trace["metadata"]
    assert (m["streams"], m["windows"], m["trace_windows"]) == (2, 3, 3)
    assert m["memory_capacity_bytes"] == run.chip.memory.capacity_bytes
    assert m["units"] == dict(Counter(u.kind for u in run.chip.units))
    assert m["categories"] == list(CATEGORIES)
    part = run.trace(2)["metadata"]  # the first 2 of the 3 windows
    assert (part["windows"], part["trace_windows"]) == (3, 2)


def test_every_event_has_a_documented_category(trace):
    events = trace["traceEvents"]
    assert {e["cat"] for e in events} == set(CATEGORIES)
    assert {e["ph"] for e in events} == {"M", "X", "C"}
    assert all(e["cat"] == "__metadata" for e in events if e["ph"] == "M")
    assert all(e["cat"] == "counter" for e in events if e["ph"] == "C")


def test_sort_indices_put_the_tiles_first(trace):
    events = trace["traceEvents"]
    name = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    rank = {name[e["pid"]]: e["args"]["sort_index"] for e in events if e["name"] == "process_sort_index"}
    assert sorted(rank, key=rank.get) == list(PROCESS_ORDER)
    threads = [e for e in events if e["name"] == "thread_sort_index"]
    by_class = {}
    for e in threads:
        by_class.setdefault(name[e["pid"]], []).append(e["args"]["sort_index"])
    assert max(by_class["tile"]) < min(min(v) for k, v in by_class.items() if k != "tile")
    thread_names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert set(thread_names) == {(e["pid"], e["tid"]) for e in threads}


def test_stream_is_in_the_name_and_args_of_every_operation(trace):
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert {e["args"]["stream"] for e in spans} == {0, 1}
    assert all(e["name"].startswith(f"s{e['args']['stream']} ") for e in spans)
    single = simulate(make_workload(hidden=8, layers=1, vocab=3, steps=2), real_design(), windows=2).trace()
    assert all(not e["name"].startswith("s0 ") for e in single["traceEvents"] if e["ph"] == "X")


def _series(trace, name, key):
    counters = [e for e in trace["traceEvents"] if e["ph"] == "C" and e["name"] == name]
    return [(e["ts"], e["args"][key]) for e in counters if key in e["args"]]


def test_memory_occupancy_counter_stays_within_the_capacity_and_ends_empty(run, trace):
    occupancy = _series(trace, "memory occupancy", "bytes")
    values = [v for _, v in occupancy]
    times = [t for t, _ in occupancy]
    assert times == sorted(times) and len(set(times)) == len(times) and times[0] == 0
    assert min(values) >= 0
    assert max(values) == run.chip.memory.peak_bytes <= trace["metadata"]["memory_capacity_bytes"]
    assert values[-1] == run.chip.memory.occupancy_bytes == 0  # every window's loads free its stores
    assert all(a != b for a, b in zip(values, values[1:], strict=False))  # a point where it changes


@pytest.mark.parametrize("kind,series", [("tile", "tiles"), ("nlf", "nlf units"), ("link", "links")])
def test_busy_counter_counts_the_units_with_an_operation_in_progress(trace, kind, series):
    events = trace["traceEvents"]
    pid = next(e["pid"] for e in events if e["name"] == "process_name" and e["args"]["name"] == kind)
    busy = _series(trace, "busy", series)
    assert busy and all(e["pid"] == pid for e in events if e["ph"] == "C" and series in e["args"])
    assert min(v for _, v in busy) >= 0 and max(v for _, v in busy) <= trace["metadata"]["units"][kind]
    assert max(v for _, v in busy) >= 1
    ps = lambda us: round(us * 1e6)  # noqa: E731 (times in whole picoseconds: no rounding dust)
    spans = [
        (e["tid"], ps(e["ts"]), ps(e["ts"] + e["dur"])) for e in events if e["ph"] == "X" and e["pid"] == pid
    ]
    for (t, value), (t_next, _) in zip(busy, [*busy[1:], (busy[-1][0] + 1, None)], strict=True):
        probe = (ps(t) + ps(t_next)) / 2  # inside the interval where the counter holds ``value``
        assert value == len({u for u, a, b in spans if a <= probe < b}), t
