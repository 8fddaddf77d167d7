"""Rank unlabelled tasks by how much a label would teach: where an ensemble of reward models disagrees.

Every response of every task in `--pool` is scored by each member of `--reward-models` (two or
more folders the `reward` command wrote, e.g. trained on bootstrap resamples or with other
seeds). Per task, over its response pairs: `disagreement`, the variance over members of the
Bradley–Terry probability sigmoid(r_i − r_j), and `margin`, |mean over members of r_i − r_j|
(raw scores: the probability is defined on them, and each member's own normalisation would
rescale its gaps). With `--safety-model`, `borderline` is the largest 1 − |2·p − 1| over the
task's responses, p the classifier's probability of rubric C (disallowed content), and adds
`borderline_weight` × borderline to the score. OUTPUT_DIR/acquisition.jsonl holds one line per
task, highest score first (ties: smaller margin, then task id): {task_id, score, disagreement,
margin, borderline} (borderline null without a safety model).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..acquisition import TaskScore, rank, score_task
from ..base_config import BATCH, BaseConfig
from ..context import RunContext
from ..data import read_pool
from ..errors import TrainerError
from ..loop import log
from ..options import opt
from ..reward_model import RewardModel, check_reward_model_folder, load_tokenizer, score
from ..rl_math import RUBRICS
from ..safety_model import UNSAFE_RUBRICS, SafetyModel, check_safety_model_folder

OUTPUT_FILE = "acquisition.jsonl"
TOP = 10  # ranked tasks repeated in the done event
MEMBERS = {"min": 2, "max": 64, "max_length": 4096}


@dataclass(kw_only=True)
class Config(BaseConfig):
    output_dir: str = opt(role="input")  # where acquisition.jsonl goes
    pool: str = opt(role="input")  # unlabelled tasks (JSON lines): {task_id, prompt: [messages], responses: [{id, text}, …]}
    reward_models: list[str] = opt(role="input", items=MEMBERS)  # the ensemble: two or more reward model folders
    safety_model: str | None = opt(None, role="input")  # safety model folder: adds how borderline the task's most borderline response is
    borderline_weight: float = opt(0.0, ge=0)  # weight of the borderline term in the score (with a safety model)
    batch_size: int = opt(16, **BATCH)  # conversations per scoring forward
    max_length: int = opt(512, ge=8, le=1_048_576)  # tokens per scored conversation
    seed: int = opt(0, ge=0, le=2**31 - 1, role="internal")  # unused (nothing in the ranking is random)
    keep_checkpoints: int = opt(2, ge=1, le=100, role="internal")  # unused (acquisition keeps no checkpoints)

    def validate(self) -> None:
        if len(self.reward_models) < 2:
            raise TrainerError(f"--reward-models needs at least two reward models, got {len(self.reward_models)}: "
                               "disagreement is measured between the members of an ensemble")
        super().validate()
        if len(set(self.reward_models)) != len(self.reward_models):
            raise TrainerError("--reward-models names the same folder twice: a member always agrees with itself")


def unsafe_probability(cfg: Config, tasks: list[Any], rt: Any, dtype: torch.dtype) -> np.ndarray:
    """P(rubric C: disallowed content) of every response, in task order."""
    model = SafetyModel.load(cfg.safety_model, dtype, **rt.load_options()).to(rt.device).eval()
    tokenizer = load_tokenizer(cfg.safety_model, "safety model")
    prompts = [t.prompt for t in tasks for _ in t.responses]
    texts = [r.text for t in tasks for r in t.responses]
    with rt.autocast():
        _, rubric = model.predict(tokenizer, prompts, texts, batch_size=cfg.batch_size, device=rt.device, max_length=cfg.max_length)
    unsafe = [RUBRICS.index(r) for r in UNSAFE_RUBRICS]
    return rubric[:, unsafe].sum(-1).double().numpy()


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    # Every input is read and every folder checked before a model is loaded or anything written.
    tasks = read_pool(cfg.pool)
    for path in cfg.reward_models:
        check_reward_model_folder(path)
    if cfg.safety_model:
        check_safety_model_folder(cfg.safety_model)
    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32
    prompts = [t.prompt for t in tasks for _ in t.responses]
    texts = [r.text for t in tasks for r in t.responses]
    log(f"acquire: {len(tasks)} tasks, {len(texts)} responses, {len(cfg.reward_models)} reward models")

    # One member in memory at a time: an ensemble of large models need not fit at once.
    rewards = np.empty((len(cfg.reward_models), len(texts)), dtype=np.float64)
    for m, path in enumerate(cfg.reward_models):
        model = RewardModel.load(path, dtype, **rt.load_options()).to(rt.device).eval()
        tokenizer = load_tokenizer(path, "reward model")
        with rt.autocast():
            rewards[m] = score(model, tokenizer, prompts, texts, cfg.batch_size, cfg.max_length, normalise=False, device=rt.device).double().numpy()
        del model
        if not np.isfinite(rewards[m]).all():
            raise TrainerError(f"reward model {path} gave a non-finite score")
    p_unsafe = unsafe_probability(cfg, tasks, rt, dtype) if cfg.safety_model else None

    scores: list[TaskScore] = []
    first = 0
    for t in tasks:
        last = first + len(t.responses)
        edge = p_unsafe[first:last] if p_unsafe is not None else None
        scores.append(score_task(t.task_id, rewards[:, first:last], edge, cfg.borderline_weight))
        first = last
    ranked = [s.as_dict() for s in rank(scores)]

    out_file = ctx.output_dir / OUTPUT_FILE
    if rt.is_main:
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_name(f".{OUTPUT_FILE}.tmp-{os.getpid()}")
        tmp.write_text("".join(json.dumps(row, allow_nan=False) + "\n" for row in ranked))
        os.replace(tmp, out_file)
    rt.barrier()
    return {"tasks": len(tasks), "members": len(cfg.reward_models), "output": str(out_file), "top": ranked[:TOP]}
