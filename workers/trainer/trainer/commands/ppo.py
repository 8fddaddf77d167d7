"""PPO of a policy against a reward model and a safety signal, with a KL penalty to the start.

Each step samples one response per prompt for `batch_size` prompts, scores them (helpfulness
reward model r_h and, by `safety_mode`, the safety model), adds a per-token KL penalty to the
frozen reference (the starting policy; with LoRA the same weights with adapters off) and runs
`ppo_epochs` epochs of clipped PPO over mini-batches, with a value head on the policy's last
hidden state and GAE advantages. Safety modes (rewards.py, shared with grpo and rloo):
- `table` (GPT-4 style): r = r_h + safety_weight · R[policy(x)][rubric(x, y)] (expected table value);
- `gated` (Llama 2 style): the safety score when the prompt is unsafe or the safety score is below
  `gate_threshold`, else r_h; logit and whitened over the batch (scores as probabilities:
  sigmoid(r_h), and the table value rescaled to [0, 1]);
- `lagrangian` (Safe RLHF): advantage (A_r − λ·A_c)/(1 + λ) with a cost value head, and
  λ ← λ·exp(lagrangian_lr · (E[cost] − cost_limit));
- `none`: r_h only. `auto` is `table` when a safety model is given, else `none`.
The KL coefficient adapts towards `target_kl` (sequence-level, nats). Held-out prompts
(`eval_prompts`) give the mean reward and the refusal rates on allowed (over-refusal) and
disallowed prompts every `eval_every` steps. Checkpoints hold the policy (or its LoRA adapters),
the value head, the optimizer, the KL coefficient and λ to resume from, and the step's policy as a
plain Hugging Face folder (LoRA merged, tokenizer included; no value head) in `model/`. The final
policy is written the same way to OUTPUT_DIR/model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..base_config import BATCH, TOKENS
from ..context import RunContext
from ..data import PromptRecord
from ..errors import TrainerError
from ..loop import checkpoint_on_stop, finished_summary, log, make_optimizer, master_dtype, resume, save_checkpoint, write_final_model
from ..options import opt
from ..policy import (
    PolicyWithValue,
    Reference,
    Samples,
    TrainableState,
    disable_dropout,
    export_policy,
    is_lora,
    is_refusal,
    load_policy,
    refusal_stats,
)
from ..rewards import RLConfig, Scorers, as_scores, check_inputs, model_scorers, read_inputs, score_responses
from ..rl_math import (
    AdaptiveKLController,
    FixedKLController,
    LagrangeMultiplier,
    clip_rewards,
    clipped_policy_loss,
    clipped_value_loss,
    compute_gae,
    eos_penalty,
    kl_penalty,
    lagrangian_advantage,
    masked_mean,
    masked_whiten,
    per_token_rewards,
)
from ..runtime import Runtime, seed_everything
from ..sampling import Sampler, make_sampler


@dataclass(kw_only=True)
class Config(RLConfig):
    reward_model: str = opt(role="input")  # reward model folder (`python -m trainer reward`): the helpfulness reward r_h
    steps: int = opt(100, ge=1)  # PPO steps (one rollout batch and its updates each)
    batch_size: int = opt(8, **BATCH)  # prompts per rollout (global, over all ranks)
    mini_batch_size: int = opt(4, **BATCH)  # rollouts per gradient step
    ppo_epochs: int = opt(2, ge=1, le=100)  # passes over each rollout batch
    lr: float = opt(1e-5, gt=0, le=1)  # AdamW learning rate (constant)
    max_prompt_length: int = opt(512, **TOKENS)  # prompt tokens kept (cut from the left)
    gamma: float = opt(1.0, ge=0, le=1)  # GAE discount
    lam: float = opt(0.95, ge=0, le=1)  # GAE lambda
    cliprange: float = opt(0.2, gt=0)  # PPO ratio clip
    cliprange_value: float = opt(0.2, gt=0)  # value clip around the rollout's values
    vf_coef: float = opt(0.1, ge=0)  # weight of the value loss
    kl_estimator: str = opt("k1", choices=("k1", "k3"))  # k1 (log-ratio) | k3 (non-negative) per-token KL estimate
    init_kl_coef: float = opt(0.05, ge=0)  # initial KL coefficient β
    target_kl: float = opt(6.0, gt=0)  # target sequence KL (nats) of the adaptive controller
    adaptive_kl: bool = True  # adapt β towards target_kl (else β stays init_kl_coef)
    kl_horizon: int = opt(10000, ge=1)  # adaptive controller horizon (samples)
    reward_clip: float | None = opt(10.0, gt=0)  # clamp scores to [-clip, clip]; null = no clipping
    whiten_advantages: bool = True  # normalise advantages over the batch
    missing_eos_penalty: float | None = opt(1.0, ge=0)  # subtracted from the score of responses cut by max_new_tokens; null = off
    max_grad_norm: float = opt(1.0, ge=0)  # gradient clipping; 0 = off
    eval_every: int = opt(20, ge=1)  # steps between held-out evaluations
    eval_batch_size: int = opt(16, **BATCH)  # held-out prompts per generation call

    def validate(self) -> None:
        super().validate()
        if self.safety_mode == "gated" and self.batch_size < 2:
            raise TrainerError("safety_mode gated whitens over the batch: batch_size must be >= 2")
        if self.compile:
            # Sampling calls the same module token by token: compiling it would recompile for every length.
            raise TrainerError("ppo does not compile the policy (sampling and training share it); leave compile off")


# --------------------------------------------------------------------------- pieces of a step


class PromptOrder:
    """The prompts of step s: positions s·B … (s+1)·B of endless seeded permutations (resumable)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = n, seed
        self._perms: dict[int, np.ndarray] = {}

    def indexes(self, step: int, batch_size: int) -> list[int]:
        out = []
        for k in range(step * batch_size, (step + 1) * batch_size):
            epoch, pos = divmod(k, self.n)
            if epoch not in self._perms:
                self._perms = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n)}
            out.append(int(self._perms[epoch][pos]))
        return out


def score_rollouts(cfg: Config, mode: str, scorers: Scorers, records: Sequence[PromptRecord], samples: Samples) -> dict[str, Tensor]:
    """The sequence scores of a batch: `score` (what PPO maximises before the KL penalty) and parts."""
    chosen = [records[i] for i in samples.prompt_index]
    out = score_responses(cfg, mode, scorers, [r.prompt for r in chosen], samples.texts, [r.policy for r in chosen])
    total = out["score"]
    if cfg.missing_eos_penalty is not None:
        total = eos_penalty(total, samples.ended, cfg.missing_eos_penalty)
    out["score"] = clip_rewards(total, cfg.reward_clip)
    return out


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(n, i + size)) for i in range(0, n, size)]


@torch.no_grad()
def rollout_forward(model: PolicyWithValue, ref: Reference, samples: Samples, cfg: Config, rt: Runtime) -> dict[str, Tensor]:
    """Old log-probs, values, reference log-probs and entropies of the sampled responses."""
    parts: dict[str, list[Tensor]] = {"logprobs": [], "values": [], "ref_logprobs": [], "entropy": []}
    for sl in _chunks(samples.input_ids.shape[0], cfg.mini_batch_size):
        args = (samples.input_ids[sl], samples.attention_mask[sl], samples.response_mask[sl])
        with rt.autocast():
            f = model(*args, temperature=cfg.temperature)
            parts["ref_logprobs"].append(ref.logprobs(*args, temperature=cfg.temperature))
        parts["logprobs"].append(f.logprobs)
        parts["values"].append(f.values)
        parts["entropy"].append(f.entropy)
    return {k: torch.cat(v) for k, v in parts.items()}


def advantages(cfg: Config, mode: str, fwd: dict[str, Tensor], scores: dict[str, Tensor], mask: Tensor, kl_coef: float, lam: float | None) -> dict[str, Tensor]:
    dev = mask.device
    kl = kl_penalty(fwd["logprobs"], fwd["ref_logprobs"], cfg.kl_estimator) * mask
    rewards = per_token_rewards(scores["score"].to(dev), kl, mask, kl_coef)
    values = fwd["values"][..., 0]
    adv, returns = compute_gae(rewards, values, mask, cfg.gamma, cfg.lam)
    whiten = cfg.whiten_advantages and int(mask.sum()) >= 2
    if whiten:
        adv = masked_whiten(adv, mask)
    out = {"advantages": adv, "returns": returns, "values": values, "kl": kl}
    if mode == "lagrangian":
        cost_rewards = per_token_rewards(scores["cost"].to(dev), torch.zeros_like(kl), mask, 0.0)
        cost_values = fwd["values"][..., 1]
        cost_adv, cost_returns = compute_gae(cost_rewards, cost_values, mask, cfg.gamma, cfg.lam)
        if whiten:
            cost_adv = masked_whiten(cost_adv, mask)
        out["advantages"] = lagrangian_advantage(adv, cost_adv, float(lam or 0.0))
        out.update(cost_returns=cost_returns, cost_values=cost_values)
    out["advantages"] = out["advantages"] * mask
    return out


def ppo_update(trainer: torch.nn.Module, model: PolicyWithValue, opt: torch.optim.Optimizer, samples: Samples, fwd: dict[str, Tensor],
               adv: dict[str, Tensor], cfg: Config, mode: str, rt: Runtime) -> dict[str, float]:
    """`ppo_epochs` passes of clipped PPO over shuffled mini-batches; mean statistics."""
    mask = samples.response_mask.float()
    n = mask.shape[0]
    stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "clipfrac": [], "approx_kl": [], "value_clipfrac": []}
    params = [p for p in model.parameters() if p.requires_grad]
    # Train mode (dropout is off) so that gradient checkpointing, which only runs in train mode, applies.
    model.train()
    try:
        for _ in range(cfg.ppo_epochs):
            order = torch.randperm(n)
            for sl in _chunks(n, cfg.mini_batch_size):
                idx = order[sl].to(mask.device)
                m = mask[idx]
                with rt.autocast():
                    f = trainer(samples.input_ids[idx], samples.attention_mask[idx], samples.response_mask[idx], cfg.temperature)
                pg_loss, clipfrac, approx_kl = clipped_policy_loss(f.logprobs, fwd["logprobs"][idx], adv["advantages"][idx], m, cfg.cliprange)
                vf_loss, vf_clipfrac = clipped_value_loss(f.values[..., 0], adv["values"][idx], adv["returns"][idx], m, cfg.cliprange_value)
                loss = pg_loss + cfg.vf_coef * vf_loss
                if mode == "lagrangian":
                    cvf_loss, _ = clipped_value_loss(f.values[..., 1], adv["cost_values"][idx], adv["cost_returns"][idx], m, cfg.cliprange_value)
                    loss = loss + cfg.vf_coef * cvf_loss
                    stats.setdefault("cost_value_loss", []).append(float(cvf_loss.detach()))
                if not torch.isfinite(loss):
                    raise TrainerError("the PPO loss diverged (not finite); lower lr")
                loss.backward()
                if cfg.max_grad_norm > 0:
                    torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                opt.step()
                opt.zero_grad(set_to_none=True)
                stats["policy_loss"].append(float(pg_loss.detach()))
                stats["value_loss"].append(float(vf_loss.detach()))
                stats["clipfrac"].append(float(clipfrac))
                stats["approx_kl"].append(float(approx_kl))
                stats["value_clipfrac"].append(float(vf_clipfrac))
    finally:
        model.eval()
    return {k: sum(v) / len(v) for k, v in stats.items() if v}


@torch.no_grad()
def evaluate_policy(sampler: Sampler, records: Sequence[PromptRecord], scorers: Scorers, mode: str, cfg: Config, rt: Runtime) -> dict[str, Any]:
    """Held-out prompts: mean reward(s) and refusal rates (sampled with fixed seeds, the training RNG untouched)."""
    devices = [rt.device] if rt.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        texts: list[str] = []
        ended: list[bool] = []
        for k, sl in enumerate(_chunks(len(records), cfg.eval_batch_size)):
            s = sampler.sample([r.prompt for r in records[sl]], 1, cfg.temperature, cfg.top_p, cfg.max_new_tokens, cfg.max_prompt_length,
                               seed=cfg.seed + 1 + k)
            texts += s.texts
            ended += s.ended.tolist()
    prompts = [r.prompt for r in records]
    result: dict[str, Any] = refusal_stats(texts, [r.policy for r in records], cfg.refusal_markers)
    result["reward"] = float(as_scores(scorers.reward(prompts, texts), len(texts), "reward").mean())
    if mode == "table" and scorers.safety is not None:
        result["reward_safety"] = float(as_scores(scorers.safety(prompts, texts), len(texts), "safety").mean())
    if mode == "lagrangian" and scorers.cost is not None:
        result["cost"] = float(as_scores(scorers.cost(prompts, texts), len(texts), "cost").mean())
    result["eos_rate"] = sum(ended) / max(len(ended), 1)
    result["samples"] = [{"id": r.id, "policy": r.policy, "response": t} for r, t in list(zip(records, texts))[:8]]
    return result


# --------------------------------------------------------------------------- the command


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    check_inputs(cfg)
    return train(cfg, ctx, model_scorers(cfg, ctx.runtime))


def train(cfg: Config, ctx: RunContext, scorers: Scorers) -> dict[str, Any]:
    """The PPO loop with the given scorers (the Python API; `run` builds them from folders)."""
    rt = ctx.runtime
    records, eval_records, mode = read_inputs(cfg, scorers)
    if mode == "gated" and cfg.batch_size < 2:
        raise TrainerError("safety_mode gated whitens over the batch: batch_size must be >= 2")
    if rt.distributed and cfg.batch_size % rt.world_size:
        raise TrainerError(f"batch_size {cfg.batch_size} must be a multiple of the {rt.world_size} ranks")
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done

    seed_everything(cfg.seed)
    policy, tokenizer = load_policy(cfg.policy, master_dtype(rt.dtype), cfg.lora_r, cfg.lora_alpha, 0.0, cfg.gradient_checkpointing,
                                    **rt.load_options())
    disable_dropout(policy)
    policy.to(rt.device)
    ref = Reference(policy)  # before any checkpoint is loaded: the reference is the starting policy
    model = PolicyWithValue(policy, heads=2 if mode == "lagrangian" else 1).to(rt.device)
    model.eval()  # no dropout anywhere; gradients flow all the same
    opt = make_optimizer(model, cfg.lr)
    kl_ctl: AdaptiveKLController | FixedKLController = (
        AdaptiveKLController(cfg.init_kl_coef, cfg.target_kl, cfg.kl_horizon) if cfg.adaptive_kl else FixedKLController(cfg.init_kl_coef)
    )
    lagrange = LagrangeMultiplier(cfg.lambda_init, cfg.lagrangian_lr, cfg.cost_limit, cfg.lambda_max, cfg.lambda_delay_steps) if mode == "lagrangian" else None
    weights = TrainableState(model, only_trainable=is_lora(policy))
    state: dict[str, Any] = {"last_eval": None, "eval": None, "first_eval": None}
    saved = resume(ctx, {"policy": weights}, {"optimizer": opt}, state, cfg.steps)
    step = int(saved["step"]) if saved else 0
    if saved:
        kl_ctl.value = float(saved.get("kl_coef", kl_ctl.value))
        if lagrange is not None and saved.get("log_lambda") is not None:
            lagrange.log_lambda = float(saved["log_lambda"])
    trainer = rt.wrap(model)
    sampler = make_sampler(cfg.use_vllm, rt, lambda: model.policy, tokenizer, cfg.policy, cfg.vllm_gpu_memory_utilization,
                           cfg.max_prompt_length + cfg.max_new_tokens, cfg.seed + rt.rank)
    order = PromptOrder(len(records), cfg.seed)
    last_saved = step if saved else None

    def checkpoint() -> Path | None:
        nonlocal last_saved
        extra = {**state, "kl_coef": kl_ctl.value, "log_lambda": lagrange.log_lambda if lagrange else None, "mode": mode, "config": asdict(cfg)}
        path = save_checkpoint(ctx, step, {"policy": weights}, {"optimizer": opt}, extra, export=lambda d: export_policy(model.policy, tokenizer, d))
        last_saved = step
        return path

    def run_eval() -> None:
        if not eval_records or state["last_eval"] == step:
            return
        sampler.sync(model.policy)
        result = evaluate_policy(sampler, eval_records, scorers, mode, cfg, rt)
        brief = {k: v for k, v in result.items() if k != "samples"}
        state.update(last_eval=step, eval=brief)
        if state["first_eval"] is None:
            state["first_eval"] = brief
        ctx.events.eval(step, **result)
        for key in ("reward", "reward_safety", "cost", "refusal_rate", "over_refusal_rate", "refusal_rate_disallowed"):
            if key in result:
                ctx.events.metric(step, f"eval/{key}", result[key])

    log(f"ppo: {len(records)} prompts, {cfg.steps} steps of {cfg.batch_size}, safety mode {mode}, generation on {sampler.name}")
    if step == 0:
        run_eval()
    last: dict[str, float] = {}
    ctx.events.total_steps = cfg.steps
    while step < cfg.steps:
        mine = rt.shard([records[i] for i in order.indexes(step, cfg.batch_size)])
        sampler.sync(model.policy)  # vLLM samples the weights of this step (transformers samples the live model)
        samples = sampler.sample([r.prompt for r in mine], 1, cfg.temperature, cfg.top_p, cfg.max_new_tokens, cfg.max_prompt_length)
        scores = score_rollouts(cfg, mode, scorers, mine, samples)
        fwd = rollout_forward(model, ref, samples, cfg, rt)
        mask = samples.response_mask.float()
        kl_coef = kl_ctl.value
        lam = None
        if lagrange is not None:
            lam = lagrange.update(rt.mean(float(scores["cost"].mean())), step)
        adv = advantages(cfg, mode, fwd, scores, mask, kl_coef, lam)
        stats = ppo_update(trainer, model, opt, samples, fwd, adv, cfg, mode, rt)
        seq_kl = rt.mean(float(adv["kl"].sum(-1).mean()))
        kl_ctl.update(seq_kl, cfg.batch_size)
        step += 1
        metrics = {
            "reward": float(scores["score"].mean()),
            "reward_helpful": float(scores["helpful"].mean()),
            "kl": seq_kl,
            "kl_coef": kl_coef,
            "entropy": float(masked_mean(fwd["entropy"], mask)),
            "response_length": float(mask.sum(-1).mean()),
            "eos_rate": float(samples.ended.float().mean()),
            "refusal_rate": sum(is_refusal(t, cfg.refusal_markers) for t in samples.texts) / len(samples.texts),
            **stats,
        }
        if "safety" in scores:
            metrics["reward_safety"] = float(scores["safety"].mean())
        if "cost" in scores:
            metrics["cost"] = float(scores["cost"].mean())
        if lam is not None:
            metrics["lambda"] = lam
        for name, value in metrics.items():
            value = value if name in ("kl", "kl_coef", "lambda") else rt.mean(value)
            if not math.isfinite(value):
                raise TrainerError(f"train/{name} is not finite at step {step}; lower lr")
            ctx.events.metric(step, f"train/{name}", value)
            last[name] = value
        if step % cfg.eval_every == 0 or step == cfg.steps:
            run_eval()
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            checkpoint()
        stopped = checkpoint_on_stop(ctx, step, cfg.steps, last_saved == step, checkpoint) if step < cfg.steps else None
        if stopped is not None:
            return {**stopped, "safety_mode": mode, "kl_coef": kl_ctl.value}

    summary = {
        "interrupted": False,
        "steps": step,
        "total_steps": cfg.steps,
        "safety_mode": mode,
        "generation": sampler.name,
        "kl_coef": kl_ctl.value,
        "lambda": lagrange.value if lagrange else None,
        "last_train": last,
        "first_eval": state["first_eval"],
        "final_eval": state["eval"],
        "model": str(ctx.output_dir / "model"),
    }
    write_final_model(ctx, summary, lambda tmp: export_policy(model.policy, tokenizer, tmp))
    return summary
