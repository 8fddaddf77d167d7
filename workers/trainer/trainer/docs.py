"""Writes the command reference of docs/training.md from the commands' own Config classes.

`python -m trainer.docs [--check] PATH` replaces what lies between the `<!-- commands:start -->`
and `<!-- commands:end -->` markers: per command its docstring and a table of options with
defaults and the comment written beside (or above) each field. `--check` fails when the file is
out of date, so the reference cannot drift from the code.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import json
import sys
from pathlib import Path

from .commands import COMMANDS
from .config import option_fields
from .options import describe, rules

START, END = "<!-- commands:start -->", "<!-- commands:end -->"


def _field_comments(cls: type) -> dict[str, str]:
    """The comment beside (or above) each field, from the Config and the classes it inherits; a
    redeclaration without a comment keeps the inherited one."""
    comments: dict[str, str] = {}
    for c in reversed(cls.__mro__):
        if dataclasses.is_dataclass(c):
            comments |= {name: text for name, text in _declared_comments(c).items() if text or name not in comments}
    return comments


def _declared_comments(cls: type) -> dict[str, str]:
    source = inspect.getsource(cls)
    lines = source.splitlines()
    comments: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        line = lines[node.lineno - 1]
        text = line.split("#", 1)[1].strip() if "#" in line else ""
        above = []
        i = node.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        comments[node.target.id] = " ".join([*above, text]).strip()
    return comments


def _default(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
        return "**required**"
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    return f"`{json.dumps(value)}`"


def reference() -> str:
    parts = []
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        doc = inspect.cleandoc(module.__doc__ or "")
        comments = _field_comments(module.Config)
        rows = []
        for f in option_fields(module.Config):
            meaning = comments.get(f.name, "").replace("|", r"\|")
            r = rules(module.Config, f.name)
            allowed = describe(r) + (" (set by the job)" if r.get("role") == "input" else "")
            rows.append(f"| `--{f.name.replace('_', '-')}` | {_default(f)} | {allowed.strip()} | {meaning} |")
        table = ["| option | default | allowed | meaning |", "|---|---|---|---|", *rows]
        parts.append("\n".join([f"### `{name}`", "", doc, "", *table]))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.docs")
    parser.add_argument("path")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    path = Path(args.path)
    text = path.read_text()
    if START not in text or END not in text:
        print(f"{path} lacks the {START} … {END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{START}\n\n{reference()}\n\n{END}{tail}"
    if args.check:
        if updated != text:
            print(f"{path} is out of date: run `make docs-training`", file=sys.stderr)
            return 1
        return 0
    path.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
