"""Train the safety model: prompt-policy and response-rubric classifiers, plus a cost model.

Learns from the annotators' safety labels in a `rankings` snapshot (record policy, each
response's rubric) or a `pairs` snapshot with safety blocks (pairs of one prompt are merged).
The policy head reads the prompt alone, the rubric head prompt + response. With --cost-model and
two differently-safe responses of one prompt, a cost head is trained as in Safe RLHF:
-logsigmoid(c_less_safe - c_safer) - logsigmoid(s·c), s = +1 for rubric C (disallowed content),
-1 for any other rubric, so unsafe responses cost > 0 and safe ones < 0; "safer" is the higher
reward-table value for that prompt's policy (--cost-order table) or simply "not C" (harm).
Cross-entropy uses class weights sqrt(N / (K·n_c)) (normalised to mean 1 over the classes
present) so rare classes such as C are not drowned, without the over-correction of full inverse
frequency; --class-weights false turns them off. Per-class precision/recall go into the `eval`
event, which also names classes with no examples. The reward table (--reward-table, default the
project default) is saved with the model as reward_table.json, so R[policy][rubric] is a reward.
The final model (the best weights) is written to OUTPUT_DIR/model; each checkpoint also holds its
step's weights as a safety model folder of the same form in `model/`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..base_config import BATCH, HeadConfig
from ..batching import EpochBatches, collate, pad_id, tokenize
from ..context import RunContext
from ..data import Message, detect_format, read_pairs, read_rankings
from ..errors import TrainerError
from ..loop import (
    BestWeights,
    checkpoint_on_stop,
    evaluate_and_checkpoint,
    finished_summary,
    finite,
    log,
    lr_at,
    make_optimizer,
    master_dtype,
    optimizer_step,
    restore_best,
    resume,
    save_checkpoint,
    set_lr,
    write_final_model,
)
from ..options import opt
from ..reward_model import conversation_text, load_backbone, load_tokenizer, max_positions, run_sorted, turn_off_dropout
from ..rl_math import DEFAULT_REWARD_TABLE, POLICIES, RUBRICS
from ..runtime import Runtime, seed_everything
from ..safety_model import UNSAFE_RUBRICS, SafetyModel, check_reward_table, prompt_text, safer
from ..split import held_out_split, prompt_key, train_and_held_out


@dataclass(kw_only=True)
class Config(HeadConfig):
    data: str = opt(role="input")  # snapshot file (JSON lines): rankings, or pairs with safety blocks
    model: str = opt(role="input")  # local backbone folder (any Hugging Face encoder or decoder)
    reward_table: dict | None = opt(None, kind="reward_table")  # {policy: {rubric: value}}; null = the project default table
    cost_model: bool = True  # also train a cost head (lagrangian PPO) when two responses of a prompt differ in safety
    cost_weight: float = opt(1.0, ge=0)  # weight of the cost loss next to the two cross-entropies
    # which of two responses of a prompt is less safe in the cost model's pairwise term: table (the lower
    # reward-table value for the prompt's policy) or harm (only rubric C against any other rubric)
    cost_order: str = opt("table", choices=("table", "harm"))
    class_weights: bool = True  # sqrt inverse-frequency class weights in the cross-entropies
    epochs: int = opt(3, ge=1, le=10_000)
    batch_size: int = opt(8, **BATCH)  # prompts per optimizer step (with all their labelled responses)
    lr: float = opt(2e-5, gt=0, le=1)

    def validate(self) -> None:
        super().validate()
        if self.reward_table is not None:
            check_reward_table(self.reward_table)

    @property
    def table(self) -> dict[str, dict[str, float]]:
        return check_reward_table(self.reward_table if self.reward_table is not None else DEFAULT_REWARD_TABLE)


# --------------------------------------------------------------------------- data


@dataclass
class SafetyGroup:
    """A prompt with its policy label (or None) and its rubric-labelled responses."""

    prompt: list[Message]
    policy: str | None
    responses: list[str] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)
    cost_pairs: list[tuple[int, int]] = field(default_factory=list)  # (safer, less safe)
    prompt_ids: list[int] | None = None
    ids: list[list[int]] | None = None

    @property
    def key(self) -> str:
        return prompt_key(self.prompt)

    def add(self, response: str, rubric: str | None) -> None:
        if rubric is not None and response not in self.responses:
            self.responses.append(response)
            self.rubrics.append(rubric)


def read_safety_groups(path: str, fmt: str, table: dict[str, dict[str, float]], cost_order: str = "table") -> tuple[list[SafetyGroup], str]:
    layout = detect_format(path, fmt)
    groups: dict[str, SafetyGroup] = {}

    def group(prompt: list[Message], policy: str | None) -> SafetyGroup:
        g = groups.setdefault(prompt_key(prompt), SafetyGroup(prompt, policy))
        g.policy = g.policy or policy
        return g

    if layout == "rankings":
        for r in read_rankings(path):
            g = group(r.prompt, r.policy)
            for x in r.responses:
                g.add(x.content, x.rubric)
    else:
        for p in read_pairs(path):
            g = group(p.prompt, p.policy)
            g.add(p.chosen, p.chosen_rubric)
            g.add(p.rejected, p.rejected_rubric)
    out = [g for g in groups.values() if g.policy is not None or g.responses]
    if not out:
        raise TrainerError(f"{path} holds no safety labels (no prompt policy and no response rubric); label some first")
    for g in out:
        for i in range(len(g.rubrics)):
            for j in range(i + 1, len(g.rubrics)):
                s = safer(table, g.policy if cost_order == "table" else None, g.rubrics[i], g.rubrics[j])
                if s:
                    g.cost_pairs.append((i, j) if s > 0 else (j, i))
    return out, layout


def class_weights(labels: Sequence[str], classes: Sequence[str]) -> list[float]:
    """sqrt(N / (K·n_c)) for the K classes present, normalised to mean 1; 1 for absent classes."""
    counts = {c: labels.count(c) for c in classes}
    present = [c for c in classes if counts[c]]
    if not present:
        return [1.0] * len(classes)
    raw = {c: math.sqrt(len(labels) / (len(present) * counts[c])) for c in present}
    mean = sum(raw.values()) / len(raw)
    return [raw[c] / mean if c in raw else 1.0 for c in classes]


# --------------------------------------------------------------------------- batches, losses, eval


def rows(groups: Sequence[SafetyGroup]) -> dict[str, Any]:
    """The texts of one forward: labelled prompts (policy) then labelled responses (rubric, cost)."""
    ids: list[list[int]] = []
    policy_rows, policy_y, rubric_rows, rubric_y, sign = [], [], [], [], []
    safer_rows, unsafer_rows = [], []
    for g in groups:
        if g.policy is not None:
            policy_rows.append(len(ids))
            policy_y.append(POLICIES.index(g.policy))
            ids.append(g.prompt_ids or [])
    for g in groups:
        offset = len(ids)
        for ids_r, rubric in zip(g.ids or [], g.rubrics):
            rubric_rows.append(len(ids))
            rubric_y.append(RUBRICS.index(rubric))
            sign.append(1.0 if rubric in UNSAFE_RUBRICS else -1.0)
            ids.append(ids_r)
        for s, u in g.cost_pairs:
            safer_rows.append(offset + s)
            unsafer_rows.append(offset + u)
    long = lambda xs: torch.tensor(xs, dtype=torch.long)  # noqa: E731
    return {"ids": ids, "policy_rows": long(policy_rows), "policy_y": long(policy_y), "rubric_rows": long(rubric_rows),
            "rubric_y": long(rubric_y), "sign": torch.tensor(sign), "safer": long(safer_rows), "unsafer": long(unsafer_rows)}


def losses(out: dict[str, torch.Tensor], b: dict[str, Any], weights: dict[str, torch.Tensor | None], with_cost: bool) -> dict[str, torch.Tensor]:
    dev = out["policy"].device
    zero = 0.0 * (out["policy"].sum() + out["rubric"].sum() + out["cost"].sum())  # keeps every head in the graph
    result = {"policy": zero, "rubric": zero, "cost": zero}
    if b["policy_rows"].numel():
        w = weights["policy"]
        result["policy"] = F.cross_entropy(out["policy"][b["policy_rows"].to(dev)], b["policy_y"].to(dev),
                                           weight=None if w is None else w.to(dev, out["policy"].dtype))
    if b["rubric_rows"].numel():
        w = weights["rubric"]
        result["rubric"] = F.cross_entropy(out["rubric"][b["rubric_rows"].to(dev)], b["rubric_y"].to(dev),
                                           weight=None if w is None else w.to(dev, out["policy"].dtype))
    if with_cost and b["rubric_rows"].numel():
        c = out["cost"]
        # Safe RLHF sign term: s = +1 for unsafe responses pushes their cost above 0, s = -1 below.
        cost = -F.logsigmoid(b["sign"].to(dev) * c[b["rubric_rows"].to(dev)]).mean()
        if b["safer"].numel():
            cost = cost - F.logsigmoid(c[b["unsafer"].to(dev)] - c[b["safer"].to(dev)]).mean()
        result["cost"] = cost
    return result


def class_report(y: torch.Tensor, pred: torch.Tensor, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, confusion matrix (rows true, columns predicted) and per-class precision/recall/F1.

    A class with no true examples has recall null; one never predicted has precision null.
    """
    k = len(classes)
    confusion = torch.zeros(k, k, dtype=torch.long)
    for t, p in zip(y.tolist(), pred.tolist()):
        confusion[t, p] += 1
    per_class = {}
    for i, c in enumerate(classes):
        tp, support, predicted = int(confusion[i, i]), int(confusion[i].sum()), int(confusion[:, i].sum())
        precision = tp / predicted if predicted else None
        recall = tp / support if support else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if precision is not None and recall is not None else None)
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": support, "predicted": predicted}
    return {"accuracy": float((y == pred).float().mean()) if y.numel() else None, "examples": int(y.numel()),
            "per_class": per_class, "confusion": confusion.tolist()}


def absent_classes(train: Sequence[SafetyGroup], held_out: Sequence[SafetyGroup]) -> dict[str, dict[str, list[str]]]:
    def missing(groups: Sequence[SafetyGroup], classes: Sequence[str], of: str) -> list[str]:
        seen = {g.policy for g in groups} if of == "policy" else {r for g in groups for r in g.rubrics}
        return [c for c in classes if c not in seen]

    return {of: {"train": missing(train, classes, of), "eval": missing(held_out, classes, of)} for of, classes in (("policy", POLICIES), ("rubric", RUBRICS))}


def evaluate(model: SafetyModel, groups: Sequence[SafetyGroup], cfg: Config, pad: int, runtime: Runtime, absent: dict[str, Any]) -> dict[str, Any]:
    b = rows(groups)
    was_training = model.training
    model.eval()
    try:
        outs = run_sorted(lambda i, m: torch.cat([v.reshape(v.shape[0], -1) for v in model(i, m).values()], -1),
                          b["ids"], pad, cfg.eval_batch_size, runtime.device, runtime.autocast)
    finally:
        model.train(was_training)
    out = {"policy": outs[:, :3], "rubric": outs[:, 3:7], "cost": outs[:, 7]}
    parts = losses(out, b, {"policy": None, "rubric": None}, model.has_cost)
    result: dict[str, Any] = {
        "loss": float(parts["policy"] + parts["rubric"] + cfg.cost_weight * parts["cost"]),
        "policy_loss": float(parts["policy"]),
        "rubric_loss": float(parts["rubric"]),
        "policy": class_report(b["policy_y"], out["policy"][b["policy_rows"]].argmax(-1), POLICIES),
        "rubric": class_report(b["rubric_y"], out["rubric"][b["rubric_rows"]].argmax(-1), RUBRICS),
        "absent_classes": absent,
        "split": held_out_split(cfg),
    }
    if model.has_cost:
        c = out["cost"]
        result["cost_loss"] = float(parts["cost"])
        result["cost"] = {
            "pairs": int(b["safer"].numel()),
            "pair_accuracy": float((c[b["unsafer"]] > c[b["safer"]]).float().mean()) if b["safer"].numel() else None,
            "sign_accuracy": float(((c[b["rubric_rows"]] > 0).float() * 2 - 1 == b["sign"]).float().mean()) if b["rubric_rows"].numel() else None,
        }
    return result


def eval_metrics(result: dict[str, Any]) -> dict[str, float]:
    metrics = {"eval/loss": result["loss"], "eval/policy_accuracy": result["policy"]["accuracy"], "eval/rubric_accuracy": result["rubric"]["accuracy"]}
    if "cost" in result:
        metrics["eval/cost_accuracy"] = result["cost"]["pair_accuracy"]
    return {k: v for k, v in metrics.items() if v is not None}


# --------------------------------------------------------------------------- the command


def prepare(cfg: Config) -> dict[str, Any]:
    """Reads and checks every input; nothing is written yet."""
    table = cfg.table
    groups, layout = read_safety_groups(cfg.data, cfg.format, table, cfg.cost_order)
    train, held_out = train_and_held_out(groups, cfg, lambda path: read_safety_groups(path, cfg.format, table, cfg.cost_order)[0])
    tokenizer = load_tokenizer(cfg.model, what="backbone")
    return {"train": train, "eval": held_out, "layout": layout, "table": table, "tokenizer": tokenizer}


def tokenize_groups(groups: Sequence[SafetyGroup], tokenizer: Any, max_length: int) -> None:
    prompts = tokenize(tokenizer, [prompt_text(tokenizer, g.prompt) for g in groups], max_length)
    texts = [conversation_text(tokenizer, g.prompt, r) for g in groups for r in g.responses]
    ids = tokenize(tokenizer, texts, max_length)
    i = 0
    for g, p in zip(groups, prompts):
        g.prompt_ids = p
        g.ids, i = ids[i : i + len(g.responses)], i + len(g.responses)


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    inputs = prepare(cfg)
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done
    train, held_out, tokenizer = inputs["train"], inputs["eval"], inputs["tokenizer"]
    cost_pairs = sum(len(g.cost_pairs) for g in train)
    with_cost = cfg.cost_model and cost_pairs > 0
    if cfg.cost_model and not with_cost:
        log("safety: no prompt has two responses that differ in safety; no cost model is trained")

    seed_everything(cfg.seed)
    model = SafetyModel(load_backbone(cfg.model, master_dtype(rt.dtype), what="backbone", **rt.load_options()), cost=with_cost, max_length=cfg.max_length,
                        reward_table=inputs["table"])
    max_len = max_positions(model.backbone, cfg.max_length)
    tokenize_groups([*train, *held_out], tokenizer, max_len)
    pad = pad_id(tokenizer)
    if cfg.disable_dropout:
        turn_off_dropout(model)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    model.to(rt.device)
    model.train()
    rt.compiled(model.backbone)
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)

    policy_labels = [g.policy for g in train if g.policy is not None]
    rubric_labels = [r for g in train for r in g.rubrics]
    weights = {
        "policy": torch.tensor(class_weights(policy_labels, POLICIES)) if cfg.class_weights else None,
        "rubric": torch.tensor(class_weights(rubric_labels, RUBRICS)) if cfg.class_weights else None,
    }
    absent = absent_classes(train, held_out)
    for of, where in absent.items():
        if where["train"]:
            log(f"safety: no training examples of {of} class(es) {', '.join(where['train'])}; the model cannot learn them")
    batches = EpochBatches([max([len(g.prompt_ids or [])] + [len(x) for x in g.ids or []]) for g in train], cfg.batch_size, cfg.seed)
    total = batches.per_epoch * cfg.epochs
    ctx.events.total_steps = total
    counts = {
        "format": inputs["layout"],
        "train_prompts": len(train),
        "eval_prompts": len(held_out),
        "policy_examples": len(policy_labels),
        "rubric_examples": len(rubric_labels),
        "cost_pairs": cost_pairs,
        "cost_model": with_cost,
        "class_weights": {k: v.tolist() if v is not None else None for k, v in weights.items()},
        "absent_classes": absent,
    }
    state: dict[str, Any] = {"best_loss": None, "best_step": None, "bad_evals": 0, "stopped_early": False, "last_eval": None, "best_result": None}
    saved = resume(ctx, {"model": model}, {"optimizer": opt}, state, total)
    step = int(saved["step"]) if saved else 0
    best = BestWeights(ctx.output_dir)
    trainer = rt.wrap(model)

    def checkpoint() -> Path | None:
        return save_checkpoint(ctx, step, {"model": model}, {"optimizer": opt}, {**state, "config": asdict(cfg), "total_steps": total},
                               export=lambda d: model.save(d, tokenizer, extra={"trained_on": cfg.data, "format": inputs["layout"], "step": step}))

    def run_eval() -> None:
        if not held_out:
            return
        result = evaluate(model, held_out, cfg, pad, rt, absent)
        improved = best.update(ctx, model, state, step, {"loss": result["loss"]}, best_result=summary_of(result))
        ctx.events.eval(step, **result, best=improved)
        for name, value in eval_metrics(result).items():
            ctx.events.metric(step, name, value)

    while step < total and not state["stopped_early"]:
        mine = rt.shard([train[i] for i in batches.at(step)])
        lr = lr_at(step, total, cfg.lr, cfg.warmup_steps)
        set_lr(opt, lr)
        if mine:
            b = rows(mine)
            batch = collate(b["ids"], pad)
            with rt.autocast():
                out = trainer(batch["input_ids"].to(rt.device), batch["attention_mask"].to(rt.device))
            parts = losses(out, b, weights, with_cost)
            loss = parts["policy"] + parts["rubric"] + cfg.cost_weight * parts["cost"]
            optimizer_step(loss, model, opt, cfg.grad_clip)
            value = finite(loss, step)
            step += 1
            ctx.events.metric(step, "train/loss", rt.mean(value))
            ctx.events.metric(step, "train/policy_loss", rt.mean(float(parts["policy"].detach())))
            ctx.events.metric(step, "train/rubric_loss", rt.mean(float(parts["rubric"].detach())))
            if with_cost:
                ctx.events.metric(step, "train/cost_loss", rt.mean(float(parts["cost"].detach())))
            ctx.events.metric(step, "train/lr", lr)
        else:
            step += 1
        saved_now = evaluate_and_checkpoint(step, total, cfg, state, run_eval, checkpoint)
        stopped = checkpoint_on_stop(ctx, step, total, saved_now, checkpoint)
        if stopped is not None:
            return {**stopped, **counts}

    weights_from = restore_best(model, best, state, step)
    final = state["best_result"]
    if held_out and not (weights_from == step and state["last_eval"] == step):
        result = evaluate(model, held_out, cfg, pad, rt, absent)
        ctx.events.eval(step, **result, final=True, weights_from_step=weights_from)
        final = summary_of(result)
    summary = {
        "interrupted": False,
        "steps": step,
        "total_steps": total,
        "stopped_early": state["stopped_early"],
        "best_step": state["best_step"],
        "best_eval_loss": state["best_loss"],
        "final_eval": final,
        "model": str(ctx.output_dir / "model"),
        **counts,
    }
    write_final_model(ctx, summary, lambda tmp: model.save(tmp, tokenizer, extra={"trained_on": cfg.data, "format": inputs["layout"]}))
    return summary


def summary_of(result: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of an evaluation (the full tables are in the eval events)."""
    out = {"loss": result["loss"], "policy_accuracy": result["policy"]["accuracy"], "rubric_accuracy": result["rubric"]["accuracy"]}
    if "cost" in result:
        out["cost_pair_accuracy"] = result["cost"]["pair_accuracy"]
    return out
