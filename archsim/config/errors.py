"""Configuration errors that name the file, the field and what is allowed, and the YAML loader.

A configuration file is small: its size, nesting and number of nodes (aliases expanded) are
bounded before and while it is parsed, so that a few hundred hostile bytes cannot take gigabytes
or minutes; an error message never echoes more than a short prefix of an input value.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None

M = TypeVar("M", bound=BaseModel)

#: Largest configuration file read, in bytes (the shipped presets and sweeps are under 4 KiB).
MAX_YAML_BYTES = 128 * 1024
#: Deepest nesting of mappings and lists in a configuration file, aliases expanded.
MAX_YAML_DEPTH = 32
#: Most nodes (mappings, lists and scalars) in a configuration file, aliases expanded.
MAX_YAML_NODES = 100_000
#: Most problems listed in one error; the rest are counted.
MAX_PROBLEMS = 20
#: Most characters of an input value echoed in a message.
MAX_ECHO = 80
#: Longest name and description of a preset (names appear in messages, reports and file names).
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2000


class ConfigError(ValueError):
    """Invalid configuration. The message names the source file, the field and what is allowed."""


_REPR = reprlib.Repr()  # short reprs of nested input: a few items per level, two levels
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring = _REPR.maxother = MAX_ECHO


def echo(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` cut to about ``limit`` characters: what a message may show of an input."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters (a name or path taken from the input)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        if tagged:  # a union member's tag, which the user did not write (last: a cross-field check)
            candidates = tagged
            continue
        shown.append(str(part))
        if last:
            break
        owners = [m for m in candidates if part in m.model_fields]
        candidates = [sub for m in owners for sub in _models_in(m.model_fields[part].annotation)]
    allowed = sorted(candidates[0].model_fields) if len(candidates) == 1 else None
    return shown, allowed


def format_validation_error(err: ValidationError, model: type[BaseModel], source: str) -> str:
    """One line per problem: ``source: field.path: message (allowed ...)``; at most
    MAX_PROBLEMS lines and a count of the rest, input values cut to MAX_ECHO characters."""
    problems = err.errors(include_url=False)
    lines = []
    for problem in problems[:MAX_PROBLEMS]:
        loc = tuple(problem["loc"])
        shown, allowed = _resolve_location(model, loc)
        path = ".".join(clip(part, 40) for part in shown) or "<top level>"
        message = clip(problem["msg"], 200)
        if problem["type"] == "extra_forbidden":
            message = f"unknown key {echo(loc[-1], 40)}"
            if allowed:
                message += f"; allowed keys: {', '.join(allowed)}"
        elif problem["type"] == "value_error":  # a cross-field check: its message names the values
            message = message.removeprefix("Value error, ")
        elif "input" in problem and problem["type"] not in ("missing", "union_tag_invalid"):
            message += f" (got {echo(problem['input'])})"
        lines.append(f"{source}: {path}: {message}")
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"{source}: ... and {len(problems) - MAX_PROBLEMS} more problems")
    return "\n".join(lines)


def validate(model: type[M], data: Any, source: str) -> M:
    """Build ``model`` from plain data, raising ConfigError that names ``source`` and the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, model, source)) from None


class _Refused(Exception):
    """A document the bounded loader refuses (a limit, a recursive alias, a repeated key);
    read_yaml names the file."""


class _BoundedComposer(Composer):
    """YAML's composer that refuses nesting deeper than MAX_YAML_DEPTH, more than MAX_YAML_NODES
    nodes with every alias counted at its expanded size (an alias bomb is a few hundred bytes of
    text and billions of nodes of data), recursive aliases and keys given twice."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._size: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth), aliases expanded

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._size:
                raise _Refused(
                    f"line {event.start_mark.line + 1}: alias *{clip(event.anchor, 40)} refers to "
                    "a node that contains it (a recursive alias)"
                )
            return super().compose_node(parent, index)
        start = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _Refused(f"line {start.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels")
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
            _check_unique_keys(node)
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        sizes = [self._size[id(child)] for child in children]
        nodes = 1 + sum(n for n, _ in sizes)
        depth = 1 + max((d for _, d in sizes), default=0)
        if nodes > MAX_YAML_NODES:
            raise _Refused(f"line {start.line + 1}: more than {MAX_YAML_NODES} nodes with aliases expanded")
        if depth > MAX_YAML_DEPTH:
            raise _Refused(
                f"line {start.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels with aliases expanded"
            )
        self._size[id(node)] = (nodes, depth)
        return node


def _check_unique_keys(node: yaml.MappingNode) -> None:
    """A key given twice in one mapping is an error (YAML would keep the last one silently)."""
    seen = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                raise _Refused(f"line {key.start_mark.line + 1}: key {echo(key.value, 40)} is given twice")
            seen.add(key.value)


class _PyBoundedLoader(Reader, Scanner, Parser, _BoundedComposer, SafeConstructor, Resolver):
    """The safe loader in Python, with the bounded composer."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # Refused as the scanner meets it: it scans a line of '[[[[...' far ahead otherwise.
        if self.flow_level >= MAX_YAML_DEPTH:
            raise _Refused(f"line {self.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels")
        super().fetch_flow_collection_start(token_class)


_LOADERS: list[type] = [_PyBoundedLoader]
if CParser is not None:

    class _CBoundedLoader(CParser, _BoundedComposer, SafeConstructor, Resolver):
        """The safe loader on libyaml's parser (several times faster than PyYAML's own, on flow
        collections above all, and bounded in nesting), with the bounded composer."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        # The composer's, not libyaml's: the limits are checked node by node.
        get_single_node = _BoundedComposer.get_single_node
        get_node = _BoundedComposer.get_node
        check_node = _BoundedComposer.check_node

    _LOADERS.append(_CBoundedLoader)

for _loader in _LOADERS:  # YAML 1.2 floats: 1e-3 (YAML 1.1 wants 1.0e-3, and reads a string)
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
#: The loader read_yaml uses: libyaml's parser where PyYAML has it.
_BoundedLoader = _LOADERS[-1]


def _yaml_problem(err: Exception) -> str:
    """A parser's error in one line: where and what (PyYAML's own text spans several lines)."""
    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: "
        text = ": ".join(part for part in (err.context, err.problem) if part)
    else:
        where, text = "", str(err)
    return where + clip(" ".join(text.split()), 200)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file. The file is refused, before it is
    parsed, when larger than MAX_YAML_BYTES or not UTF-8 text, and while it is parsed when
    deeper or larger than the loader's limits; an empty file is an error."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_YAML_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    if len(raw) > MAX_YAML_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_YAML_BYTES} bytes, the limit for a configuration file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {err.start}); a configuration file is YAML text"
        ) from None
    try:
        data = yaml.load(text, Loader=_BoundedLoader)
    except _Refused as err:
        raise ConfigError(f"{path}: {err}") from None
    except (yaml.YAMLError, ValueError, OverflowError) as err:  # ValueError: a date out of range...
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(err)}") from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty; a configuration sets its fields (or extends a preset)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def _holds(path: Path, test: Any) -> bool:
    """``test(path)`` (``Path.exists``, ``Path.is_file``); False for a name that no file can have
    (too long for the file system, or with a NUL byte)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


def resolve_preset(name_or_path: str | Path, folder: Path, what: str) -> Path:
    """A preset given by name (looked up in ``folder``) or by path to a YAML file: a path ends in
    .yaml/.yml or is an existing file written with a folder (``./my-rpu``); a name is one plain
    word, so that it cannot reach outside ``folder``."""
    candidate = Path(name_or_path)
    text = str(name_or_path)
    has_folder = "/" in text or os.sep in text
    given_as_path = has_folder or isinstance(name_or_path, Path)
    if candidate.suffix in (".yaml", ".yml") or (given_as_path and _holds(candidate, Path.exists)):
        if not _holds(candidate, Path.is_file):
            raise ConfigError(f"{clip(str(candidate), 200)}: no such {what} file")
        return candidate
    if has_folder or text.startswith("."):
        raise ConfigError(
            f"{what} {echo(text)}: no such file, and not a preset name (a name has no '/' and no "
            "leading '.'); give a preset name or the path of a YAML file"
        )
    preset = folder / f"{name_or_path}.yaml"
    if _holds(preset, Path.is_file):
        return preset
    available = sorted(p.stem for p in folder.glob("*.yaml"))
    raise ConfigError(
        f"unknown {what} {echo(str(name_or_path))}: not a file and not a preset in {folder}; "
        f"available presets: {_listed_presets(text, available)}"
    )


#: Longest list of preset names in an error message (it stays one readable line).
MAX_PRESET_LIST_CHARS = 100


def _listed_presets(name: str, available: list[str]) -> str:
    """The preset names for an error: all (sorted) when they fit MAX_PRESET_LIST_CHARS, else the
    ones most like ``name`` first, as many as fit, and how many more ``archsim presets`` lists."""
    listed = ", ".join(available)
    if len(listed) <= MAX_PRESET_LIST_CHARS:
        return listed or "(none)"
    like = sorted(available, key=lambda p: -difflib.SequenceMatcher(None, name[:100], p).ratio())
    shown: list[str] = []
    for preset in like:
        if len(", ".join([*shown, preset])) > MAX_PRESET_LIST_CHARS:
            break
        shown.append(preset)
    return f"{', '.join(shown)} and {len(available) - len(shown)} more (archsim presets lists them)"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``, merging nested mappings key by key. A mapping with integer
    keys on top of a list merges into the list's items at those indices (``layers: {0:
    {devices_per_weight: 13}}`` changes the first layer only); any other value replaces."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = deep_merge(old, value)
        elif (
            isinstance(value, dict) and isinstance(old, list) and value and all(type(k) is int for k in value)
        ):
            merged[key] = _merge_items(key, old, value)
        else:
            merged[key] = value
    return merged


def _merge_items(key: Any, base: list[Any], override: dict[int, Any]) -> list[Any]:
    items = list(base)
    for index, value in override.items():
        if not 0 <= index < len(items):
            raise ConfigError(
                f"{key}: {index}: no such item of the extended preset's list (0 to {len(items) - 1})"
            )
        old = items[index]
        items[index] = deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return items


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
        raise ConfigError(f"{path}: extends: must be a preset name, got {echo(parent)}")
    try:
        parent_path = resolve_preset(parent, folder, what)
    except ConfigError as err:
        raise ConfigError(f"{path}: extends: {err}") from None
    base = load_preset_data(parent_path, folder, what, (*_seen, path.resolve()))
    try:
        return deep_merge(base, data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def load_preset(name_or_path: str | Path, folder: Path, what: str, model: type[M]) -> M:
    """A preset of ``model`` by name (a YAML file in ``folder``) or by path, ``extends:`` resolved;
    errors name the file, the field and what is allowed."""
    path = resolve_preset(name_or_path, folder, what)
    return validate(model, load_preset_data(path, folder, what), str(path))


def preset_names(folder: Path) -> list[str]:
    """Names of the presets (YAML files) in ``folder``."""
    return sorted(p.stem for p in folder.glob("*.yaml"))
