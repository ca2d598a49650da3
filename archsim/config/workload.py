"""Workloads: a network as a list of layers, its data and its training.

Two kinds of network (``model.kind``):

- ``lstm``: stacked character-level LSTM layers and a softmax over the corpus's symbols (the
  LSTM paper's shorthand; a ``layers`` list of LSTM layers of one size and a softmax is read as it);
- ``layers``: an image classifier (the 2017 CNN paper's and the 2016 RPU paper's networks): an
  input image, then conv, pool and fully connected layers, and a softmax layer last, trained with
  cross-entropy.

The same YAML file drives training (archsim.train) and the chip model (archsim.chip): both take
the array shapes, and the MVMs per sample of each phase, from :meth:`WorkloadConfig.arrays`. The
network's size is bounded (``MAX_*`` below) so that no workload asks for more memory than a
workstation has before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from archsim.config.corpus import resolve_corpus
from archsim.config.errors import (
    MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
    load_preset,
    preset_names,
    resolve_preset,
)
from archsim.paths import WORKLOADS_DIR

#: Widest LSTM layer (the paper's widest: 512).
MAX_HIDDEN_SIZE = 4096
#: Most RPU devices of all arrays together: 2^26, 256 MiB per float32 copy of the weights (the
#: paper's largest network, LSTM2-512, has 3.4 M).
MAX_DEVICES = 2**26
#: Longest unrolled window (the paper's: 100).
MAX_BPTT_STEPS = 1000
#: Largest image side and channel count, kernel side, layer width and layer count of a layer list.
MAX_IMAGE_SIDE = 4096
MAX_CHANNELS = 4096
MAX_LAYERS = 64
#: Most devices per weight of a layer (device-variability reduction).
MAX_DEVICES_PER_WEIGHT = 64
MAX_REPLICAS = 64


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class LSTMModel(_Frozen):
    """Stacked LSTM layers, each mapped onto one 4m x (m + n + 1) array, plus a V x (m + 1) softmax."""

    kind: Literal["lstm"] = "lstm"
    hidden_size: int = Field(ge=1, le=MAX_HIDDEN_SIZE, description="Hidden units m per layer.")
    num_layers: int = Field(ge=1, le=8, description="Stacked LSTM layers.")


Activation = Literal["tanh", "sigmoid", "none"]


class ImageInput(_Frozen):
    """The input image of a layer list: height x width x channels grey levels (scaled to [0, 1])."""

    height: int = Field(ge=1, le=MAX_IMAGE_SIDE, description="Image rows.")
    width: int = Field(ge=1, le=MAX_IMAGE_SIDE, description="Image columns.")
    channels: int = Field(1, ge=1, le=MAX_CHANNELS, description="Channels per pixel.")


class ConvLayer(_Frozen):
    """Convolution, stride 1, no padding: ``kernels`` kernels of ``size`` x ``size`` x (input
    channels), one array of kernels x (size^2 channels + 1) (bias column); each of the
    (n - size + 1)^2 output positions is one MVM per phase (im2col, docs/cnn.md)."""

    kind: Literal["conv"] = "conv"
    kernels: int = Field(ge=1, le=MAX_CHANNELS, description="Kernels M (output channels).")
    size: int = Field(ge=1, le=MAX_IMAGE_SIDE, description="Kernel side k (k x k x input channels).")
    channels: int | None = Field(
        None,
        ge=1,
        le=MAX_CHANNELS,
        description="Depth d of each kernel, checked against the input's; None: the input's.",
    )
    activation: Activation = Field("tanh", description="Activation of the output map.")
    devices_per_weight: int = Field(
        1, ge=1, le=MAX_DEVICES_PER_WEIGHT, description="Devices per weight, the weight their sum."
    )
    replicas: int = Field(
        1,
        ge=1,
        le=MAX_REPLICAS,
        description="Chip mapping: copies of the kernel array on separate tiles, the output positions "
        "split over them (docs/chip.md); the numerics train one array (synchronisation not modelled).",
    )


class PoolLayer(_Frozen):
    """Max pooling over non-overlapping ``size`` x ``size`` windows (digital); must divide the map."""

    kind: Literal["pool"] = "pool"
    size: int = Field(ge=1, le=MAX_IMAGE_SIDE, description="Pooling window side.")


class FullyConnectedLayer(_Frozen):
    """Fully connected: one array of size x (inputs + 1) (bias column), one MVM per phase."""

    kind: Literal["fc"] = "fc"
    size: int = Field(ge=1, le=MAX_HIDDEN_SIZE, description="Outputs.")
    activation: Activation = Field("tanh", description="Activation of the outputs.")
    devices_per_weight: int = Field(
        1, ge=1, le=MAX_DEVICES_PER_WEIGHT, description="Devices per weight, the weight their sum."
    )


class SoftmaxLayer(_Frozen):
    """The last layer: fully connected to ``size`` classes (or symbols), softmax, cross-entropy."""

    kind: Literal["softmax"] = "softmax"
    size: int = Field(ge=2, le=MAX_HIDDEN_SIZE, description="Classes (image networks) or symbols V (LSTM).")
    devices_per_weight: int = Field(
        1, ge=1, le=MAX_DEVICES_PER_WEIGHT, description="Devices per weight, the weight their sum."
    )


class LSTMLayer(_Frozen):
    """One character-level LSTM layer of ``size`` cells: one array of 4 size x (size + inputs + 1)."""

    kind: Literal["lstm"] = "lstm"
    size: int = Field(ge=1, le=MAX_HIDDEN_SIZE, description="Hidden units m.")


Layer = Annotated[
    ConvLayer | PoolLayer | FullyConnectedLayer | SoftmaxLayer | LSTMLayer, Field(discriminator="kind")
]


@dataclass(frozen=True)
class LayerShape:
    """A layer of a layer list resolved: its input and output as (height, width, channels); a
    flat vector is (1, 1, n)."""

    index: int
    layer: ConvLayer | PoolLayer | FullyConnectedLayer | SoftmaxLayer
    input: tuple[int, int, int]
    output: tuple[int, int, int]

    @property
    def positions(self) -> int:
        """Output positions of a conv layer (its MVMs per phase); 1 for a fully connected layer."""
        return self.output[0] * self.output[1]


class LayersModel(_Frozen):
    """A network as a list of layers (docs/cnn.md). An image network: ``input`` and conv, pool and
    fc layers, a softmax layer last. A list of LSTM layers of one size and a softmax (no ``input``)
    is the character LSTM of ``kind: lstm`` and is read as that."""

    kind: Literal["layers"] = "layers"
    input: ImageInput | None = Field(None, description="The input image; None for an LSTM layer list.")
    layers: list[Layer] = Field(min_length=1, max_length=MAX_LAYERS, description="Layers, input side first.")

    @model_validator(mode="after")
    def _layers_fit(self) -> LayersModel:
        if any(isinstance(layer, LSTMLayer) for layer in self.layers):
            self._check_lstm()
        else:
            self.shapes()
        return self

    def _check_lstm(self) -> None:
        first = self.layers[0]
        if self.input is not None:
            raise ValueError("input: an LSTM layer list reads characters of its corpus; remove input")
        for index, layer in enumerate(self.layers):
            last = index == len(self.layers) - 1
            where = f"layer {index} ({layer.kind})"
            if last and not isinstance(layer, SoftmaxLayer):
                raise ValueError(f"{where}: kind: an LSTM layer list ends with a softmax layer")
            if not last and not isinstance(layer, LSTMLayer):
                raise ValueError(f"{where}: kind: an LSTM layer list holds lstm layers, then one softmax")
            if not last and layer.size != first.size:
                raise ValueError(
                    f"{where}: size: {layer.size}; every lstm layer has the first one's {first.size}"
                )
            if last and layer.devices_per_weight != 1:
                raise ValueError(f"{where}: devices_per_weight: only image networks have several devices")

    def shapes(self) -> list[LayerShape]:
        """Each layer with its input and output shapes; raises ValueError naming the layer (index
        and kind) and the field when a layer does not fit its input."""
        if self.input is None:
            raise ValueError("input: required for an image network (height, width, channels)")
        shape = (self.input.height, self.input.width, self.input.channels)
        out: list[LayerShape] = []
        for index, layer in enumerate(self.layers):
            where = f"layer {index} ({layer.kind})"
            last = index == len(self.layers) - 1
            if isinstance(layer, SoftmaxLayer) != last:
                raise ValueError(
                    f"{where}: kind: an image network ends with one softmax layer, and only there"
                )
            h, w, c = shape
            flat = any(isinstance(o.layer, FullyConnectedLayer) for o in out)
            if flat and isinstance(layer, ConvLayer | PoolLayer):
                raise ValueError(f"{where}: kind: a {layer.kind} layer after a fully connected layer")
            if isinstance(layer, ConvLayer):
                if layer.size > h or layer.size > w:
                    raise ValueError(
                        f"{where}: size: kernel {layer.size} x {layer.size} is larger than its input "
                        f"{h} x {w}"
                    )
                if layer.channels is not None and layer.channels != c:
                    raise ValueError(f"{where}: channels: {layer.channels}, but its input has {c} channels")
                new = (h - layer.size + 1, w - layer.size + 1, layer.kernels)
                if layer.replicas > new[0] * new[1]:
                    raise ValueError(
                        f"{where}: replicas: {layer.replicas}, but the layer has only {new[0] * new[1]} "
                        "output positions to split over them"
                    )
            elif isinstance(layer, PoolLayer):
                if h % layer.size or w % layer.size:
                    raise ValueError(
                        f"{where}: size: pool {layer.size} x {layer.size} does not divide its input {h} x {w}"
                    )
                new = (h // layer.size, w // layer.size, c)
            else:
                new = (1, 1, layer.size)
            out.append(LayerShape(index, layer, shape, new))
            shape = new
        return out


class TrainingConfig(_Frozen):
    """Plain SGD with batch 1, as the paper trains."""

    learning_rate: float = Field(gt=0, allow_inf_nan=False, description="Fixed SGD learning rate.")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout probability on non-recurrent connections.")
    bptt_steps: int = Field(
        100, ge=1, le=MAX_BPTT_STEPS, description="Unrolled time steps per window (nBPTT)."
    )
    init: Literal["fan-in", "reference"] = Field(
        "fan-in",
        description="Initial weights: fan-in: U(+-1/sqrt(cols)) per array and a forget-gate bias of 0.5; "
        "reference: U(+-1/sqrt(H)) for every weight and bias, as the reference simulator's LSTM.",
    )


def _model_kind(value: Any) -> Any:
    """The ``kind`` of a model; a mapping without one is the LSTM shorthand (``kind: lstm``)."""
    kind = value.get("kind", "lstm") if isinstance(value, dict) else getattr(value, "kind", None)
    # Not a string: the LSTM model's own check names the field and the value.
    return kind if isinstance(kind, str) else "lstm"


class WorkloadConfig(_Frozen):
    """One training workload (paper naming: LSTM2-512-WP = 2 layers of 512 on War and Peace)."""

    name: str = Field(max_length=MAX_NAME_CHARS, description="Short name, e.g. lstm2-512-wp.")
    description: str = Field(
        "", max_length=MAX_DESCRIPTION_CHARS, description="What it is and where it comes from."
    )
    corpus: str = Field(
        max_length=4096,  # PATH_MAX
        description="Built-in corpus (warpeace, linux) or a path to a text file (one symbol per byte); for "
        "an image network a built-in image dataset (fashion-mnist) or a folder of the four idx files.",
    )
    vocab_size: int | None = Field(
        None, gt=1, le=256, description="Distinct byte values V in the corpus (LSTM workloads only)."
    )
    model: Annotated[
        Annotated[LSTMModel, Tag("lstm")] | Annotated[LayersModel, Tag("layers")],
        Discriminator(_model_kind),
    ]
    training: TrainingConfig

    @model_validator(mode="wrap")
    @classmethod
    def _lstm_layer_list(cls, data: Any, handler: Any) -> WorkloadConfig:
        """A layer list of LSTM layers and a softmax is read as the ``kind: lstm`` network it is."""
        config = handler(data)
        model = config.model
        if isinstance(model, LayersModel) and isinstance(model.layers[0], LSTMLayer):
            softmax = model.layers[-1].size
            if config.vocab_size is not None and softmax != config.vocab_size:
                raise ValueError(
                    f"model: layer {len(model.layers) - 1} (softmax): size: {softmax}, but vocab_size is "
                    f"{config.vocab_size}; the softmax predicts the corpus's symbols"
                )
            shorthand = config.model_dump()
            shorthand["model"] = {"kind": "lstm", "hidden_size": model.layers[0].size}
            shorthand["model"]["num_layers"] = len(model.layers) - 1
            shorthand["vocab_size"] = softmax
            config = handler(shorthand)  # every check again, on the network it is
        return config

    @model_validator(mode="after")
    def _kind_fits(self) -> WorkloadConfig:
        if isinstance(self.model, LayersModel) and isinstance(self.model.layers[0], LSTMLayer):
            return self  # an LSTM layer list: checked as the shorthand it is read as
        if self.is_image:
            for field in ("vocab_size",):
                if getattr(self, field) is not None:
                    raise ValueError(
                        f"{field}: only for LSTM workloads; an image network's classes are its softmax size"
                    )
            if self.training.bptt_steps != TrainingConfig.model_fields["bptt_steps"].default:
                raise ValueError("training.bptt_steps: only for LSTM workloads (an image is one sample)")
            if self.training.dropout != 0.0:
                raise ValueError("training.dropout: image networks train without dropout; set 0")
            if self.training.init != "fan-in":
                raise ValueError("training.init: image networks use fan-in")
        elif self.vocab_size is None:
            raise ValueError("vocab_size: required for an LSTM workload (distinct byte values in the corpus)")
        devices = sum(a.devices for a in self.arrays())
        if devices > MAX_DEVICES:
            raise ValueError(f"model: the arrays need {devices} devices; at most {MAX_DEVICES} (2^26) in all")
        return self

    @property
    def is_image(self) -> bool:
        """Whether this is an image network (a sample is an image) rather than a character LSTM."""
        return isinstance(self.model, LayersModel)

    @property
    def classes(self) -> int:
        """Outputs of the softmax: the classes of an image network, the symbols V of an LSTM."""
        if isinstance(self.model, LayersModel):
            return self.model.layers[-1].size
        return int(self.vocab_size or 0)

    def arrays(self) -> list[ArrayShape]:
        """The RPU arrays of the paper's mapping, input layer first, softmax last, with the MVMs
        each takes per sample (a character, or an image) in each phase."""
        if isinstance(self.model, LayersModel):
            return _image_arrays(self.model)
        m, v = self.model.hidden_size, int(self.vocab_size or 0)
        shapes = []
        n = v
        for layer in range(self.model.num_layers):
            shapes.append(ArrayShape(f"lstm{layer + 1}", rows=4 * m, cols=m + n + 1))
            n = m
        shapes.append(ArrayShape("softmax", rows=v, cols=m + 1, kind="softmax"))
        return shapes


def _image_arrays(model: LayersModel) -> list[ArrayShape]:
    """K1, K2 ... for conv layers, W1, W2 ... for the fully connected ones and the softmax (the
    2017 paper's names count the fully connected arrays after the kernels: K1 K2 W3 W4)."""
    shapes: list[ArrayShape] = []
    first = True
    for s in model.shapes():
        layer = s.layer
        if isinstance(layer, PoolLayer):
            continue
        n_in = s.input[0] * s.input[1] * s.input[2]
        if isinstance(layer, ConvLayer):
            name, rows, cols = f"K{len(shapes) + 1}", layer.kernels, layer.size**2 * s.input[2] + 1
        else:
            name, rows, cols = f"W{len(shapes) + 1}", layer.size, n_in + 1
        positions = s.positions
        shapes.append(
            ArrayShape(
                name,
                rows,
                cols,
                forward_mvms=positions,
                # The first array's backward would compute the input image's error, which nothing uses.
                backward_mvms=0 if first else positions,
                updates=positions,
                devices_per_weight=layer.devices_per_weight,
                layer=s.index,
                kind=layer.kind,
                replicas=getattr(layer, "replicas", 1),
            )
        )
        first = False
    return shapes


@dataclass(frozen=True)
class ArrayShape:
    """One logical array: ``rows`` outputs (forward) by ``cols`` inputs, the bias column included,
    and its array cycles per sample (a character or an image) in each phase: a conv layer's
    array takes one per output position; the first array of an image network skips backward."""

    name: str
    rows: int
    cols: int
    forward_mvms: int = 1
    backward_mvms: int = 1
    updates: int = 1
    #: Devices per weight (device-variability reduction: the weight is their sum).
    devices_per_weight: int = 1
    #: Index of the layer in the workload's layer list (None: an LSTM workload's array).
    layer: int | None = None
    #: The layer's kind: lstm, conv, fc or softmax.
    kind: str = "lstm"
    #: Copies of the array on separate tiles, the positions split over them (chip mapping only).
    replicas: int = 1

    @property
    def devices(self) -> int:
        return self.rows * self.cols * self.devices_per_weight


def load_workload(name_or_path: str | Path) -> WorkloadConfig:
    """A workload preset by name (``workloads/NAME.yaml``) or by path; a corpus given by a relative
    path is looked up in the working directory, then beside the workload file."""
    path = resolve_preset(name_or_path, WORKLOADS_DIR, "workload")
    config = load_preset(path, WORKLOADS_DIR, "workload", WorkloadConfig)
    corpus = resolve_corpus(config.corpus, path)
    return config if corpus == config.corpus else config.model_copy(update={"corpus": corpus})


def workload_presets() -> list[str]:
    """Names of the presets in ``workloads/``."""
    return preset_names(WORKLOADS_DIR)
