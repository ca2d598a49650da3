"""Configuration errors that name the file, the field and what is allowed, and the YAML loader."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """Invalid configuration. The message names the source file, the field and what is allowed."""


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation admits (through Annotated, unions, Optional, lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _tag_of(model: type[BaseModel]) -> Any:
    kind = model.model_fields.get("kind")
    return kind.default if kind is not None else None


def _resolve_location(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[str], list[str] | None]:
    """The location as the user wrote it (without union tags and list indices' brackets) and the
    keys allowed where its last part sits, following nested models and ``kind:`` unions."""
    candidates: list[type[BaseModel]] = [model]
    shown: list[str] = []
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int):
            shown.append(str(part))
            continue
        tagged = [m for m in candidates if len(candidates) > 1 and _tag_of(m) == part]
        if tagged and not last:
            candidates = tagged  # a union member's tag, which the user did not write
            continue
        shown.append(str(part))
        if last:
            break
        owners = [m for m in candidates if part in m.model_fields]
        candidates = [sub for m in owners for sub in _models_in(m.model_fields[part].annotation)]
    allowed = sorted(candidates[0].model_fields) if len(candidates) == 1 else None
    return shown, allowed


def format_validation_error(err: ValidationError, model: type[BaseModel], source: str) -> str:
    """One line per problem: ``source: field.path: message (allowed ...)``."""
    lines = []
    for problem in err.errors():
        loc = tuple(problem["loc"])
        shown, allowed = _resolve_location(model, loc)
        path = ".".join(shown) or "<top level>"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            if allowed:
                message += f"; allowed keys: {', '.join(allowed)}"
        elif "input" in problem and problem["type"] not in ("missing",):
            message += f" (got {problem['input']!r})"
        lines.append(f"{source}: {path}: {message}")
    return "\n".join(lines)


def validate(model: type[M], data: Any, source: str) -> M:
    """Build ``model`` from plain data, raising ConfigError that names ``source`` and the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, model, source)) from None


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}); a YAML file is UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def resolve_preset(name_or_path: str | Path, folder: Path, what: str) -> Path:
    """A preset given by name (looked up in ``folder``) or by path to a YAML file: a path ends in
    .yaml/.yml or is an existing file written with a folder (``./my-rpu``); a name is one plain
    word, so that it cannot reach outside ``folder``."""
    candidate = Path(name_or_path)
    text = str(name_or_path)
    has_folder = "/" in text or os.sep in text
    given_as_path = has_folder or isinstance(name_or_path, Path)
    if candidate.suffix in (".yaml", ".yml") or (given_as_path and candidate.exists()):
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: no such {what} file")
        return candidate
    if has_folder or text.startswith("."):
        raise ConfigError(
            f"{what} '{text}': no such file, and not a preset name (a name has no '/' and no leading "
            "'.'); give a preset name or the path of a YAML file"
        )
    preset = folder / f"{name_or_path}.yaml"
    if preset.is_file():
        return preset
    available = sorted(p.stem for p in folder.glob("*.yaml"))
    raise ConfigError(
        f"unknown {what} '{name_or_path}': not a file and not a preset in {folder}; "
        f"available presets: {', '.join(available) or '(none)'}"
    )


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``, merging nested mappings key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_preset_data(path: Path, folder: Path, what: str, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a preset, resolving ``extends: OTHER`` (a preset in ``folder``) by a deep merge."""
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ConfigError(f"{path}: extends: circular chain {chain}")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: must be a preset name, got {parent!r}")
    try:
        parent_path = resolve_preset(parent, folder, what)
    except ConfigError as err:
        raise ConfigError(f"{path}: extends: {err}") from None
    base = load_preset_data(parent_path, folder, what, (*_seen, path.resolve()))
    return deep_merge(base, data)


def load_preset(name_or_path: str | Path, folder: Path, what: str, model: type[M]) -> M:
    """A preset of ``model`` by name (a YAML file in ``folder``) or by path, ``extends:`` resolved;
    errors name the file, the field and what is allowed."""
    path = resolve_preset(name_or_path, folder, what)
    return validate(model, load_preset_data(path, folder, what), str(path))


def preset_names(folder: Path) -> list[str]:
    """Names of the presets (YAML files) in ``folder``."""
    return sorted(p.stem for p in folder.glob("*.yaml"))
