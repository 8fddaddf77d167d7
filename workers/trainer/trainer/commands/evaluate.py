"""Evaluate a reward model on preference pairs, and/or a policy on prompts.

- `--reward-model DIR --pairs FILE`: pair accuracy (chosen scored above rejected; ties count
  half), per harm category / source and per prompt policy, calibration (ECE and bins).
- `--policy DIR --prompts FILE`: samples `num_samples` responses per prompt and reports the
  refusal rate overall and per prompt policy (`over_refusal_rate`: refusals on allowed prompts;
  `refusal_rate_disallowed`), with `--reward-model` the mean reward, and with `--safety-model` the
  safety rubric mix (share of responses predicted A/B/C/D) and the mean table reward.
Both can run at once. Results go to an `eval` event and OUTPUT_DIR/eval.json (with the sampled
responses).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import torch

from ..context import RunContext
from ..data import RUBRICS, read_pairs, read_prompts
from ..errors import TrainerError
from ..losses import calibration_bins, expected_calibration_error, pair_accuracy
from ..policy import DEFAULT_REFUSAL_MARKERS, generate, is_refusal, load_causal_lm, load_policy_tokenizer, refusal_stats
from ..reward_model import RewardModel, check_model_folder, load_tokenizer, score

OUTPUT_FILE = "eval.json"


@dataclass
class Config:
    output_dir: str  # where eval.json goes
    reward_model: str | None = None  # reward model folder: pair accuracy (with pairs) and policy reward (with policy)
    pairs: str | None = None  # pairs snapshot to score with the reward model
    policy: str | None = None  # causal LM folder to sample from
    prompts: str | None = None  # prompts file for the policy (with "policy" labels for the refusal rates)
    safety_model: str | None = None  # safety model folder: rubric mix and table reward of the policy's responses
    num_samples: int = 1  # responses per prompt
    temperature: float = 1.0  # sampling temperature (0 = greedy)
    top_p: float = 1.0  # nucleus sampling (1 = off)
    max_new_tokens: int = 128  # response length limit
    max_prompt_length: int = 1024  # prompt tokens kept (cut from the left)
    batch_size: int = 16  # prompts per generation call, conversations per scoring forward
    max_length: int = 512  # tokens per scored conversation
    refusal_markers: list[str] = field(default_factory=lambda: list(DEFAULT_REFUSAL_MARKERS))  # phrases that make a response a refusal (case-insensitive)
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 on a GPU that has it, else fp32) | fp32 | bf16 | fp64
    seed: int = 0  # sampling seed
    keep_checkpoints: int = 2  # unused (evaluation keeps no checkpoints)

    def validate(self) -> None:
        if self.pairs is not None and self.reward_model is None:
            raise TrainerError("--pairs needs --reward-model")
        if self.prompts is not None and self.policy is None:
            raise TrainerError("--prompts needs --policy")
        if self.policy is not None and self.prompts is None:
            raise TrainerError("--policy needs --prompts")
        if self.pairs is None and self.policy is None:
            raise TrainerError("nothing to evaluate: give --reward-model with --pairs, and/or --policy with --prompts")
        for key in ("num_samples", "max_new_tokens", "max_prompt_length", "batch_size", "max_length"):
            if getattr(self, key) < 1:
                raise TrainerError(f"{key} must be >= 1, got {getattr(self, key)}")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise TrainerError("temperature must be >= 0 and top_p in (0, 1]")


def _by(values: list[str | None], chosen: torch.Tensor, rejected: torch.Tensor) -> dict[str, Any]:
    table = {}
    for value in sorted({v for v in values if v is not None}):
        sel = torch.tensor([v == value for v in values])
        table[value] = {"accuracy": pair_accuracy(chosen[sel], rejected[sel]), "pairs": int(sel.sum())}
    return table


def evaluate_pairs(cfg: Config, rm: RewardModel, tok: Any, rt: Any) -> dict[str, Any]:
    pairs = read_pairs(cfg.pairs)
    prompts = [p.prompt for p in pairs]
    chosen = score(rm, tok, prompts, [p.chosen for p in pairs], cfg.batch_size, cfg.max_length, False, rt.device).double()
    rejected = score(rm, tok, prompts, [p.rejected for p in pairs], cfg.batch_size, cfg.max_length, False, rt.device).double()
    result: dict[str, Any] = {
        "pair_accuracy": pair_accuracy(chosen, rejected),
        "pairs": len(pairs),
        "mean_score_gap": float((chosen - rejected).mean()),
        "ece": expected_calibration_error(chosen, rejected),
        "calibration": calibration_bins(chosen, rejected),
    }
    by_category = _by([p.category for p in pairs], chosen, rejected)
    by_policy = _by([p.policy for p in pairs], chosen, rejected)
    if by_category:
        result["accuracy_by_category"] = by_category
    if by_policy:
        result["accuracy_by_policy"] = by_policy
    return result


def evaluate_policy(cfg: Config, records: list[Any], rt: Any, rm: tuple[RewardModel, Any] | None, sm: tuple[Any, Any] | None) -> dict[str, Any]:
    tokenizer = load_policy_tokenizer(cfg.policy)
    model = load_causal_lm(cfg.policy, rt.dtype if rt.device.type == "cuda" else torch.float32).to(rt.device).eval()
    prompts, texts, finishes, policies = [], [], [], []
    for b, first in enumerate(range(0, len(records), cfg.batch_size)):
        batch = records[first : first + cfg.batch_size]
        torch.manual_seed(cfg.seed + b)
        s = generate(model, tokenizer, [r.prompt for r in batch], cfg.num_samples, cfg.temperature, cfg.top_p, cfg.max_new_tokens,
                     cfg.max_prompt_length, rt.device, rt.autocast)
        for j, i in enumerate(s.prompt_index):
            prompts.append(batch[i].prompt)
            policies.append(batch[i].policy)
            texts.append(s.texts[j])
            finishes.append(s.finish(j))
    result: dict[str, Any] = {"prompts": len(records), **refusal_stats(texts, policies, cfg.refusal_markers)}
    result["eos_rate"] = finishes.count("eos") / len(finishes)
    samples = [{"id": records_id, "policy": p, "response": t, "finish": f, "refusal": is_refusal(t, cfg.refusal_markers)}
               for records_id, p, t, f in zip([r.id for r in records for _ in range(cfg.num_samples)], policies, texts, finishes)]
    if rm is not None:
        rewards = score(rm[0], rm[1], prompts, texts, cfg.batch_size, cfg.max_length, True, rt.device)
        result["reward"] = float(rewards.mean())
        by_policy = {p: float(rewards[[q == p for q in policies]].mean()) for p in sorted({q for q in policies if q})}
        if by_policy:
            result["reward_by_policy"] = by_policy
        for s, r in zip(samples, rewards.tolist()):
            s["reward"] = r
    if sm is not None:
        model_s, tok_s = sm
        policy_probs, rubric_probs = model_s.predict(tok_s, prompts, texts, batch_size=cfg.batch_size, device=rt.device, max_length=cfg.max_length)
        predicted = rubric_probs.argmax(-1)
        result["rubric_mix"] = {r: float((predicted == k).float().mean()) for k, r in enumerate(RUBRICS)}
        mix_by_policy = {}
        for p in sorted({q for q in policies if q}):
            sel = torch.tensor([q == p for q in policies])
            mix_by_policy[p] = {r: float((predicted[sel] == k).float().mean()) for k, r in enumerate(RUBRICS)}
        if mix_by_policy:
            result["rubric_mix_by_policy"] = mix_by_policy
        result["safety_reward"] = float(model_s.safety_reward(tok_s, prompts, texts, batch_size=cfg.batch_size, device=rt.device,
                                                              max_length=cfg.max_length).mean())
        for s, k in zip(samples, predicted.tolist()):
            s["rubric"] = RUBRICS[k]
    result["samples"] = samples
    return result


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    # Every input is read and every model folder checked before anything runs or is written.
    records = read_prompts(cfg.prompts) if cfg.prompts else []
    if cfg.pairs:
        read_pairs(cfg.pairs)
    if cfg.policy:
        check_model_folder(cfg.policy, "policy")
        load_policy_tokenizer(cfg.policy)
    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32
    rm = None
    if cfg.reward_model:
        rm = (RewardModel.load(cfg.reward_model, dtype).to(rt.device).eval(), load_tokenizer(cfg.reward_model, "reward model"))
    sm = None
    if cfg.safety_model:
        if not cfg.policy:
            raise TrainerError("--safety-model needs --policy and --prompts")
        from ..safety_model import SafetyModel

        sm = (SafetyModel.load(cfg.safety_model, dtype).to(rt.device).eval(), load_tokenizer(cfg.safety_model, "safety model"))

    results: dict[str, Any] = {}
    if cfg.pairs and rm is not None:
        results.update(evaluate_pairs(cfg, rm[0], rm[1], rt))
    samples: list[dict[str, Any]] = []
    if cfg.policy:
        policy_result = evaluate_policy(cfg, records, rt, rm, sm)
        samples = policy_result.pop("samples")
        results.update(policy_result)
    ctx.events.eval(0, **results)
    for key in ("pair_accuracy", "ece", "reward", "refusal_rate", "over_refusal_rate", "refusal_rate_disallowed", "safety_reward"):
        if key in results:
            ctx.events.metric(0, f"eval/{key}", float(results[key]))
    out_file = ctx.output_dir / OUTPUT_FILE
    if rt.is_main:
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_name(f".{OUTPUT_FILE}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({**results, "samples": samples, "inputs": {k: getattr(cfg, k) for k in ("reward_model", "pairs", "policy", "prompts", "safety_model")}}, indent=2))
        os.replace(tmp, out_file)
    rt.barrier()
    headline = {k: v for k, v in results.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {**headline, "output": str(out_file)}
