"""Evaluate a reward model, a safety classifier and/or a policy, with baselines and 95 % intervals.

- `--reward-model DIR --pairs FILE` (a `pairs` or `rankings` snapshot): pair accuracy against the
  "longer answer wins" and "shorter answer wins" rules on the same pairs, and, with
  `--compare-reward-model`, against a second model (the parent); by prompt policy, harm category,
  source and preference strength; calibration. The report says in words whether the model beats
  the length rule.
- `--safety-model DIR --safety-labels FILE`: the classifier's agreement with the annotators'
  prompt-policy and rubric labels (accuracy against the majority class, per-class precision /
  recall / F1, confusion matrices, Cohen's kappa) next to the annotators' own kappa on the items
  several of them labelled.
- `--policy DIR --prompts FILE`: samples `num_samples` responses per prompt (seeded) and reports
  the rule-based refusal rates per prompt policy, the mean length and EOS rate; with
  `--reward-model` the mean reward; with `--safety-model` the rubric mix per prompt policy, the
  unsafe rate on disallowed prompts, over-refusal on allowed ones and compliance on sensitive
  ones; with `--reference-policy` the KL to it.
With `--split NAME` only the prompts that split holds out (`eval_fraction` of them) are scored
from the pairs and safety labels, so a model is judged on prompts it never trained on. Every
rate and mean is in `metrics` as {value, lo, hi, n, units}. Results go to an `eval` event and
OUTPUT_DIR/eval.json (with every sampled response).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import torch

from ..base_config import BATCH, MARKERS, SPLIT_NAME, TOKENS, BaseConfig
from ..context import RunContext
from ..data import detect_format, read_prompts
from ..errors import TrainerError
from ..eval_policy import policy_report
from ..eval_reward import held_out_pairs, read_eval_pairs, reward_report
from ..eval_safety import held_out_labels, read_safety_labels, safety_report
from ..options import opt
from ..policy import DEFAULT_REFUSAL_MARKERS, generate, is_refusal, load_causal_lm, load_policy_tokenizer, refusal_stats, sequence_logprobs
from ..reward_model import RewardModel, check_model_folder, load_tokenizer, score
from ..rl_math import POLICIES, RUBRICS, expected_safety_reward
from ..split import prompt_key

OUTPUT_FILE = "eval.json"
INPUTS = ("reward_model", "pairs", "compare_reward_model", "safety_model", "safety_labels", "policy", "prompts", "reference_policy")


@dataclass(kw_only=True)
class Config(BaseConfig):
    output_dir: str = opt(role="input")  # where eval.json goes
    reward_model: str | None = opt(None, role="input")  # reward model folder: pair accuracy (with pairs) and policy reward (with policy)
    pairs: str | None = opt(None, role="input")  # pairs or rankings snapshot to score with the reward model
    format: str = opt("auto", choices=("auto", "rankings", "pairs"), role="input")  # layout of pairs and safety_labels: auto | rankings | pairs
    compare_reward_model: str | None = opt(None, role="input")  # a second reward model scored on the same pairs (e.g. the parent)
    safety_model: str | None = opt(None, role="input")  # safety model folder: agreement with safety_labels, rubric mix of the policy's responses
    safety_labels: str | None = opt(None, role="input")  # rankings or pairs snapshot whose human safety labels the safety model is checked against
    policy: str | None = opt(None, role="input")  # causal LM folder to sample from
    prompts: str | None = opt(None, role="input")  # prompts file for the policy (with "policy" labels for the per-policy rates)
    reference_policy: str | None = opt(None, role="input")  # causal LM folder the policy's KL is measured against (same tokenizer)
    split: str | None = opt(None, **SPLIT_NAME)  # held-out split name: score only the pairs and labels of the prompts it holds out
    eval_fraction: float = opt(0.1, gt=0, lt=1)  # the split's share of held-out prompts (as in the training run)
    num_samples: int = opt(1, ge=1, le=64)  # responses per prompt
    temperature: float = opt(1.0, ge=0)  # sampling temperature (0 = greedy)
    top_p: float = opt(1.0, gt=0, le=1)  # nucleus sampling (1 = off)
    max_new_tokens: int = opt(128, **TOKENS)  # response length limit
    max_prompt_length: int = opt(1024, **TOKENS)  # prompt tokens kept (cut from the left)
    batch_size: int = opt(16, **BATCH)  # prompts per generation call, conversations per scoring forward
    max_length: int = opt(512, ge=8, le=1_048_576)  # tokens per scored conversation
    refusal_markers: list[str] = opt(factory=lambda: list(DEFAULT_REFUSAL_MARKERS), items=MARKERS)  # phrases that make a response a refusal (case-insensitive)
    keep_checkpoints: int = 2  # unused (evaluation keeps no checkpoints)

    def validate(self) -> None:
        super().validate()
        if self.pairs is not None and self.reward_model is None:
            raise TrainerError("--pairs needs --reward-model")
        if self.compare_reward_model is not None and self.pairs is None:
            raise TrainerError("--compare-reward-model needs --pairs and --reward-model")
        if self.safety_labels is not None and self.safety_model is None:
            raise TrainerError("--safety-labels needs --safety-model")
        if self.prompts is not None and self.policy is None:
            raise TrainerError("--prompts needs --policy")
        if self.policy is not None and self.prompts is None:
            raise TrainerError("--policy needs --prompts")
        if self.reference_policy is not None and self.policy is None:
            raise TrainerError("--reference-policy needs --policy")
        if self.safety_model is not None and self.safety_labels is None and self.policy is None:
            raise TrainerError("--safety-model needs --safety-labels (to check it against people) or --policy (to judge its responses)")
        if self.pairs is None and self.policy is None and self.safety_labels is None:
            raise TrainerError("nothing to evaluate: give --reward-model with --pairs, --safety-model with --safety-labels, and/or --policy with --prompts")


def evaluate_pairs(cfg: Config, pairs: list[Any], rm: tuple[Any, Any], compare: tuple[Any, Any] | None, rt: Any) -> dict[str, Any]:
    prompts = [p.prompt for p in pairs]

    def scores(model: Any, tok: Any) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = score(model, tok, prompts, [p.chosen for p in pairs], cfg.batch_size, cfg.max_length, False, rt.device).double()
        rejected = score(model, tok, prompts, [p.rejected for p in pairs], cfg.batch_size, cfg.max_length, False, rt.device).double()
        return chosen, rejected

    chosen, rejected = scores(*rm)
    return reward_report(pairs, chosen, rejected, scores(*compare) if compare is not None else None, cfg.seed)


def evaluate_safety_labels(cfg: Config, labels: Any, sm: tuple[Any, Any], rt: Any) -> dict[str, Any]:
    model, tok = sm
    items = list(labels.responses)
    prompt_items = list(labels.prompts)
    # The policy head reads the prompt alone, so any response stands in for prompts without one.
    prompts = [labels.responses[i][0] for i in items] + [labels.prompts[k] for k in prompt_items]
    responses = [labels.responses[i][1] for i in items] + [""] * len(prompt_items)
    policy_probs, rubric_probs = model.predict(tok, prompts, responses, batch_size=cfg.batch_size, device=rt.device, max_length=cfg.max_length)
    predicted_rubric = {item: RUBRICS[int(k)] for item, k in zip(items, rubric_probs[: len(items)].argmax(-1).tolist())}
    by_prompt = {prompt_key(p): POLICIES[int(k)] for p, k in zip(prompts, policy_probs.argmax(-1).tolist())}
    return safety_report(labels, {k: by_prompt[k] for k in labels.prompts}, predicted_rubric, cfg.seed)


def evaluate_policy(cfg: Config, records: list[Any], rt: Any, rm: tuple[Any, Any] | None, sm: tuple[Any, Any] | None) -> dict[str, Any]:
    tokenizer = load_policy_tokenizer(cfg.policy)
    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32
    model = load_causal_lm(cfg.policy, dtype, **rt.load_options()).to(rt.device).eval()
    reference = load_causal_lm(cfg.reference_policy, dtype, what="reference policy", **rt.load_options()).to(rt.device).eval() if cfg.reference_policy else None
    samples: list[dict[str, Any]] = []
    prompts, texts = [], []
    for b, first in enumerate(range(0, len(records), cfg.batch_size)):
        batch = records[first : first + cfg.batch_size]
        torch.manual_seed(cfg.seed + b)
        s = generate(model, tokenizer, [r.prompt for r in batch], cfg.num_samples, cfg.temperature, cfg.top_p, cfg.max_new_tokens,
                     cfg.max_prompt_length, rt.device, rt.autocast)
        kl = None
        if reference is not None:
            with torch.no_grad(), rt.autocast():
                own, _ = sequence_logprobs(model, s.input_ids, s.attention_mask, s.response_mask)
                ref, _ = sequence_logprobs(reference, s.input_ids, s.attention_mask, s.response_mask)
            kl = (own.double() - ref.double()).sum(-1).tolist()
        for j, i in enumerate(s.prompt_index):
            record = batch[i]
            prompts.append(record.prompt)
            texts.append(s.texts[j])
            samples.append({"id": record.id, "prompt": record.id, "policy": record.policy, "response": s.texts[j], "finish": s.finish(j),
                            "tokens": len(s.response_ids[j]), "refusal": is_refusal(s.texts[j], cfg.refusal_markers),
                            **({"kl": kl[j]} if kl is not None else {})})
    result: dict[str, Any] = {"prompts": len(records), **refusal_stats(texts, [s["policy"] for s in samples], cfg.refusal_markers)}
    result["eos_rate"] = sum(s["finish"] == "eos" for s in samples) / len(samples)
    if rm is not None:
        rewards = score(rm[0], rm[1], prompts, texts, cfg.batch_size, cfg.max_length, True, rt.device)
        result["reward"] = float(rewards.mean())
        for s, r in zip(samples, rewards.tolist()):
            s["reward"] = r
    if sm is not None:
        model_s, tok_s = sm
        policy_probs, rubric_probs = model_s.predict(tok_s, prompts, texts, batch_size=cfg.batch_size, device=rt.device, max_length=cfg.max_length)
        predicted = rubric_probs.argmax(-1)
        result["rubric_mix"] = {r: float((predicted == k).float().mean()) for k, r in enumerate(RUBRICS)}
        # The table reward from the same predictions (safety_reward would run the classifier again).
        table_rewards = expected_safety_reward(policy_probs, rubric_probs, model_s.reward_table)
        result["safety_reward"] = float(table_rewards.mean())
        for s, k, t in zip(samples, predicted.tolist(), table_rewards.tolist()):
            s["rubric"] = RUBRICS[k]
            s["safety_reward"] = t
    result["report"] = policy_report(samples, cfg.seed)
    result["samples"] = samples
    return result


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    # Every input is read and every model folder checked before anything runs or is written.
    records = read_prompts(cfg.prompts) if cfg.prompts else []
    pairs = read_eval_pairs(cfg.pairs, detect_format(cfg.pairs, cfg.format)) if cfg.pairs else []
    labels = read_safety_labels(cfg.safety_labels, detect_format(cfg.safety_labels, cfg.format)) if cfg.safety_labels else None
    if cfg.split:
        pairs = held_out_pairs(pairs, cfg.split, cfg.eval_fraction)
        labels = held_out_labels(labels, cfg.split, cfg.eval_fraction) if labels is not None else None
    if cfg.pairs and not pairs:
        raise TrainerError(f"{cfg.pairs} holds no comparison to score" + (f" among the prompts split {cfg.split!r} holds out" if cfg.split else ""))
    if labels is not None and not (labels.policy or labels.rubric):
        raise TrainerError(f"{cfg.safety_labels} holds no safety label" + (f" among the prompts split {cfg.split!r} holds out" if cfg.split else ""))
    for key, what in (("policy", "policy"), ("reference_policy", "reference policy")):
        if getattr(cfg, key):
            check_model_folder(getattr(cfg, key), what)
            load_policy_tokenizer(getattr(cfg, key), what)
    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32

    def reward_model(path: str, what: str) -> tuple[Any, Any]:
        return RewardModel.load(path, dtype, **rt.load_options()).to(rt.device).eval(), load_tokenizer(path, what)

    rm = reward_model(cfg.reward_model, "reward model") if cfg.reward_model else None
    compare = reward_model(cfg.compare_reward_model, "compared reward model") if cfg.compare_reward_model else None
    sm = None
    if cfg.safety_model:
        from ..safety_model import SafetyModel

        sm = (SafetyModel.load(cfg.safety_model, dtype, **rt.load_options()).to(rt.device).eval(), load_tokenizer(cfg.safety_model, "safety model"))

    # Each part's report is its own section; `metrics` and `verdict` gather them all (their names
    # do not clash), and the figures earlier versions reported stay at the top level.
    results: dict[str, Any] = {"metrics": {}, "verdict": []}
    if pairs and rm is not None:
        with rt.autocast():
            report = evaluate_pairs(cfg, pairs, rm, compare, rt)
        results["reward_model"] = report
        results.update({k: report[k] for k in ("pair_accuracy", "pairs", "mean_score_gap", "ece", "calibration")})
    if labels is not None and sm is not None:
        with rt.autocast():
            report = evaluate_safety_labels(cfg, labels, sm, rt)
        report["metrics"] = {f"safety/{of}/{name}": e for of in ("policy", "rubric") if of in report for name, e in report[of].pop("metrics").items()}
        results["safety_classifier"] = report
    samples: list[dict[str, Any]] = []
    if cfg.policy:
        with rt.autocast():
            policy_result = evaluate_policy(cfg, records, rt, rm, sm)
        samples = policy_result.pop("samples")
        report = policy_result.pop("report")
        results["policy"] = report
        results.update(policy_result)
    for part in ("reward_model", "safety_classifier", "policy"):
        if part in results:
            results["metrics"].update(results[part]["metrics"])
            results["verdict"] += results[part]["verdict"]
    if cfg.split:
        results["split"] = {"name": cfg.split, "fraction": cfg.eval_fraction}
    ctx.events.eval(0, **results)
    for key in ("pair_accuracy", "ece", "reward", "refusal_rate", "over_refusal_rate", "refusal_rate_disallowed", "safety_reward"):
        if key in results:
            ctx.events.metric(0, f"eval/{key}", float(results[key]))
    out_file = ctx.output_dir / OUTPUT_FILE
    if rt.is_main:
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_name(f".{OUTPUT_FILE}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({**results, "samples": samples, "inputs": {k: getattr(cfg, k) for k in INPUTS}}, indent=2))
        os.replace(tmp, out_file)
    rt.barrier()
    headline = {k: v for k, v in results.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {**headline, "output": str(out_file)}
