"""Workloads as layer lists: a bad list fails naming the layer (index and kind) and the field; an
LSTM layer list is the LSTM shorthand's network."""

from __future__ import annotations

import pytest

from archsim.config import ConfigError, load_workload

_HEAD = "name: bad\ncorpus: fashion-mnist\ntraining: {learning_rate: 0.01}\nmodel:\n  kind: layers\n"
_INPUT = "  input: {height: 12, width: 12, channels: 1}\n"


def _load(tmp_path, body: str):
    path = tmp_path / "bad.yaml"
    path.write_text(_HEAD + body)
    return load_workload(path)


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        (  # kernel larger than its input: 12 -> conv 5 -> 8, pool 2 -> 4, conv 5
            [
                "{kind: conv, kernels: 4, size: 5}",
                "{kind: pool, size: 2}",
                "{kind: conv, kernels: 4, size: 5}",
            ],
            r"model: layer 2 \(conv\): size: kernel 5 x 5 is larger than its input 4 x 4",
        ),
        (  # channel mismatch: the second conv says 8 channels, its input has 4
            ["{kind: conv, kernels: 4, size: 3}", "{kind: conv, kernels: 4, size: 3, channels: 8}"],
            r"model: layer 1 \(conv\): channels: 8, but its input has 4 channels",
        ),
        (  # a pool that does not divide: 12 -> conv 3 -> 10, pool 3
            ["{kind: conv, kernels: 4, size: 3}", "{kind: pool, size: 3}"],
            r"model: layer 1 \(pool\): size: pool 3 x 3 does not divide its input 10 x 10",
        ),
        (
            ["{kind: fc, size: 8}", "{kind: conv, kernels: 4, size: 1}"],
            r"model: layer 1 \(conv\): kind: a conv layer after a fully connected layer",
        ),
        (
            ["{kind: softmax, size: 10}", "{kind: fc, size: 8}"],
            r"model: layer 0 \(softmax\): kind: an image network ends with one softmax layer",
        ),
    ],
)
def test_a_bad_layer_list_names_the_layer_and_the_field(tmp_path, layers, expected):
    body = _INPUT + "  layers:\n" + "".join(f"    - {layer}\n" for layer in layers)
    if "softmax" not in layers[-1]:
        body += "    - {kind: softmax, size: 10}\n"
    with pytest.raises(ConfigError, match=r"bad\.yaml: " + expected):
        _load(tmp_path, body)


def test_an_unknown_layer_field_lists_the_allowed_ones(tmp_path):
    body = (
        _INPUT
        + "  layers:\n    - {kind: conv, kernels: 4, size: 3, stride: 2}\n    - {kind: softmax, size: 10}\n"
    )
    with pytest.raises(
        ConfigError, match=r"model\.layers\.0\.stride: unknown key 'stride'; allowed keys: .*kernels"
    ):
        _load(tmp_path, body)


def test_image_networks_refuse_lstm_only_fields(tmp_path):
    body = _INPUT + "  layers:\n    - {kind: softmax, size: 10}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(
        _HEAD.replace("training: {learning_rate: 0.01}", "training: {learning_rate: 0.01, bptt_steps: 5}")
        + body
    )
    with pytest.raises(ConfigError, match=r"training\.bptt_steps: only for LSTM workloads"):
        load_workload(path)


def test_an_lstm_layer_list_is_the_lstm_shorthand(tmp_path):
    shorthand = load_workload("lstm2-64-wp")
    path = tmp_path / "list.yaml"
    path.write_text(
        'name: lstm2-64-wp\ndescription: "2-layer LSTM of 64 on War and Peace"\ncorpus: warpeace\n'
        "model:\n  kind: layers\n"
        "  layers: [{kind: lstm, size: 64}, {kind: lstm, size: 64}, {kind: softmax, size: 87}]\n"
        f"training: {shorthand.training.model_dump_json()}\n"
    )
    listed = load_workload(path)
    assert listed.model == shorthand.model and listed.vocab_size == 87
    assert listed.arrays() == shorthand.arrays() and not listed.is_image
    # The LSTM fields stay valid (dropout, nBPTT, vocab_size), and the softmax must predict V.
    text = path.read_text().replace("corpus: warpeace\n", "corpus: warpeace\nvocab_size: 87\n")
    path.write_text(
        text.replace('"dropout":0.0', '"dropout":0.25').replace('"bptt_steps":100', '"bptt_steps":50')
    )
    listed = load_workload(path)
    assert (listed.training.dropout, listed.training.bptt_steps, listed.model.num_layers) == (0.25, 50, 2)
    path.write_text(path.read_text().replace("vocab_size: 87", "vocab_size: 86"))
    with pytest.raises(ConfigError, match=r"layer 2 \(softmax\): size: 87, but vocab_size is 86"):
        load_workload(path)
    path.write_text(path.read_text().replace("vocab_size: 86", "vocab_size: 87"))
    path.write_text(
        path.read_text().replace(
            "{kind: lstm, size: 64}, {kind: softmax", "{kind: lstm, size: 32}, {kind: softmax"
        )
    )
    with pytest.raises(
        ConfigError, match=r"layer 1 \(lstm\): size: 32; every lstm layer has the first one's 64"
    ):
        load_workload(path)


def test_a_preset_extends_one_layer_of_a_list_by_its_index(tmp_path):
    """``layers: {0: {...}}`` on top of an extended preset changes that layer only; an index out of
    the list fails naming the file, the field and the indices there are."""
    base = load_workload("cnn2-fmnist")
    k1 = load_workload("cnn2-fmnist-k1-devices")
    assert k1.model.layers[0].devices_per_weight == 13 and base.model.layers[0].devices_per_weight == 1
    assert k1.model.layers[0].model_dump(exclude={"devices_per_weight"}) == base.model.layers[0].model_dump(
        exclude={"devices_per_weight"}
    )
    assert k1.model.layers[1:] == base.model.layers[1:] and k1.model.input == base.model.input
    assert [(a.rows, a.cols, a.devices) for a in k1.arrays()][0] == (16, 26, 16 * 26 * 13)
    path = tmp_path / "far.yaml"
    path.write_text("name: far\nextends: cnn2-fmnist\nmodel:\n  layers:\n    6: {devices_per_weight: 2}\n")
    with pytest.raises(
        ConfigError, match=r"far\.yaml: layers: 6: no such item of the extended preset's list \(0 to 5\)"
    ):
        load_workload(path)
    path.write_text(
        "name: whole\nextends: cnn2-fmnist\nmodel:\n  layers: [{kind: fc, size: 10, activation: tanh}]\n"
    )
    with pytest.raises(ConfigError, match="softmax"):  # a list still replaces the list
        load_workload(path)
