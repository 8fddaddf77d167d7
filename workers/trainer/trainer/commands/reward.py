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

import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..checkpoint import load_weights, save_weights, write_atomically
from ..context import RunContext
from ..data import Message, read_pairs, read_rankings
from ..errors import TrainerError
from ..losses import calibration_bins, expected_calibration_error, kwise_bt_loss, pair_accuracy, reward_normaliser
from ..reward_model import (
    RewardModel,
    conversation_text,
    length_buckets,
    load_backbone,
    load_tokenizer,
    max_positions,
    pad_id,
    score_ids,
    collate,
    forward_sorted,
    tokenize,
)
from ..runtime import Runtime, seed_everything
from ..split import default_split_name, held_out_split, prompt_key, split_by_prompt

MARGIN_SCALE = {"none": None, "small": 1.0, "large": 3.0}
SUMMARY_FILE = "training_summary.json"


@dataclass
class Config:
    data: str  # snapshot file (JSON lines): rankings or pairs
    model: str  # local backbone folder (any Hugging Face encoder or decoder)
    output_dir: str  # where checkpoints/ and the final model/ go
    format: str = "auto"  # auto | rankings | pairs (auto: "responses" in the first record → rankings, "chosen" → pairs)
    eval_data: str | None = None  # held-out snapshot; without it eval_fraction of the prompts is held out
    eval_fraction: float = 0.1  # share of prompts held out (by prompt, see `split`); 0 = no eval
    split: str | None = None  # names the held-out split: the same name holds out the same prompts in every snapshot (default "seed-<seed>")
    epochs: int = 1  # passes over the training prompts
    batch_size: int = 8  # prompts (rankings) or pairs per optimizer step
    lr: float = 1e-5  # peak learning rate (linear warm-up, cosine decay to 10%)
    weight_decay: float = 0.0  # AdamW weight decay (not on biases and norms)
    warmup_steps: int = 0  # steps of linear learning-rate warm-up
    max_length: int = 512  # tokens per conversation; longer ones lose the start of the prompt
    margin: str = "none"  # none | small | large: Llama 2 margin from the preference strength (large = 3×)
    centring: float = 0.0  # weight of the reward-centring term mean((r_c + r_r)^2)
    eval_every: int = 100  # steps between evaluations and checkpoints
    early_stopping_patience: int = 3  # evaluations without held-out loss improvement before stopping; 0 = never
    gradient_checkpointing: bool = False  # trade compute for memory on long conversations
    tokens_per_forward: int = 4096  # padded tokens per forward: a step's sequences are sorted by length and scored in chunks of this size (0 = one forward)
    grad_clip: float = 1.0  # max gradient norm; 0 = no clipping
    disable_dropout: bool = True  # dropout off (as TRL's reward trainer): chosen and rejected see the same network
    eval_batch_size: int = 32  # sequences per forward when scoring
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 autocast on a GPU that has it, else fp32) | fp32 | bf16 | fp64
    seed: int = 0  # seeds the head, the split and the batch order
    keep_checkpoints: int = 2  # checkpoints kept on disk

    def validate(self) -> None:
        validate_common(self)
        if self.format not in ("auto", "rankings", "pairs"):
            raise TrainerError(f"format must be auto, rankings or pairs, not {self.format!r}")
        if self.margin not in MARGIN_SCALE:
            raise TrainerError(f"margin must be none, small or large, not {self.margin!r}")
        if self.centring < 0:
            raise TrainerError("centring must be >= 0")
        if self.tokens_per_forward < 0:
            raise TrainerError("tokens_per_forward must be >= 0 (0 = one forward per step)")


def validate_common(cfg: Any) -> None:
    """Checks shared by the reward and safety configs."""
    positive = {"epochs": cfg.epochs, "batch_size": cfg.batch_size, "eval_every": cfg.eval_every,
                "keep_checkpoints": cfg.keep_checkpoints, "eval_batch_size": cfg.eval_batch_size}
    for key, value in positive.items():
        if value < 1:
            raise TrainerError(f"{key} must be >= 1, got {value}")
    if not cfg.lr > 0 or not math.isfinite(cfg.lr):
        raise TrainerError(f"lr must be a positive number, got {cfg.lr}")
    for key in ("weight_decay", "warmup_steps", "early_stopping_patience", "grad_clip"):
        if getattr(cfg, key) < 0:
            raise TrainerError(f"{key} must be >= 0, got {getattr(cfg, key)}")
    if not 0 <= cfg.eval_fraction < 1:
        raise TrainerError(f"eval_fraction must be in [0, 1), got {cfg.eval_fraction}")
    if cfg.max_length < 8:
        raise TrainerError(f"max_length must be >= 8, got {cfg.max_length}")
    if cfg.precision not in ("auto", "fp32", "bf16", "fp64"):
        raise TrainerError(f"precision must be auto, fp32, bf16 or fp64, not {cfg.precision!r}")


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


def detect_format(path: str, fmt: str = "auto") -> str:
    """`rankings` or `pairs`: as configured, else from the first record's keys."""
    if fmt != "auto":
        return fmt
    p = Path(path)
    if not p.is_file():
        raise TrainerError(f"snapshot file {p} does not exist")
    with p.open(encoding="utf-8") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                first = json.loads(raw)
            except json.JSONDecodeError:
                return "pairs"  # the reader names the bad line
            if isinstance(first, dict) and "responses" in first:
                return "rankings"
            if isinstance(first, dict) and "chosen" in first:
                return "pairs"
            raise TrainerError(f"{p}:1: cannot tell the layout: a rankings record has 'responses', a pairs record 'chosen'; set --format")
    raise TrainerError(f"snapshot file {p} has no records")


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


# --------------------------------------------------------------------------- training helpers


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to `peak`, then cosine decay to 10% of it at `total`."""
    if warmup > 0 and step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


def turn_off_dropout(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    config = getattr(getattr(model, "backbone", None), "config", None)
    for name in ("attention_dropout", "attention_probs_dropout_prob", "hidden_dropout_prob", "dropout"):
        if config is not None and isinstance(getattr(config, name, None), float):
            setattr(config, name, 0.0)


def param_dtype(runtime: Runtime) -> torch.dtype:
    # fp32 master weights; bf16 comes from autocast on the GPU.
    return torch.float64 if runtime.dtype == torch.float64 else torch.float32


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BestWeights:
    """The best weights so far, kept under OUTPUT_DIR/best (atomically) so a resumed run has them."""

    def __init__(self, output_dir: Path) -> None:
        self.dir = output_dir / "best"

    def save(self, model: nn.Module, step: int, metrics: dict[str, Any]) -> None:
        def fill(tmp: Path) -> None:
            save_weights(model.state_dict(), tmp / "model.safetensors")
            (tmp / "meta.json").write_text(json.dumps({"step": step, **metrics}))

        write_atomically(self.dir, fill)

    def restore(self, model: nn.Module, step: int | None) -> bool:
        """Loads the weights saved at `step` into `model`; False when they are not on disk."""
        meta = self.dir / "meta.json"
        if step is None or not meta.is_file() or json.loads(meta.read_text()).get("step") != step:
            return False
        model.load_state_dict(load_weights(self.dir / "model.safetensors"))
        return True


def evaluate_and_checkpoint(step: int, total: int, cfg: Any, state: dict[str, Any], run_eval: Callable[[], Any], checkpoint: Callable[[], Any]) -> None:
    """At each `eval_every` step and the last: evaluate, count toward early stopping, checkpoint."""
    if step % cfg.eval_every == 0 or step == total:
        run_eval()
        if cfg.early_stopping_patience and state["bad_evals"] >= cfg.early_stopping_patience:
            state["stopped_early"] = True
            log(f"early stop at step {step}: no held-out improvement in {state['bad_evals']} evaluations")
        checkpoint()


def checkpoint_on_stop(step: int, total: int, cfg: Any, ctx: RunContext, checkpoint: Callable[[], Path | None]) -> dict[str, Any] | None:
    """After SIGTERM on any rank: the summary of an interrupted run, with a checkpoint of this step."""
    if not ctx.runtime.any(ctx.stop.requested):
        return None
    saved_now = step % cfg.eval_every == 0 or step == total
    path = ctx.checkpoints.latest() if saved_now else checkpoint()
    return {"interrupted": True, "steps": step, "total_steps": total, "checkpoint": str(path) if path else None}


def restore_best(model: nn.Module, best: "BestWeights", state: dict[str, Any], step: int) -> int:
    """Loads the best weights when they are not the current ones; the step the weights come from."""
    if state["best_step"] is not None and state["best_step"] != step and best.restore(model, state["best_step"]):
        log(f"restored the best weights (step {state['best_step']})")
        return int(state["best_step"])
    return step


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


def finished_summary(output_dir: Path) -> dict[str, Any] | None:
    f = output_dir / "model" / SUMMARY_FILE
    return json.loads(f.read_text()) if f.is_file() else None


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
    if cfg.eval_data:
        eval_groups, _, _ = read_groups(cfg.eval_data, "auto" if cfg.format == "auto" else cfg.format)
        train = groups
    else:
        train, eval_groups = split_by_prompt(groups, lambda g: g.key, cfg.eval_fraction, cfg.split or default_split_name(cfg.seed))
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
        log(f"{ctx.output_dir / 'model'} is complete; nothing to do")
        return done
    train, held_out, tokenizer = inputs["train"], inputs["eval"], inputs["tokenizer"]

    seed_everything(cfg.seed)
    model = RewardModel(load_backbone(cfg.model, param_dtype(rt), what="backbone"), max_length=cfg.max_length)
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
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
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
    step = 0
    latest = ctx.checkpoints.latest()
    if latest is not None:
        saved = ctx.checkpoints.load(latest, {"model": model}, {"optimizer": opt})
        step = int(saved["step"])
        state.update({k: saved[k] for k in state if k in saved})
        log(f"resuming from {latest} (step {step} of {total})")
    best = BestWeights(ctx.output_dir)
    trainer = rt.wrap(model)

    def checkpoint() -> Path | None:
        path = None
        if rt.is_main:
            path = ctx.checkpoints.save(step, {"model": model}, {"optimizer": opt}, {**state, "config": asdict(cfg), "total_steps": total},
                                        export=lambda d: export_checkpoint_model(model, d, tokenizer, step, train_ids, pad, cfg, rt,
                                                                                 {"trained_on": cfg.data, "format": inputs["layout"]}))
            ctx.events.checkpoint(step, str(path))
        rt.barrier()
        return path

    def run_eval() -> dict[str, Any] | None:
        if not held_out:
            return None
        result = evaluate(model, held_out, cfg, pad, rt)
        improved = state["best_loss"] is None or result["loss"] < state["best_loss"] - 1e-6
        if improved:
            state.update(best_loss=result["loss"], best_accuracy=result["accuracy"], best_step=step, bad_evals=0)
            if rt.is_main:
                best.save(model, step, {"loss": result["loss"], "accuracy": result["accuracy"]})
            rt.barrier()
        else:
            state["bad_evals"] += 1
        state["last_eval"] = step
        ctx.events.eval(step, **result, best=improved)
        for name in ("loss", "accuracy", "ece"):
            ctx.events.metric(step, f"eval/{name}", result[name])
        return result

    if step == 0 and latest is None:
        log(f"reward: {counts['train_pairs']} train pairs over {len(train)} elements, {counts['eval_pairs']} held-out pairs; {total} steps")
    lengths = [max(len(x) for x in g.ids or [[0]]) for g in train]
    plans: dict[int, list[list[int]]] = {}
    while step < total and not state["stopped_early"]:
        # The batch order of an epoch depends on (seed, epoch) only, so a resumed run can skip
        # exactly the batches it already trained on.
        epoch, index = divmod(step, steps_per_epoch)
        if epoch not in plans:
            plans = {epoch: length_buckets(lengths, cfg.batch_size, np.random.default_rng([cfg.seed, epoch]))}
        mine = rt.shard([train[i] for i in plans[epoch][index]])
        lr = lr_at(step, total, cfg.lr, cfg.warmup_steps)
        set_lr(opt, lr)
        if mine:  # every rank has the same count, so either all step or none does
            batch = flatten(mine, margin_scale, pad, rt.device)
            scores = forward_sorted(trainer, batch["ids"], pad, rt.device, cfg.tokens_per_forward, rt.autocast)
            loss = kwise_bt_loss(scores, batch["better"], batch["worse"], batch["prompt"], batch["margin"], cfg.centring)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            accuracy = pair_accuracy(scores[batch["better"]], scores[batch["worse"]])
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise TrainerError(f"the loss diverged (not finite) at step {step + 1}; lower lr")
            step += 1
            ctx.events.metric(step, "train/loss", rt.mean(loss_value))
            ctx.events.metric(step, "train/accuracy", rt.mean(accuracy))
            ctx.events.metric(step, "train/lr", lr)
        else:
            step += 1
        evaluate_and_checkpoint(step, total, cfg, state, run_eval, checkpoint)
        stopped = checkpoint_on_stop(step, total, cfg, ctx, checkpoint)
        if stopped is not None:
            return {**stopped, **counts}

    # Finish: best weights, reward statistics on the training responses, the model folder.
    weights_from = restore_best(model, best, state, step)
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
        **counts,
    }
    if rt.is_main:
        def fill(tmp: Path) -> None:
            model.save(tmp, tokenizer, extra={"trained_on": cfg.data, "format": inputs["layout"], "normalised": True})
            (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))

        write_atomically(ctx.output_dir / "model", fill)
    rt.barrier()
    return summary
