"""Train a reward model (Bradley–Terry) from a `rankings` or `pairs` snapshot.

Rankings are trained InstructGPT style: a prompt's K responses are scored in one forward and all
its non-tied pairs form ONE batch element (loss averaged over the prompt's pairs, then over
prompts); pairs files give one element per pair. Optional Llama 2 margins from the labelled
preference strength, optional reward centring. Held-out pair accuracy, per-category accuracy
and calibration are reported as `eval` events; training stops early when the held-out loss stops
improving and keeps the best weights. The model (backbone + scalar head + reward mean/std, so
rewards are centred on the training responses) is written to OUTPUT_DIR/model. Each checkpoint
also holds its step's weights as a reward model folder in `model/`, centred on a sample of at most
512 training responses (`normalised_on` in reward_config.json) rather than all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

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
from ..losses import calibration_bins, expected_calibration_error, kwise_bt_loss, pair_accuracy, reward_normaliser
from ..options import opt
from ..reward_model import (
    RewardModel,
    conversation_text,
    forward_sorted,
    load_backbone,
    load_tokenizer,
    max_positions,
    score_ids,
    turn_off_dropout,
)
from ..runtime import Runtime, seed_everything
from ..sharding import FullModelState, FullOptimizerState, Gathered, plain_copy, shard
from ..split import held_out_split, prompt_key, train_and_held_out

MARGIN_SCALE = {"none": None, "small": 1.0, "large": 3.0}


@dataclass(kw_only=True)
class Config(HeadConfig):
    data: str = opt(role="input")  # snapshot file (JSON lines): rankings or pairs
    model: str = opt(role="input")  # local backbone folder (any Hugging Face encoder or decoder)
    batch_size: int = opt(8, **BATCH)  # prompts (rankings) or pairs per optimizer step
    margin: str = opt("none", choices=tuple(MARGIN_SCALE))  # none | small | large: Llama 2 margin from the preference strength (large = 3×)
    centring: float = opt(0.0, ge=0)  # weight of the reward-centring term mean((r_c + r_r)^2)
    # padded tokens per forward: a step's sequences are sorted by length and scored in chunks of this size (0 = one forward)
    tokens_per_forward: int = opt(4096, ge=0)
    # under torchrun: ddp (every rank holds the whole model) | fsdp (FSDP2: parameters, gradients and AdamW state sharded over the ranks; one forward per step)
    distributed: str = opt("ddp", choices=("ddp", "fsdp"))


# --------------------------------------------------------------------------- data


@dataclass
class Group:
    """One batch element: a prompt, the responses that take part in a comparison, and the pairs."""

    prompt: list[Message]
    responses: list[str]
    pairs: list[tuple[int, int, float]]  # (better, worse, margin on the 0–1 strength scale)
    policy: str | None = None
    category: str | None = None
    ids: list[list[int]] | None = None  # token ids per response, filled once the tokenizer is known

    @property
    def key(self) -> str:
        return prompt_key(self.prompt)


def _compact(prompt: list[Message], responses: list[str], pairs: list[tuple[int, int, float]], **meta: Any) -> Group | None:
    """Keeps only responses that take part in a pair (ties and unranked ones are never scored)."""
    if not pairs:
        return None
    used = sorted({i for b, w, _ in pairs for i in (b, w)})
    remap = {old: new for new, old in enumerate(used)}
    return Group(prompt, [responses[i] for i in used], [(remap[b], remap[w], m) for b, w, m in pairs], **meta)


def read_groups(path: str, fmt: str = "auto") -> tuple[list[Group], str, int]:
    """(groups, layout, records without any non-tied pair)."""
    layout = detect_format(path, fmt)
    groups: list[Group] = []
    skipped = 0
    if layout == "rankings":
        for r in read_rankings(path):
            g = _compact(r.prompt, [x.content for x in r.responses], r.pairs(), policy=r.policy, category=r.harm_category)
            skipped += g is None
            groups += [g] if g else []
    else:
        for p in read_pairs(path):
            if p.chosen == p.rejected:
                skipped += 1
                continue
            groups.append(Group(p.prompt, [p.chosen, p.rejected], [(0, 1, p.margin)], policy=p.policy, category=p.category))
    if not groups:
        raise TrainerError(f"{path} holds no comparison to learn from (every ranking is a tie or unranked)")
    return groups, layout, skipped


# --------------------------------------------------------------------------- checkpoints


# Responses a checkpoint's reward statistics are computed on: a few seconds of scoring, not a pass
# over the whole training set at every checkpoint.
CHECKPOINT_NORMALISER_SAMPLE = 512


def export_checkpoint_model(model: RewardModel, directory: Path, tokenizer: Any, step: int, train_ids: list[list[int]], pad: int, cfg: Any,
                            rt: Any, extra: dict[str, Any]) -> None:
    """A checkpoint's reward model: the step's weights, centred like the final model but on an
    evenly spaced sample of at most CHECKPOINT_NORMALISER_SAMPLE training responses (the final
    model uses all of them). reward_config.json says how many (`normalised_on`). The live model's
    statistics are put back afterwards; training never reads them."""
    sample = train_ids[:: max(1, len(train_ids) // CHECKPOINT_NORMALISER_SAMPLE)][:CHECKPOINT_NORMALISER_SAMPLE]
    mean, std = reward_normaliser(score_ids(model, sample, pad, cfg.eval_batch_size, rt.device, rt.autocast))
    before = (float(model.reward_mean), float(model.reward_std))
    model.set_normalisation(mean, std)
    try:
        model.save(directory, tokenizer, extra={**extra, "normalised": True, "normalised_on": len(sample), "step": step})
    finally:
        model.set_normalisation(*before)


# --------------------------------------------------------------------------- batches, loss, eval


def flatten(groups: Sequence[Group], margin_scale: float | None, pad: int, device: torch.device) -> dict[str, Any]:
    """One forward's inputs for a list of groups, with the flat pair indexes of kwise_bt_loss."""
    ids: list[list[int]] = []
    better, worse, prompt, margins = [], [], [], []
    for p, g in enumerate(groups):
        offset = len(ids)
        ids.extend(g.ids or [])
        for b, w, m in g.pairs:
            better.append(offset + b)
            worse.append(offset + w)
            prompt.append(p)
            margins.append(m * (margin_scale or 0.0))
    batch = collate(ids, pad)
    as_long = lambda xs: torch.tensor(xs, dtype=torch.long, device=device)  # noqa: E731
    return {
        "ids": ids,
        "input_ids": batch["input_ids"].to(device),
        "attention_mask": batch["attention_mask"].to(device),
        "better": as_long(better),
        "worse": as_long(worse),
        "prompt": as_long(prompt),
        "margin": torch.tensor(margins, dtype=torch.float32, device=device) if margin_scale else None,
    }


def evaluate(model: RewardModel, groups: Sequence[Group], cfg: Config, pad: int, runtime: Runtime) -> dict[str, Any]:
    """Held-out loss, pair accuracy, per-policy/category accuracy and calibration."""
    ids = [x for g in groups for x in (g.ids or [])]
    scores = score_ids(model, ids, pad, cfg.eval_batch_size, runtime.device, runtime.autocast).double()
    batch = flatten(groups, MARGIN_SCALE[cfg.margin], pad, torch.device("cpu"))
    margin = batch["margin"].double() if batch["margin"] is not None else None
    loss = kwise_bt_loss(scores, batch["better"], batch["worse"], batch["prompt"], margin, cfg.centring)
    chosen, rejected = scores[batch["better"]], scores[batch["worse"]]
    result: dict[str, Any] = {
        "loss": float(loss),
        "accuracy": pair_accuracy(chosen, rejected),
        "pairs": int(chosen.numel()),
        "prompts": len(groups),
        "ece": expected_calibration_error(chosen, rejected),
        "calibration": calibration_bins(chosen, rejected),
    }
    for field in ("policy", "category"):
        values = [getattr(groups[int(p)], field) for p in batch["prompt"]]
        table = {}
        for value in sorted({v for v in values if v is not None}):
            sel = torch.tensor([v == value for v in values])
            table[value] = {"accuracy": pair_accuracy(chosen[sel], rejected[sel]), "pairs": int(sel.sum())}
        if table:
            result[f"accuracy_by_{field}"] = table
    return result


# --------------------------------------------------------------------------- the command


def prepare(cfg: Config) -> dict[str, Any]:
    """Reads and checks every input; nothing is written yet."""
    groups, layout, skipped = read_groups(cfg.data, cfg.format)
    train, eval_groups = train_and_held_out(groups, cfg, lambda path: read_groups(path, cfg.format)[0])
    tokenizer = load_tokenizer(cfg.model, what="backbone")
    return {"train": train, "eval": eval_groups, "layout": layout, "skipped": skipped, "tokenizer": tokenizer}


def tokenize_groups(groups: Sequence[Group], tokenizer: Any, max_length: int) -> None:
    texts = [conversation_text(tokenizer, g.prompt, r) for g in groups for r in g.responses]
    ids = tokenize(tokenizer, texts, max_length)
    i = 0
    for g in groups:
        g.ids, i = ids[i : i + len(g.responses)], i + len(g.responses)


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    inputs = prepare(cfg)
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done
    train, held_out, tokenizer = inputs["train"], inputs["eval"], inputs["tokenizer"]

    seed_everything(cfg.seed)
    model = RewardModel(load_backbone(cfg.model, master_dtype(rt.dtype), what="backbone", **rt.load_options()), max_length=cfg.max_length)
    max_len = max_positions(model.backbone, cfg.max_length)
    tokenize_groups([*train, *held_out], tokenizer, max_len)
    pad = pad_id(tokenizer)
    train_ids = [x for g in train for x in (g.ids or [])]
    if cfg.disable_dropout:
        turn_off_dropout(model)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    model.to(rt.device)
    model.train()
    rt.compiled(model.backbone)
    fsdp = rt.distributed and cfg.distributed == "fsdp"
    if fsdp:
        shard(model, model.backbone)  # before the optimizer: sharding replaces the parameters
        log(f"reward: FSDP over {rt.world_size} ranks")
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)
    # What checkpoints read and write: the model and optimizer, or under FSDP their gathered full state.
    weights = FullModelState(model) if fsdp else model
    opt_state = FullOptimizerState(model, opt) if fsdp else opt
    batches = EpochBatches([max(len(x) for x in g.ids or [[0]]) for g in train], cfg.batch_size, cfg.seed)
    total = batches.per_epoch * cfg.epochs
    ctx.events.total_steps = total
    margin_scale = MARGIN_SCALE[cfg.margin]
    counts = {
        "format": inputs["layout"],
        "train_prompts": len({g.key for g in train}),
        "eval_prompts": len({g.key for g in held_out}),
        "train_pairs": sum(len(g.pairs) for g in train),
        "eval_pairs": sum(len(g.pairs) for g in held_out),
        "skipped_records": inputs["skipped"],
        "split": held_out_split(cfg),
    }
    state: dict[str, Any] = {"best_loss": None, "best_accuracy": None, "best_step": None, "bad_evals": 0, "stopped_early": False, "last_eval": None}
    saved = resume(ctx, {"model": weights}, {"optimizer": opt_state}, state, total)
    step = int(saved["step"]) if saved else 0
    best = BestWeights(ctx.output_dir)
    trainer = model if fsdp else rt.wrap(model)
    # FSDP gathers each block's weights in every forward, so every rank must run as many: one per step.
    tokens_per_forward = 0 if fsdp else cfg.tokens_per_forward

    def whole() -> tuple[dict[str, Any], RewardModel | None]:
        """(the full state dict, the model to export on rank 0); under FSDP a gathered plain copy
        (every rank must call it)."""
        if not fsdp:
            return {}, model
        from transformers import AutoModel

        full = weights.state_dict()
        copy = plain_copy(full, lambda: RewardModel(AutoModel.from_config(model.backbone.config), max_length=cfg.max_length), rt.is_main)
        return full, copy.to(rt.device).eval() if copy is not None else None

    def checkpoint() -> Path | None:
        full, plain = whole()
        models, optimizers = ({"model": Gathered(full)}, {"optimizer": Gathered(opt_state.state_dict())}) if fsdp else ({"model": model}, {"optimizer": opt})
        return save_checkpoint(ctx, step, models, optimizers, {**state, "config": asdict(cfg), "total_steps": total},
                               export=lambda d: export_checkpoint_model(plain, d, tokenizer, step, train_ids, pad, cfg, rt,
                                                                        {"trained_on": cfg.data, "format": inputs["layout"]}))

    def run_eval() -> None:
        if not held_out:
            return
        result = evaluate(model, held_out, cfg, pad, rt)
        improved = best.update(ctx, weights, state, step, {"loss": result["loss"], "accuracy": result["accuracy"]}, best_accuracy=result["accuracy"])
        ctx.events.eval(step, **result, best=improved)
        for name in ("loss", "accuracy", "ece"):
            ctx.events.metric(step, f"eval/{name}", result[name])

    if saved is None:
        log(f"reward: {counts['train_pairs']} train pairs over {len(train)} elements, {counts['eval_pairs']} held-out pairs; {total} steps")
    while step < total and not state["stopped_early"]:
        mine = rt.shard([train[i] for i in batches.at(step)])
        lr = lr_at(step, total, cfg.lr, cfg.warmup_steps)
        set_lr(opt, lr)
        if mine:  # every rank has the same count, so either all step or none does
            batch = flatten(mine, margin_scale, pad, rt.device)
            scores = forward_sorted(trainer, batch["ids"], pad, rt.device, tokens_per_forward, rt.autocast)
            loss = kwise_bt_loss(scores, batch["better"], batch["worse"], batch["prompt"], batch["margin"], cfg.centring)
            optimizer_step(loss, model, opt, cfg.grad_clip)
            accuracy = pair_accuracy(scores[batch["better"]], scores[batch["worse"]])
            loss_value = finite(loss, step)
            step += 1
            ctx.events.metric(step, "train/loss", rt.mean(loss_value))
            ctx.events.metric(step, "train/accuracy", rt.mean(accuracy))
            ctx.events.metric(step, "train/lr", lr)
        else:
            step += 1
        saved_now = evaluate_and_checkpoint(step, total, cfg, state, run_eval, checkpoint)
        stopped = checkpoint_on_stop(ctx, step, total, saved_now, checkpoint)
        if stopped is not None:
            return {**stopped, **counts}

    # Finish: best weights, reward statistics on the training responses, the model folder.
    weights_from = restore_best(weights, best, state, step)
    if held_out and not (weights_from == step and state["last_eval"] == step):
        final = evaluate(model, held_out, cfg, pad, rt)
        ctx.events.eval(step, **final, final=True, weights_from_step=weights_from)
    mean, std = reward_normaliser(score_ids(model, train_ids, pad, cfg.eval_batch_size, rt.device, rt.autocast))
    model.set_normalisation(mean, std)
    summary = {
        "interrupted": False,
        "steps": step,
        "total_steps": total,
        "stopped_early": state["stopped_early"],
        "best_step": state["best_step"],
        "best_eval_loss": state["best_loss"],
        "best_eval_accuracy": state["best_accuracy"],
        "reward_mean": mean,
        "reward_std": std,
        "model": str(ctx.output_dir / "model"),
        "distributed": cfg.distributed if rt.distributed else None,
        **counts,
    }
    _, plain = whole()
    write_final_model(ctx, summary, lambda tmp: plain.save(tmp, tokenizer, extra={"trained_on": cfg.data, "format": inputs["layout"], "normalised": True}))
    return summary
