"""Field overrides by dotted path: ``chip.tile.adc.count_per_tile=64``.

One implementation for the sweep's axes (:mod:`archsim.sweep.points`), the command line's
``--set PATH=VALUE`` and Python scripts (:func:`with_overrides`). A path starts with a root (a
field of the configuration it applies to: ``chip``, ``rpu``, ``workload``, or a sweep's
``command``) and names a field inside it; the value replaces what sits there and the whole
configuration is validated again, so a bad path or value is a :class:`ConfigError` naming the
path and what is allowed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, create_model

from archsim.config.errors import ConfigError, echo, validate

M = TypeVar("M", bound=BaseModel)

#: Longest PATH=VALUE of one command-line override.
MAX_ASSIGNMENT = 1000


def check_path(path: str, roots: Iterable[str], where: str, whole: Iterable[str] = ()) -> list[str]:
    """The parts of a dotted ``path``; ConfigError (naming ``where``) unless it starts with one of
    ``roots`` and names a field below it (or is one of the roots ``whole``, which stand alone: a
    sweep's preset axes)."""
    roots = tuple(roots)
    parts = path.split(".") if isinstance(path, str) else [""]
    if parts[0] not in roots or any(not p for p in parts):
        examples = {"chip": "chip.tile.adc.count_per_tile", "rpu": "rpu.forward.inp_bits",
                    "workload": "workload.training.learning_rate", "command": "command.streams"}  # fmt: skip
        shown = ", ".join(examples[r] for r in roots if r in examples)
        raise ConfigError(
            f"{where}: {echo(path)} is not a configuration path; it must start with one of "
            f"{', '.join(roots)}" + (f" (e.g. {shown})" if shown else "")
        )
    if len(parts) == 1 and parts[0] not in whole:
        raise ConfigError(f"{where}: {path} is a whole configuration; name a field in it ({path}.FIELD)")
    return parts


def set_path(data: dict[str, Any], parts: list[str], value: Any, where: str) -> None:
    """Replace what sits at ``parts`` in plain data (creating missing mappings on the way); a part
    that is a number indexes a list (``workload.model.layers.0.replicas``)."""
    node: Any = data
    for depth, part in enumerate(parts):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                above = ".".join(parts[:depth])
                raise ConfigError(
                    f"{where}: {above} is a list of {len(node)}; {echo(part)} is not an index of it "
                    f"(0 to {len(node) - 1}); cannot set {'.'.join(parts)}"
                )
            part = int(part)
        if depth == len(parts) - 1:
            node[part] = copy.deepcopy(value)
            return
        nxt = node[part] if isinstance(node, list) else node.setdefault(part, {})
        if not isinstance(nxt, dict | list):
            above = ".".join(parts[: depth + 1])
            raise ConfigError(
                f"{where}: {above} is a value ({echo(nxt)}), not a section; cannot set {'.'.join(parts)}"
            )
        node = nxt


def parse_assignment(text: str, where: str = "--set") -> tuple[str, Any]:
    """``PATH=VALUE`` as (path, value), the value read as YAML (``64``, ``0.5``, ``true``,
    ``null``, ``[1, 2]``, ``sram``); ConfigError naming ``where`` when it is not of that form."""
    if len(text) > MAX_ASSIGNMENT:
        raise ConfigError(f"{where}: {echo(text)}: longer than {MAX_ASSIGNMENT} characters")
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ConfigError(f"{where}: {echo(text)}: expected PATH=VALUE, e.g. chip.tile.adc.count_per_tile=64")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise ConfigError(
            f"{where} {path}: {echo(raw)} is not a YAML value (quote a string: 'text')"
        ) from None
    return path, value


def parse_assignments(texts: Iterable[str], where: str = "--set") -> dict[str, Any]:
    """Several ``PATH=VALUE`` (one option given repeatedly) as path -> value; a path given twice is
    a ConfigError."""
    out: dict[str, Any] = {}
    for text in texts:
        path, value = parse_assignment(text, where)
        if path in out:
            raise ConfigError(f"{where} {path}: given twice")
        out[path] = value
    return out


def with_overrides(config: M, assignments: Mapping[str, Any], where: str = "override") -> M:
    """``config`` (a model whose fields are the roots: a :class:`~archsim.config.Design` has
    ``chip`` and ``rpu``) with each dotted path set to its value and validated again.

    ``with_overrides(design, {"chip.tile.adc.count_per_tile": 64})``. A path that is not a field,
    or a value a field does not allow, is a ConfigError naming ``where``, the path and what is
    allowed.
    """
    if not assignments:
        return config
    data = config.model_dump()
    roots = type(config).model_fields
    for path, value in assignments.items():
        set_path(data, check_path(path, roots, where), value, where)
    return validate(type(config), data, where)


def override_configs(
    configs: Mapping[str, BaseModel], assignments: Mapping[str, Any], where: str = "--set"
) -> dict[str, BaseModel]:
    """Several configurations by root (``{"workload": ..., "rpu": ...}``) with the overrides
    applied: :func:`with_overrides` on a model of just these roots."""
    if not assignments:
        return dict(configs)
    fields: dict[str, Any] = {root: (type(model), ...) for root, model in configs.items()}
    together = create_model(  # type: ignore[call-overload]
        "Configuration", __config__=ConfigDict(frozen=True, extra="forbid"), **fields
    )
    done = with_overrides(together(**configs), assignments, where)
    return {root: getattr(done, root) for root in configs}
