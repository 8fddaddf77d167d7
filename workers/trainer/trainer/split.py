"""The held-out split: which prompts a run keeps out of training, by prompt, never by pair.

A prompt is held out when sha256(split name + prompt) falls in the first `fraction` of the hash
range. Membership depends only on the prompt and the split's name, never on what else the snapshot
holds, so a project that keeps one split name keeps the same prompts held out in every later,
larger snapshot: reward models trained months apart are compared on items none of them trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from .data import Message


def prompt_key(prompt: list[Message]) -> str:
    return json.dumps(prompt, sort_keys=True, ensure_ascii=False)


def default_split_name(seed: int) -> str:
    return f"seed-{seed}"


def _position(key: str, name: str) -> float:
    digest = hashlib.sha256(f"{name}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(key: str, name: str, fraction: float) -> bool:
    return _position(key, name) < fraction


def split_by_prompt(items: Sequence[Any], key: Callable[[Any], str], fraction: float, name: str) -> tuple[list[Any], list[Any]]:
    """(train, held out): every item of a held-out prompt is held out.

    With a fraction above 0 and two or more prompts, both sides get at least one prompt: the
    prompt nearest the start of the range is held out when the hash holds none out, and the one
    nearest its end is trained on when the hash holds every prompt out (only tiny sets hit this).
    """
    keys = sorted({key(x) for x in items})
    if fraction <= 0 or len(keys) < 2:
        return list(items), []
    held = {k for k in keys if is_held_out(k, name, fraction)}
    if not held:
        held = {min(keys, key=lambda k: _position(k, name))}
    elif len(held) == len(keys):
        held.discard(max(keys, key=lambda k: _position(k, name)))
    return [x for x in items if key(x) not in held], [x for x in items if key(x) in held]


def held_out_split(cfg: Any) -> dict[str, Any] | None:
    """What a run records about its held-out prompts: a separate file, or the split's name and share."""
    if getattr(cfg, "eval_data", None):
        return {"eval_data": cfg.eval_data}
    if cfg.eval_fraction <= 0:
        return None
    return {"name": cfg.split or default_split_name(cfg.seed), "fraction": cfg.eval_fraction}


def train_and_held_out(items: Sequence[Any], cfg: Any, read_eval: Callable[[str], list[Any]]) -> tuple[list[Any], list[Any]]:
    """(train, held out) of a training run: every item and the items of `eval_data` when the run
    has one, else the split by prompt that `split` names (default "seed-<seed>")."""
    if cfg.eval_data:
        return list(items), read_eval(cfg.eval_data)
    return split_by_prompt(items, lambda x: x.key, cfg.eval_fraction, cfg.split or default_split_name(cfg.seed))
