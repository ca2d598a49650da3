"""Image networks on the chip (docs/chip.md, "Image networks"): the sequential time per image on
paper-ideal by hand, the operations per image, replication of a conv layer, the activation
memory's accounting, the epoch of an image dataset."""

from __future__ import annotations

import gzip
from collections import Counter

import pytest
from chip_factories import real_design

from archsim.chip import reduce, simulate
from archsim.chip.mapping import map_workload
from archsim.config import ConfigError, load_chip, load_rpu, load_workload
from archsim.config.chip import ChipConfig
from archsim.config.corpus import train_images
from archsim.config.design import Design
from archsim.config.errors import validate
from archsim.config.workload import WorkloadConfig
from archsim.results import result_from_dict, to_dict

PAPER = Design(chip=load_chip("paper-ideal"), rpu=load_rpu("rpu-baseline"))


def _cnn2(replicas: int = 1) -> WorkloadConfig:
    data = load_workload("cnn2-fmnist").model_dump()
    data["model"]["layers"][0]["replicas"] = replicas
    return validate(WorkloadConfig, data, "cnn2 with replicas")


def test_sequential_time_per_image_on_paper_ideal_by_hand():
    """paper-ideal with rpu-baseline: every MVM is one 80 ns array cycle (DAC and ADC folded into
    t_meas), every update BL 10 x 8 ns = 80 ns; NLF, memory and links are ideal (no time). Per
    image: K1 576 forward + 0 backward (skipped) + 576 updates, K2 64 + 64 + 64, W3 1 + 1 + 1, W4
    1 + 1 + 1 = 1,350 array cycles, one at a time: 1,350 x 80 ns = 108,000 ns per image."""
    r = simulate(_cnn2(), PAPER, schedule="sequential", windows=1).result()
    assert r.sample == "image"
    assert r.ns_per_sample == r.ns_per_char == r.ns_per_window == (576 + 576 + 3 * 64 + 3 + 3) * 80
    assert r.samples_per_s == pytest.approx(1e9 / 108_000)
    # The epoch: the 60,000 training images of Fashion-MNIST, one after another.
    assert r.windows_per_epoch == r.chars_per_epoch == 60_000
    assert r.epoch_seconds == pytest.approx(60_000 * 108_000e-9)
    assert any("K1: backward MVMs skipped" in f.message for f in r.findings)


def test_operations_per_image_follow_the_counting_rule():
    """2 r c operations per array cycle, r x c the array with its bias column (one tile each on
    paper-ideal): K1 16 x 26 for 576 + 0 + 576 cycles, K2 32 x 401 for 3 x 64, W3 128 x 513 and
    W4 10 x 129 for 3 each."""
    run = simulate(_cnn2(), PAPER, schedule="sequential", windows=1)
    verbs = Counter(run.graph.nodes[k]["verb"] for k in run.graph.nodes if k[0].endswith("_mvm"))
    assert verbs == {"forward": 576 + 64 + 1 + 1, "backward": 64 + 1 + 1, "update": 576 + 64 + 1 + 1}
    expected = 2 * (16 * 26 * 1152 + 32 * 401 * 192 + 128 * 513 * 3 + 10 * 129 * 3)
    assert run.result().operations_per_window == expected == 6_287_676


def test_two_replicas_halve_the_busiest_array_and_cost_tiles():
    one = simulate(_cnn2(1), PAPER, schedule="sequential", windows=1)
    two = simulate(_cnn2(2), PAPER, schedule="sequential", windows=1)
    busy1, busy2 = reduce.tile_busy_per_window(one), reduce.tile_busy_per_window(two)
    # K1 is the busiest array: 1,152 cycles of 80 ns per image on one tile, 576 on each of two.
    assert max(busy1.values()) == 1152 * 80
    assert max(busy2.values()) == 576 * 80 == max(busy1.values()) // 2
    k1 = [a for a in two.mapping.arrays if a.name == "K1"][0]
    assert k1.replicas == 2 and len(k1.slices) == 2
    assert {s.replica for s in k1.slices} == {0, 1}
    assert two.mapping.tiles_used == one.mapping.tiles_used + 1
    # The positions alternate between the copies: 288 forward MVMs and 288 updates on each.
    per_tile = Counter(two.graph.nodes[k]["unit"] for k in two.graph.nodes if k[0] in ("f_mvm", "u_mvm"))
    assert per_tile[f"tile{k1.slices[0].tile}"] == per_tile[f"tile{k1.slices[1].tile}"] == 576
    r1, r2 = one.result(), two.result()
    # The same work per image (the counting rule), one more tile in use, the cost stated.
    assert r2.operations_per_window == r1.operations_per_window
    assert r2.devices == r1.devices + 16 * 26
    assert r2.arrays[0].replicas == 2 and len(r2.arrays[0].tiles) == 2
    (finding,) = [f for f in r2.findings if f.field == "model.layers.replicas"]
    assert "1 extra tile(s)" in finding.message and "not modelled" in finding.message
    assert not [f for f in r1.findings if f.field == "model.layers.replicas"]


@pytest.mark.parametrize("replicas,chain", [(1, 576 + 64 + 4 + 64 + 576), (2, 288 + 64 + 4 + 64 + 288)])
def test_replicas_shorten_the_image_on_the_dataflow_pipeline(replicas, chain):
    """One stream, dataflow, paper-ideal (80 ns per array cycle, the rest free): an image's chain
    is K1's forward positions, K2's, W3 and W4 forward and backward (4 cycles), K2's backward, then
    K1's updates, which the next image's K1 forward waits for (K2's updates run beside K1's). With
    K1 on two tiles each copy runs half of the positions."""
    r = simulate(_cnn2(replicas), PAPER, windows=2).result()
    assert r.ns_per_sample == chain * 80


def test_activation_memory_is_freed_after_every_image():
    """Every stored map (the image, each layer's output, pooled, error and delta maps) is freed by
    its last reader: after two images the occupancy is back to zero; the peak stays within the
    mapping's bound of one image's maps."""
    design = Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-baseline"))
    run = simulate(_cnn2(), design, windows=2)
    assert run.chip.memory.occupancy_bytes == 0
    assert 0 < run.chip.memory.peak_bytes <= run.mapping.image_bytes(4)


def test_replicas_refused_beyond_the_positions():
    data = load_workload("cnn2-fmnist").model_dump()
    data["model"]["layers"][2]["replicas"] = 65
    with pytest.raises(ConfigError, match=r"model.layers.2.replicas: Input should be less than or equal to"):
        validate(WorkloadConfig, data, "w")
    data["model"]["input"] = {"height": 12, "width": 12, "channels": 1}
    data["model"]["layers"][2]["replicas"] = 5  # 12 -> 8 -> 4 -> a 5 x 5 kernel: impossible anyway
    data["model"]["layers"][0]["size"] = 3  # 12 -> 10 -> 5 -> conv 5: 1 position
    with pytest.raises(ConfigError, match=r"layer 2 \(conv\): replicas: 5, but the layer has only 1 output"):
        validate(WorkloadConfig, data, "w")


def test_tiles_needed_count_the_replicas():
    data = load_chip("paper-ideal").model_dump()
    data["tile"]["count"] = 4
    chip = validate(ChipConfig, data, "chip")
    map_workload(_cnn2(1), chip)
    with pytest.raises(ConfigError, match=r"tile.count: .* needs 5 tiles .*K1 16x26 needs 2"):
        map_workload(_cnn2(2), chip)


def test_epoch_of_a_folder_of_idx_files(tmp_path):
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01" + (1234).to_bytes(4, "big") + bytes(1234))
    assert train_images(str(tmp_path)) == 1234
    assert train_images("fashion-mnist") == 60_000
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x03" + bytes(8))
    with pytest.raises(ConfigError, match="train-labels-idx1-ubyte is not an idx label file"):
        train_images(str(tmp_path))


def test_results_without_the_sample_fields_still_load():
    r = simulate(_cnn2(), PAPER, schedule="sequential", windows=1).result()
    data = to_dict(r)
    for key in ("sample", "ns_per_sample", "samples_per_s"):
        data.pop(key)
    for a in data["arrays"]:
        a.pop("replicas")
    old = result_from_dict(data)
    assert old.sample == "char" and old.ns_per_sample is None and old.arrays[0].replicas == 1


def test_split_arrays_of_an_image_network_on_small_tiles():
    """On 64 x 64 tiles K2 (32 x 401) takes 7 column blocks, W3 (128 x 513) 2 x 9: the same
    operations per image as unsplit (the counting rule counts used devices), the partial sums added
    on the NLF unit, and every stored map freed again."""
    run = simulate(_cnn2(), real_design(), windows=2)
    k2 = [a for a in run.mapping.arrays if a.name == "K2"][0]
    w3 = [a for a in run.mapping.arrays if a.name == "W3"][0]
    assert (k2.row_blocks, k2.col_blocks, w3.row_blocks, w3.col_blocks) == (1, 7, 2, 9)
    assert run.result().operations_per_window == 6_287_676
    verbs = Counter(run.graph.nodes[k]["verb"] for k in run.graph.nodes)
    # Forward sums over the column blocks (K2 at 64 positions; W3 and W4, 10 x 129 in 3 blocks,
    # once each), backward over the row blocks (W3 only, once).
    assert verbs["accumulate"] == 64 + 1 + 1 + 1
    assert run.chip.memory.occupancy_bytes == 0
