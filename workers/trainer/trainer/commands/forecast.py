"""Forecast what more labels would buy: reward models on nested subsets, a power law through them.

The snapshot's prompts are split once (as `reward` splits them: by prompt, `split` names it), and
the held-out prompts are written to OUTPUT_DIR/held_out.jsonl, the one evaluation set of every
run. The training prompts are shuffled with the seed, and reward models are trained (the `reward`
command's own training, every reward option applies) on the first 1/16, 1/8, 1/4, 1/2 and all of
them, so each subset holds the smaller ones; each run lives in OUTPUT_DIR/runs/<share>/ and a
re-run resumes or skips it. Each run's best held-out loss and its accuracy there, with its pair
count, are the points; L(n) = a·n^(−b) + c is fitted to the losses and to the errors
(1 − accuracy), with a bootstrap over the runs (see trainer/forecast.py). The held-out set also
picks each run's best step, so its figures lean a little optimistic, the same way for every run.
OUTPUT_DIR/forecast.json holds the points, both fits, their bands over a grid of n (curve and one
new run), and, when asked, the pairs `target_accuracy` needs and the loss and accuracy forecast
after `more_pairs` more pairs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import forecast as law
from ..checkpoint import Checkpoints
from ..context import RunContext
from ..errors import TrainerError
from ..events import EventWriter
from ..loop import log
from ..options import opt
from ..split import default_split_name, prompt_key, split_by_prompt
from . import reward

OUTPUT_FILE = "forecast.json"
SHARES = (("1-16", 1 / 16), ("1-8", 1 / 8), ("1-4", 1 / 4), ("1-2", 1 / 2), ("all", 1.0))
GRID_POINTS = 25
GRID_REACH = 16  # the band runs from the smallest run to this many times the largest


@dataclass(kw_only=True)
class Config(reward.Config):
    output_dir: str = opt(role="input")  # where held_out.jsonl, runs/ and forecast.json go
    eval_fraction: float = opt(0.2, gt=0, lt=1)  # share of prompts held out (by prompt, see `split`), the same for every run
    target_accuracy: float | None = opt(None, gt=0, lt=1)  # held-out pair accuracy to find the pairs needed for
    more_pairs: int | None = opt(None, ge=1)  # forecast loss and accuracy after this many more training pairs
    resamples: int = opt(1000, ge=10, le=100_000)  # bootstrap refits over the runs


def _records(path: str) -> list[dict[str, Any]]:
    # The reader has already checked every line; the subsets are written back as they were read.
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)


def nested_subsets(train: list[dict[str, Any]], seed: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, records) per share: the first ⌈share × prompts⌉ prompts of one seeded shuffle, so
    every subset holds the smaller ones."""
    keys = sorted({prompt_key(r["prompt"]) for r in train})
    random.Random(seed).shuffle(keys)
    out = []
    for name, share in SHARES:
        chosen = set(keys[: max(1, math.ceil(share * len(keys)))])
        out.append((name, [r for r in train if prompt_key(r["prompt"]) in chosen]))
    return out


def train_subset(cfg: Config, ctx: RunContext, name: str, data: Path, held_out: Path) -> dict[str, Any]:
    out = ctx.output_dir / "runs" / name
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(reward.Config)}
    sub = reward.Config(**{**fields, "data": str(data), "eval_data": str(held_out), "output_dir": str(out)})
    out.mkdir(parents=True, exist_ok=True)
    # Each run's own events go to its folder; the forecast's stream gets one eval event per run.
    with (out / "events.jsonl").open("a", encoding="utf-8") as stream:
        sub_ctx = RunContext(events=EventWriter(stream), runtime=ctx.runtime, output_dir=out,
                             checkpoints=Checkpoints(out, keep=cfg.keep_checkpoints), stop=ctx.stop)
        return reward.run(sub, sub_ctx)


def _answers(cfg: Config, loss: law.Forecast, error: law.Forecast, largest: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if cfg.target_accuracy is not None:
        answers["target_accuracy"] = {"accuracy": cfg.target_accuracy, **error.pairs_needed(1 - cfg.target_accuracy)}
    if cfg.more_pairs is not None:
        n = largest + cfg.more_pairs
        answers["more_pairs"] = {
            "more_pairs": cfg.more_pairs,
            "pairs": n,
            "loss": loss.predict(n).as_dict(),
            "loss_new_run": loss.predict(n, new_run=True).as_dict(),
            "accuracy": law.accuracy(error.predict(n)).as_dict(),
            "accuracy_new_run": law.accuracy(error.predict(n, new_run=True)).as_dict(),
        }
    return answers


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    if rt.world_size > 1:
        raise TrainerError("forecast trains its runs one after another on one process; start it without torchrun")
    # Checks the snapshot (every line, the layout) before anything is written.
    reward.read_groups(cfg.data, cfg.format)
    records = _records(cfg.data)
    if cfg.eval_data:
        reward.read_groups(cfg.eval_data, cfg.format)
        train, held = records, _records(cfg.eval_data)
    else:
        train, held = split_by_prompt(records, lambda r: prompt_key(r["prompt"]), cfg.eval_fraction, cfg.split or default_split_name(cfg.seed))
    if not held:
        raise TrainerError(f"{cfg.data} has too few prompts to hold any out; the forecast measures every run on held-out prompts")
    held_file = ctx.output_dir / "held_out.jsonl"
    _write_jsonl(held_file, held)

    points = []
    ctx.events.total_steps = len(SHARES)
    for k, (name, subset) in enumerate(nested_subsets(train, cfg.seed), start=1):
        data = ctx.output_dir / "runs" / name / "train.jsonl"
        _write_jsonl(data, subset)
        log(f"forecast: run {k}/{len(SHARES)} on {name} of the training prompts")
        summary = train_subset(cfg, ctx, name, data, held_file)
        if summary.get("interrupted"):
            return {"interrupted": True, "runs_done": k - 1, "run": name, "checkpoint": summary.get("checkpoint")}
        if summary.get("best_eval_loss") is None:
            raise TrainerError(f"run {name} reported no held-out loss")
        point = {"run": name, "train_pairs": summary["train_pairs"], "train_prompts": summary["train_prompts"],
                 "loss": summary["best_eval_loss"], "accuracy": summary["best_eval_accuracy"], "eval_pairs": summary["eval_pairs"]}
        points.append(point)
        ctx.events.eval(k, **point)
        ctx.events.metric(k, "eval/loss", point["loss"])
        ctx.events.metric(k, "eval/accuracy", point["accuracy"])

    n = [float(p["train_pairs"]) for p in points]
    loss = law.fit(n, [p["loss"] for p in points], cfg.resamples, cfg.seed)
    error = law.fit(n, [1 - p["accuracy"] for p in points], cfg.resamples, cfg.seed)
    grid = np.geomspace(min(n), GRID_REACH * max(n), GRID_POINTS).round().tolist()
    result = {
        "points": points,
        "split": {"eval_data": cfg.eval_data} if cfg.eval_data else {"name": cfg.split or default_split_name(cfg.seed), "fraction": cfg.eval_fraction},
        "loss": {**loss.summary(), "band": loss.band(grid)},
        "error": {**error.summary(), "band": error.band(grid)},
        "answers": _answers(cfg, loss, error, max(n)),
    }
    out_file = ctx.output_dir / OUTPUT_FILE
    tmp = out_file.with_name(f".{OUTPUT_FILE}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=2, allow_nan=False))
    os.replace(tmp, out_file)
    return {"runs": len(points), "output": str(out_file), "loss_fit": result["loss"]["params"], "error_fit": result["error"]["params"],
            "answers": result["answers"]}
