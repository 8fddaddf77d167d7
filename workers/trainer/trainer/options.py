"""What each command option may hold, declared once on its Config field and read three ways.

`opt(default, ge=…, le=…, choices=…, …)` is a dataclass field whose metadata holds the option's
rules. The trainer checks them when a config is loaded (`check_options`), `python -m trainer.docs`
writes them into docs/training.md, and `python -m trainer.ts_options` writes them as the zod
schemas the platform checks a job's overrides with before it queues anything
(server/training/trainer-options.generated.ts), so the three can never disagree.

The role says who sets an option: `override` (the default: a job may set it), `input` (the job
pins it from its own ids: data, models, output folder) or `internal` (never offered to a job).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from .errors import TrainerError

ROLES = ("override", "input", "internal")
_KEYS = ("ge", "gt", "le", "lt", "choices", "pattern", "pattern_text", "items", "kind", "role")


def opt(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, ge: float | None = None, gt: float | None = None,
        le: float | None = None, lt: float | None = None, choices: tuple[str, ...] | None = None, pattern: str | None = None,
        pattern_text: str | None = None, items: dict[str, int] | None = None, kind: str | None = None, role: str = "override") -> Any:
    """A Config field with its rules: bounds (ge/gt/le/lt), the allowed strings (choices), a regular
    expression with what it means in words (pattern, pattern_text), the limits of a list of strings
    (items: min/max count, max_length of each), a named kind the platform spells itself (kind)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    meta = {k: v for k, v in dict(ge=ge, gt=gt, le=le, lt=lt, choices=choices, pattern=pattern, pattern_text=pattern_text,
                                  items=items, kind=kind, role=role).items() if v is not None}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def rules(cls: type, name: str) -> dict[str, Any]:
    """The rules of option `name` of Config class `cls`: those of its own opt(), else (a field a
    subclass redeclares only to change its default) those of the nearest base class that has them."""
    for c in cls.__mro__:
        f = getattr(c, "__dataclass_fields__", {}).get(name)
        if f is not None and f.metadata:
            return {k: f.metadata[k] for k in _KEYS if k in f.metadata}
    return {}


def role(cls: type, name: str) -> str:
    return rules(cls, name).get("role", "override")


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def describe(r: dict[str, Any]) -> str:
    """Rules in words, for the reference: "1 to 65536", "> 0", "k1 | k3"."""
    parts = []
    if "choices" in r:
        parts.append(" \\| ".join(r["choices"]))
    low = f">= {_number(r['ge'])}" if "ge" in r else f"> {_number(r['gt'])}" if "gt" in r else None
    high = f"<= {_number(r['le'])}" if "le" in r else f"< {_number(r['lt'])}" if "lt" in r else None
    if "ge" in r and "le" in r:
        parts.append(f"{_number(r['ge'])} to {_number(r['le'])}")
    else:
        parts.extend(p for p in (low, high) if p)
    if "pattern_text" in r:
        parts.append(r["pattern_text"])
    if "items" in r:
        items = r["items"]
        parts.append(f"{items.get('min', 0)} to {items['max']} strings of at most {items['max_length']} characters")
    return ", ".join(parts)


def _fail(name: str, value: Any, rule: str) -> TrainerError:
    return TrainerError(f"{name} must be {rule}, got {value!r}")


def check_value(name: str, value: Any, r: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise _fail(name, value, "a finite number")
        if "ge" in r and not value >= r["ge"]:
            raise _fail(name, value, f">= {_number(r['ge'])}")
        if "gt" in r and not value > r["gt"]:
            raise _fail(name, value, f"> {_number(r['gt'])}")
        if "le" in r and not value <= r["le"]:
            raise _fail(name, value, f"<= {_number(r['le'])}")
        if "lt" in r and not value < r["lt"]:
            raise _fail(name, value, f"< {_number(r['lt'])}")
    if "choices" in r and value not in r["choices"]:
        raise TrainerError(f"{name} must be one of {', '.join(r['choices'])}, not {value!r}")
    if "pattern" in r and not (isinstance(value, str) and re.fullmatch(r["pattern"], value)):
        raise _fail(name, value, r.get("pattern_text", f"like {r['pattern']}"))
    if "items" in r:
        items = r["items"]
        if not (items.get("min", 0) <= len(value) <= items["max"]) or any(not s or len(s) > items["max_length"] for s in value):
            raise _fail(name, value, f"{items.get('min', 0)} to {items['max']} non-empty strings of at most {items['max_length']} characters")


def check_options(cfg: Any) -> None:
    """Every field's rules against the config's value."""
    for f in dataclasses.fields(cfg):
        check_value(f.name, getattr(cfg, f.name), rules(type(cfg), f.name))
