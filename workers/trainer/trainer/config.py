"""Command configs: a dataclass per command, filled from a JSON file and `--key value` flags.

Flags win over the file. An unknown key is an error (a typo must not silently train with the
default), and so is a value of the wrong type.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from .errors import TrainerError

C = TypeVar("C")


def option_fields(cls: type) -> list[dataclasses.Field]:
    """A Config's fields in reading order: required ones first, then those the command declares,
    then those it inherits, nearest base first (a redeclared field stays with the class that
    introduced it)."""
    mro = [c for c in cls.__mro__ if dataclasses.is_dataclass(c)]
    introduced = {name: i for i, c in enumerate(mro) for name in inspect.get_annotations(c)}  # the last, most basic, class wins

    def required(f: dataclasses.Field) -> bool:
        return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING

    return sorted(dataclasses.fields(cls), key=lambda f: (not required(f), introduced[f.name]))


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _allowed(tp: Any) -> tuple[Any, ...]:
    """The plain types a field accepts: `int | None` → (int, NoneType)."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return tuple(a for t in typing.get_args(tp) for a in _allowed(t))
    if typing.get_origin(tp) is typing.Literal:
        return (tp,)
    return (typing.get_origin(tp) or tp,)


def _coerce(command: str, key: str, value: Any, tp: Any) -> Any:
    allowed = _allowed(tp)
    for t in allowed:
        if typing.get_origin(t) is typing.Literal:
            if value in typing.get_args(t):
                return value
            continue
        if t is type(None) and value is None:
            return None
        if t is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if t is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if t in (str, bool, dict, list) and isinstance(value, t):
            return value
    names = ", ".join(repr(a) if typing.get_origin(a) is typing.Literal else getattr(a, "__name__", str(a)) for a in allowed)
    raise TrainerError(f"config key {key!r} of {command}: {value!r} is not {names}")


def _parse_flag(raw: str) -> Any:
    """A flag's value as JSON when it parses (numbers, true/false, null, objects), else a string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def load_config(cls: type[C], command: str, config_path: str | None, flags: list[str]) -> C:
    values: dict[str, Any] = {}
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise TrainerError(f"config file {config_path} does not exist")
        try:
            values = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise TrainerError(f"config file {config_path} is not valid JSON: {e}") from None
        if not isinstance(values, dict):
            raise TrainerError(f"config file {config_path} must hold a JSON object")
    rest = list(flags)
    while rest:
        flag = rest.pop(0)
        if not flag.startswith("--"):
            raise TrainerError(f"unexpected argument {flag!r}; options are --key value")
        key = flag[2:].replace("-", "_")
        if "=" in key:
            key, raw = key.split("=", 1)
        elif rest and not rest[0].startswith("--"):
            raw = rest.pop(0)
        else:
            raw = "true"
        values[key] = _parse_flag(raw)
    fields = _field_types(cls)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise TrainerError(f"unknown config key(s) for {command}: {', '.join(unknown)}; known keys: {', '.join(sorted(fields))}")
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [k for k in required if k not in values]
    if missing:
        raise TrainerError(f"{command} needs {', '.join('--' + k.replace('_', '-') for k in missing)}")
    coerced = {k: _coerce(command, k, v, fields[k]) for k, v in values.items()}
    cfg = cls(**coerced)
    check = getattr(cfg, "validate", None)
    if callable(check):
        check()
    return cfg


def as_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
