"""What `grpo` and `rloo` share: a policy trained on TRL's GRPOTrainer or RLOOTrainer against our
reward functions, inside our protocol (trl_bridge.py).

Each step samples `num_generations` (G) responses for each of `batch_size` prompts and judges
every response against the others of its group (GRPO: the group's mean and spread; RLOO: the mean
of the other G − 1). The rewards are ours (rewards.py), passed to TRL as reward functions, each
logged as `train/rewards/<name>/mean`:
- the mode's reward, named after it (`helpful` for `none`, `table`, `gated`, `lagrangian`): r_h
  combined with the safety signal as in `ppo`. Lagrangian: (r_h − λ·cost)/(1 + λ), the sequence
  form of ppo's (A_r − λ·A_c)/(1 + λ), with λ first updated from the batch's mean cost by ppo's
  rule (log λ += lagrangian_lr · (E[cost] − cost_limit), after `lambda_delay_steps`, capped at
  `lambda_max`). λ is logged as `train/lambda`, saved in each checkpoint's state.json and restored
  on resume; evaluations leave it alone;
- `refusal` (with `refusal_weight` > 0): the rule-based refusal check, +1 for refusing a disallowed
  prompt or answering an allowed one, −1 for the reverse, 0 on other prompts.

The parts are logged as `train/reward_helpful`, `train/reward_safety`, `train/cost` and the
refusal rates (`train/refusal_rate`, `train/over_refusal_rate`, `train/refusal_rate_<policy>`).

Generation runs on vLLM (colocated) when it is installed and the run is on a GPU (`use_vllm`),
else on transformers. Prompts longer than `max_prompt_length` tokens are left out and counted;
a file with fewer prompts than `batch_size` is repeated. `eval_prompts` gives the held-out reward
and refusal rates (G samples per prompt) before training, every `eval_every` steps and at the end.
Checkpoints and the final policy are plain Hugging Face folders (LoRA merged) in `model/`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from datasets import Dataset

from .base_config import BATCH, TOKENS
from .context import RunContext
from .data import Message, PromptRecord, render
from .errors import TrainerError
from .loop import finished_summary, log, master_dtype, write_final_model
from .options import opt
from .policy import export_policy, load_causal_lm, load_policy_tokenizer, lora_config, prompt_ids, refusal_stats, uses_template
from .rewards import RLConfig, Scorers, check_inputs, model_scorers, read_inputs, refusal_reward, score_responses
from .rl_math import LagrangeMultiplier, lagrangian_advantage
from .runtime import Runtime
from .sampling import use_vllm
from .trl_bridge import EventsCallback, start, training_arguments
from .trl_bridge import run_trainer as train_with_trl


@dataclass(kw_only=True)
class GroupConfig(RLConfig):
    batch_size: int = opt(8, **BATCH)  # prompts per step (global, over all ranks), each sampled num_generations times
    num_generations: int = opt(8, ge=2, le=1024)  # G: responses sampled per prompt, each judged against the others of its group
    max_prompt_length: int = opt(512, **TOKENS)  # prompts longer than this (tokens, with the chat template) are left out and counted
    beta: float = opt(0.04, ge=0)  # KL coefficient to the frozen reference (the starting policy; with LoRA, adapters off); 0 = no reference
    # weight of the rule-based refusal reward (+1 refusing disallowed or answering allowed prompts, −1 the reverse); 0 = off
    refusal_weight: float = opt(0.0, ge=0)
    warmup_steps: int = opt(0, ge=0)  # steps of linear learning-rate warm-up
    weight_decay: float = opt(0.0, ge=0)  # AdamW weight decay
    grad_clip: float = opt(1.0, ge=0)  # max gradient norm; 0 = no clipping
    lora_dropout: float = opt(0.0, ge=0, lt=1)  # dropout on the LoRA inputs
    eval_every: int = opt(20, ge=1)  # steps between held-out evaluations (with eval_prompts)
    eval_batch_size: int = opt(8, **BATCH)  # held-out prompts per generation batch (each sampled num_generations times)

    def validate(self) -> None:
        super().validate()
        if self.reward_model is None and self.safety_model is None and self.refusal_weight == 0:
            raise TrainerError("nothing to reward: give --reward-model, --safety-model or --refusal-weight")


@dataclass
class Algorithm:
    """TRL's config and trainer classes, and the options the command passes them."""

    name: str
    config: type
    trainer: type
    options: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- our rewards as TRL reward functions


def completion_texts(completions: Sequence[Any]) -> list[str]:
    """TRL's completions (conversational: [{"role": "assistant", "content": …}], else text) as text."""
    return [(c[-1]["content"] if isinstance(c, list) else c).strip() for c in completions]


class PolicyReward:
    """The mode's reward as a TRL reward function (see the module's docstring). `conversation` and
    `policy` are the dataset's columns: the prompt's messages and its policy label. `state` is the
    checkpoint state (λ is kept there as `log_lambda`); `mean` averages a number over the ranks.
    `trainer` is set once the trainer exists: λ moves only while it trains."""

    def __init__(self, cfg: GroupConfig, mode: str, scorers: Scorers, state: dict[str, Any], mean: Callable[[float], float] = float) -> None:
        self.__name__ = "helpful" if mode == "none" else mode
        self.cfg, self.mode, self.scorers, self.state, self.mean = cfg, mode, scorers, state, mean
        self.trainer: Any = None
        self.lagrange = None
        if mode == "lagrangian":
            self.lagrange = LagrangeMultiplier(cfg.lambda_init, cfg.lagrangian_lr, cfg.cost_limit, cfg.lambda_max, cfg.lambda_delay_steps)
            if state.get("log_lambda") is not None:
                self.lagrange.log_lambda = float(state["log_lambda"])

    def __call__(self, prompts: list[Any], completions: list[Any], conversation: list[list[Message]], policy: list[str | None],
                 trainer_state: Any = None, log_metric: Any = None, **_: Any) -> list[float]:
        texts = completion_texts(completions)
        parts = score_responses(self.cfg, self.mode, self.scorers, conversation, texts, policy)
        score = parts["score"]
        metrics = {"reward_helpful": float(parts["helpful"].mean())}
        if "safety" in parts:
            metrics["reward_safety"] = float(parts["safety"].mean())
        if self.lagrange is not None:
            metrics["cost"] = float(parts["cost"].mean())
            lam = self.lagrange.value
            if self.trainer is None or self.trainer.model.training:
                step = trainer_state.global_step if trainer_state is not None else 0
                lam = self.lagrange.update(self.mean(metrics["cost"]), step)
                self.state["log_lambda"] = self.lagrange.log_lambda
            score = lagrangian_advantage(score, parts["cost"], lam)
            metrics["lambda"] = lam
        stats = refusal_stats(texts, policy, self.cfg.refusal_markers)
        metrics |= {k: v for k, v in stats.items() if k.startswith(("refusal_rate", "over_refusal_rate"))}
        if log_metric is not None:
            for name, value in metrics.items():
                log_metric(name, value)
        return score.tolist()


def refusal_reward_function(markers: Sequence[str]) -> Any:
    def refusal(prompts: list[Any], completions: list[Any], policy: list[str | None], **_: Any) -> list[float]:
        return refusal_reward(completion_texts(completions), policy, markers).tolist()

    return refusal


def reward_functions(cfg: GroupConfig, mode: str, scorers: Scorers, state: dict[str, Any], rt: Runtime) -> tuple[PolicyReward, list[Any], list[float]]:
    """The mode's reward (returned first, to bind the trainer to) and the TRL reward functions with their weights."""
    policy_reward = PolicyReward(cfg, mode, scorers, state, rt.mean)
    funcs, weights = [policy_reward], [1.0]
    if cfg.refusal_weight > 0:
        funcs.append(refusal_reward_function(cfg.refusal_markers))
        weights.append(cfg.refusal_weight)
    return policy_reward, funcs, weights


# --------------------------------------------------------------------------- data and generation


def prompt_dataset(records: Sequence[PromptRecord], tokenizer: Any, max_prompt_length: int, min_rows: int = 1) -> tuple[Dataset, int]:
    """The prompts as TRL's dataset (conversational with a chat template, else the rendered text)
    with their messages and policy labels, and how many were too long. Repeated to `min_rows`."""
    lengths = [len(ids) for ids in prompt_ids(tokenizer, [r.prompt for r in records], max_prompt_length + 1)]
    kept = [r for r, n in zip(records, lengths) if n <= max_prompt_length]
    too_long = len(records) - len(kept)
    if kept and len(kept) < min_rows:
        kept = kept * math.ceil(min_rows / len(kept))
    template = uses_template(tokenizer)
    rows = [{"prompt": r.prompt if template else render(tokenizer, r.prompt, add_generation_prompt=True), "conversation": r.prompt,
             "policy": r.policy} for r in kept]
    return Dataset.from_list(rows), too_long


# --------------------------------------------------------------------------- the command


def run(cfg: GroupConfig, ctx: RunContext, algorithm: Algorithm) -> dict[str, Any]:
    check_inputs(cfg)
    return train(cfg, ctx, model_scorers(cfg, ctx.runtime), algorithm)


def train(cfg: GroupConfig, ctx: RunContext, scorers: Scorers, algorithm: Algorithm) -> dict[str, Any]:
    """`algorithm` with the given scorers (the Python API; `run` builds them from folders)."""
    rt = ctx.runtime
    records, eval_records, mode = read_inputs(cfg, scorers)
    G = cfg.num_generations
    for name, prompts in (("batch_size", cfg.batch_size), ("eval_batch_size", cfg.eval_batch_size)):
        if prompts * G % rt.world_size:
            raise TrainerError(f"{name} × num_generations ({prompts} × {G}) must be a multiple of the {rt.world_size} ranks")
    vllm = use_vllm(cfg.use_vllm, rt)
    tokenizer = load_policy_tokenizer(cfg.policy)
    train_data, too_long = prompt_dataset(records, tokenizer, cfg.max_prompt_length, cfg.batch_size)
    eval_data, eval_too_long = prompt_dataset(eval_records, tokenizer, cfg.max_prompt_length) if eval_records else (None, 0)
    if len(train_data) == 0:
        raise TrainerError(f"every prompt in {cfg.prompts} is longer than max_prompt_length ({cfg.max_prompt_length} tokens)")
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done

    latest, saved = start(ctx, cfg.seed)
    has_eval = eval_data is not None and len(eval_data) > 0
    callback = EventsCallback(ctx, saved)
    policy_reward, funcs, weights = reward_functions(cfg, mode, scorers, callback.state, rt)
    args = algorithm.config(**{
        **training_arguments(cfg, ctx, has_eval, cfg.steps),
        "per_device_train_batch_size": cfg.batch_size * G // rt.world_size,
        "per_device_eval_batch_size": cfg.eval_batch_size * G // rt.world_size,
        "num_generations": G,
        "max_completion_length": cfg.max_new_tokens,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "beta": cfg.beta,
        "reward_weights": weights,
        "disable_dropout": True,
        "use_vllm": vllm,
        "vllm_mode": "colocate",
        "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory_utilization,
        **algorithm.options,
    })
    trainer = algorithm.trainer(
        model=load_causal_lm(cfg.policy, master_dtype(rt.dtype), **rt.load_options()),
        reward_funcs=funcs,
        args=args,
        train_dataset=train_data,
        eval_dataset=eval_data if has_eval else None,
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout) if cfg.lora_r > 0 else None,
        callbacks=[callback],
    )
    policy_reward.trainer = trainer
    counts = {"prompts": len(records), "long_prompts_dropped": too_long, "eval_prompts": len(eval_data) if has_eval else 0,
              "eval_long_prompts_dropped": eval_too_long}
    log(f"{algorithm.name}: {len(records) - too_long} prompts, {cfg.steps} steps of {cfg.batch_size} × {G} samples, safety mode {mode}, "
        f"generation on {'vLLM' if vllm else 'transformers'}")
    lam = policy_reward.lagrange
    stopped = train_with_trl(trainer, ctx, callback, latest)
    if stopped is not None:
        return {**stopped, "safety_mode": mode, "lambda": lam.value if lam else None, **counts}

    summary = {
        "interrupted": False,
        "steps": trainer.state.global_step,
        "total_steps": trainer.state.max_steps,
        "safety_mode": mode,
        "generation": "vllm" if vllm else "transformers",
        "lambda": lam.value if lam else None,
        "last_train": callback.last_train,
        "first_eval": callback.state["first_eval"],
        "final_eval": callback.state["last_eval"],
        "model": str(ctx.output_dir / "model"),
        **counts,
    }
    write_final_model(ctx, summary, lambda tmp: export_policy(trainer.model, tokenizer, tmp))
    return summary
