"""What a policy is trained to maximise, shared by `ppo`, `grpo` and `rloo`: the helpfulness reward
model r_h, the safety model through the project's reward table, their combination by safety mode,
and the rule-based refusal check.

Safety modes (the math is in rl_math.py):
- `table` (GPT-4 style): r = r_h + safety_weight · R[policy(x)][rubric(x, y)] (expected table value);
- `gated` (Llama 2 style): the safety score when the prompt is unsafe or the safety score is below
  `gate_threshold`, else r_h; logit and whitened over the batch (scores as probabilities:
  sigmoid(r_h), and the table value rescaled to [0, 1]);
- `lagrangian` (Safe RLHF): r_h and a cost (> 0 unsafe), combined with a multiplier λ that rises
  while the batch's mean cost is above `cost_limit`: log λ ← log λ + lagrangian_lr · (E[cost] − d);
- `none`: r_h only. `auto` is `table` when a safety model is given, else `none`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .base_config import BATCH, MARKERS, TOKENS, TrainConfig
from .data import Message, PromptRecord, read_prompts
from .errors import TrainerError
from .options import opt
from .policy import DEFAULT_REFUSAL_MARKERS, is_refusal
from .reward_model import check_model_folder
from .rl_math import combine_gated, combine_table
from .runtime import Runtime
from .sampling import USE_VLLM

SAFETY_MODES = ("auto", "table", "gated", "lagrangian", "none")
UNSAFE_POLICIES = ("sensitive", "disallowed")

# A scorer maps (prompts, responses) to one number per response (a float tensor [n]).
ScoreFn = Callable[[list[list[Message]], list[str]], Tensor]


@dataclass(kw_only=True)
class RLConfig(TrainConfig):
    """The options of the commands that sample a policy and train it against our rewards (ppo, grpo, rloo)."""

    policy: str = opt(role="input")  # local causal LM folder: the policy to train and the frozen reference
    reward_model: str | None = opt(None, role="input")  # reward model folder (`python -m trainer reward`): the helpfulness reward r_h (none: r_h = 0)
    prompts: str = opt(role="input")  # prompts file (JSON lines of {"prompt": [...], "policy"?})
    safety_model: str | None = opt(None, role="input")  # safety model folder (`python -m trainer safety`)
    eval_prompts: str | None = opt(None, role="internal")  # held-out prompts (allowed and disallowed) for reward and refusal rates
    steps: int = opt(100, ge=1)  # training steps (one batch of prompts sampled and trained on each)
    max_new_tokens: int = opt(64, **TOKENS)  # response length limit
    temperature: float = opt(1.0, gt=0)  # sampling temperature (log-probs use the same)
    top_p: float = opt(1.0, gt=0, le=1)  # nucleus sampling (1 = off)
    safety_mode: str = opt("auto", choices=SAFETY_MODES)  # auto | table | gated | lagrangian | none (auto: table with a safety model, else none)
    safety_weight: float = opt(1.0, ge=0)  # table: weight w of the table reward
    gate_threshold: float = opt(0.15, ge=0, le=1)  # gated: use the safety score below this
    lagrangian_lr: float = opt(0.1, ge=0)  # lagrangian: step size of log λ
    cost_limit: float = 0.0  # lagrangian: allowed mean cost d
    lambda_init: float = opt(1.0, gt=0)  # lagrangian: initial λ (> 0)
    lambda_max: float | None = opt(None, gt=0)  # lagrangian: cap on λ; null = none
    lambda_delay_steps: int = opt(0, ge=0)  # lagrangian: steps before λ starts to move
    refusal_markers: list[str] = opt(factory=lambda: list(DEFAULT_REFUSAL_MARKERS), items=MARKERS)  # phrases that make a response a refusal (case-insensitive)
    lora_r: int = opt(0, ge=0, le=4096)  # LoRA rank (0 = full fine-tuning)
    lora_alpha: float | None = opt(None, gt=0)  # LoRA alpha (default 2 × rank)
    score_batch_size: int = opt(16, **BATCH)  # responses per reward/safety model forward
    score_max_length: int = opt(512, ge=8, le=1_048_576)  # tokens per scored conversation
    checkpoint_every: int = opt(20, ge=1)  # steps between checkpoints
    # auto | yes | no: sample with vLLM (colocated); auto = when vllm is installed and the run is on a GPU
    use_vllm: str = opt("auto", choices=USE_VLLM)
    vllm_gpu_memory_utilization: float = opt(0.3, gt=0, le=1)  # share of the GPU's memory vLLM may take

    def validate(self) -> None:
        super().validate()
        if self.safety_mode in ("table", "gated", "lagrangian") and self.safety_model is None:
            raise TrainerError(f"safety_mode {self.safety_mode} needs --safety-model")


@dataclass
class Scorers:
    """What the rewards come from; the CLI builds them from model folders, tests pass rules.

    - `reward`: helpfulness r_h (the reward model's normalised score);
    - `safety`: table mode: the safety table value R[policy][rubric]; gated mode: a safety score in
      [0, 1] where low means unsafe;
    - `cost`: lagrangian mode: the cost (> 0 unsafe);
    - `prompt_unsafe`: gated mode: 1 for prompts to judge by safety (used when a prompt has no
      policy label; labelled sensitive and disallowed prompts are unsafe).
    """

    reward: ScoreFn
    safety: ScoreFn | None = None
    cost: ScoreFn | None = None
    prompt_unsafe: ScoreFn | None = None


def resolve_mode(cfg: RLConfig, scorers: Scorers | None = None) -> str:
    if cfg.safety_mode != "auto":
        return cfg.safety_mode
    has_safety = cfg.safety_model is not None or (scorers is not None and scorers.safety is not None)
    return "table" if has_safety else "none"


def check_scorers(mode: str, scorers: Scorers) -> None:
    if mode in ("table", "gated") and scorers.safety is None:
        raise TrainerError(f"safety_mode {mode} needs a safety model")
    if mode == "lagrangian" and scorers.cost is None:
        raise TrainerError("safety_mode lagrangian needs a safety model with a cost head")


def check_inputs(cfg: RLConfig) -> None:
    """The prompts files and model folders, checked before the (slow) scorers are loaded and
    before anything is written."""
    read_prompts(cfg.prompts)
    if cfg.eval_prompts:
        read_prompts(cfg.eval_prompts)
    for folder, what in ((cfg.policy, "policy"), (cfg.reward_model, "reward model"), (cfg.safety_model, "safety model")):
        if folder is not None:
            check_model_folder(folder, what)


def read_inputs(cfg: RLConfig, scorers: Scorers) -> tuple[list[PromptRecord], list[PromptRecord], str]:
    """The prompts, the held-out prompts and the safety mode, once the policy folder is checked and
    the scorers hold what the mode needs."""
    records = read_prompts(cfg.prompts)
    eval_records = read_prompts(cfg.eval_prompts) if cfg.eval_prompts else []
    check_model_folder(cfg.policy, "policy")
    mode = resolve_mode(cfg, scorers)
    check_scorers(mode, scorers)
    return records, eval_records, mode


def no_reward(prompts: list[list[Message]], responses: list[str]) -> Tensor:
    """r_h without a reward model: 0."""
    return torch.zeros(len(responses))


def under_autocast(rt: Runtime, fn: ScoreFn) -> ScoreFn:
    def scored(prompts: list[list[Message]], responses: list[str]) -> Tensor:
        with rt.autocast():
            return fn(prompts, responses)

    return scored


def model_scorers(cfg: RLConfig, rt: Runtime) -> Scorers:
    """Scorers backed by the reward model and safety model folders, each run under the run's autocast."""
    s = folder_scorers(cfg, rt)
    wrap = lambda fn: under_autocast(rt, fn) if fn is not None else None  # noqa: E731
    return Scorers(reward=under_autocast(rt, s.reward), safety=wrap(s.safety), cost=wrap(s.cost), prompt_unsafe=wrap(s.prompt_unsafe))


def folder_scorers(cfg: RLConfig, rt: Runtime) -> Scorers:
    from .reward_model import RewardModel, load_tokenizer, score

    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32
    scorers = Scorers(reward=no_reward)
    if cfg.reward_model is not None:
        rm = RewardModel.load(cfg.reward_model, dtype, **rt.load_options()).to(rt.device).eval()
        rm_tok = load_tokenizer(cfg.reward_model, "reward model")

        def reward(prompts: list[list[Message]], responses: list[str]) -> Tensor:
            return score(rm, rm_tok, prompts, responses, cfg.score_batch_size, cfg.score_max_length, True, rt.device)

        scorers.reward = reward
    mode = resolve_mode(cfg)
    if cfg.safety_model is None or mode == "none":
        return scorers
    from .safety_model import SafetyModel

    sm = SafetyModel.load(cfg.safety_model, dtype, **rt.load_options()).to(rt.device).eval()
    sm_tok = load_tokenizer(cfg.safety_model, "safety model")
    kw = {"batch_size": cfg.score_batch_size, "device": rt.device, "max_length": cfg.score_max_length}
    if mode == "table":
        scorers.safety = lambda p, r: sm.safety_reward(sm_tok, p, r, **kw)
    elif mode == "gated":
        values = [v for row in sm.reward_table.values() for v in row.values()]
        low, high = min(values), max(values)

        def safety_score(p: list[list[Message]], r: list[str]) -> Tensor:
            return ((sm.safety_reward(sm_tok, p, r, **kw) - low) / max(high - low, 1e-6)).clamp(0, 1)

        def unsafe(p: list[list[Message]], r: list[str]) -> Tensor:
            policy_probs, _ = sm.predict(sm_tok, p, r, **kw)
            return policy_probs[:, 0] < 0.5  # P(allowed) < 0.5

        scorers.safety, scorers.prompt_unsafe = safety_score, unsafe
    elif mode == "lagrangian":
        if not sm.has_cost:
            raise TrainerError(f"safety_mode lagrangian needs a safety model with a cost head; {cfg.safety_model} has none")
        scorers.cost = lambda p, r: sm.cost(sm_tok, p, r, **kw)
    return scorers


def as_scores(x: Any, n: int, what: str) -> Tensor:
    """A scorer's output as a float tensor [n] on the CPU; an error when it is not n finite numbers."""
    t = torch.as_tensor(x).detach().float().cpu().reshape(-1)
    if t.numel() != n:
        raise TrainerError(f"the {what} scorer gave {t.numel()} values for {n} responses")
    if not torch.isfinite(t).all():
        raise TrainerError(f"the {what} scorer gave a value that is not finite")
    return t


def score_responses(cfg: RLConfig, mode: str, scorers: Scorers, prompts: list[list[Message]], texts: list[str],
                    labels: Sequence[str | None]) -> dict[str, Tensor]:
    """One response per prompt scored: `helpful` (r_h), the mode's safety signal (`safety` or
    `cost`) and `score`, r_h combined with the safety signal by mode. In lagrangian mode `score` is
    r_h: the cost enters through λ, which the trainer applies. `labels` are the prompts' policy
    labels (None where unlabelled)."""
    n = len(texts)
    out: dict[str, Tensor] = {"helpful": as_scores(scorers.reward(prompts, texts), n, "reward")}
    if mode == "table":
        assert scorers.safety is not None
        out["safety"] = as_scores(scorers.safety(prompts, texts), n, "safety")
        out["score"] = combine_table(out["helpful"], out["safety"], cfg.safety_weight)
    elif mode == "gated":
        assert scorers.safety is not None
        out["safety"] = as_scores(scorers.safety(prompts, texts), n, "safety")
        if all(p is not None for p in labels):
            unsafe = torch.tensor([p in UNSAFE_POLICIES for p in labels])
        elif scorers.prompt_unsafe is not None:
            predicted = as_scores(scorers.prompt_unsafe(prompts, texts), n, "prompt-unsafe").bool()
            unsafe = torch.tensor([p in UNSAFE_POLICIES if p is not None else bool(u) for p, u in zip(labels, predicted)])
        else:
            raise TrainerError("safety_mode gated needs prompt policy labels or a safety model that predicts them")
        out["score"] = combine_gated(torch.sigmoid(out["helpful"]), out["safety"], unsafe, out["safety"], cfg.gate_threshold)
    elif mode == "lagrangian":
        assert scorers.cost is not None
        out["cost"] = as_scores(scorers.cost(prompts, texts), n, "cost")
        out["score"] = out["helpful"]
    else:
        out["score"] = out["helpful"]
    return out


def refusal_reward(texts: Sequence[str], labels: Sequence[str | None], markers: Sequence[str]) -> Tensor:
    """The rule-based refusal check as a reward: +1 for refusing a disallowed prompt or answering an
    allowed one, −1 for answering a disallowed prompt or refusing an allowed one (over-refusal), 0
    on sensitive and unlabelled prompts. A refusal is a response holding one of `markers`."""
    values = []
    for text, label in zip(texts, labels):
        refused = is_refusal(text, markers)
        if label == "disallowed":
            values.append(1.0 if refused else -1.0)
        elif label == "allowed":
            values.append(-1.0 if refused else 1.0)
        else:
            values.append(0.0)
    return torch.tensor(values)
