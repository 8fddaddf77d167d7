"""Supervised fine-tuning of a causal LM on an `sft` snapshot of demonstrations.

Each record is `{"messages": [...]}` ending with the assistant's demonstration. The conversation is
rendered with the model's chat template and only the assistant turns carry loss (their content and
the end-of-turn token; system and user turns and the template's headers are masked with -100).
Batches are built by length. The held-out loss (`eval_data`, or `eval_fraction` of the records) is
reported as `eval` events before training, every `eval_every` steps and at the end. Checkpoints
hold the weights to resume from (with LoRA only the adapters) and the step's policy as a plain
Hugging Face folder (LoRA merged, tokenizer included) in `model/`; the final policy is written the
same way to OUTPUT_DIR/model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from ..base_config import PolicyConfig
from ..batching import EpochBatches, collate
from ..context import RunContext
from ..data import Message, read_sft, render
from ..errors import TrainerError
from ..loop import (
    checkpoint_on_stop,
    finished_summary,
    finite,
    log,
    lr_at,
    make_optimizer,
    master_dtype,
    resume,
    save_checkpoint,
    set_lr,
    write_final_model,
)
from ..options import opt
from ..policy import (
    TrainableState,
    export_policy,
    is_lora,
    load_policy,
    load_policy_tokenizer,
    position_ids_from,
    uses_template,
)
from ..reward_model import check_model_folder
from ..runtime import Runtime, seed_everything, unwrap

IGNORE = -100


@dataclass(kw_only=True)
class Config(PolicyConfig):
    data: str = opt(role="input")  # sft snapshot (JSON lines of {"messages": [...]})
    model: str = opt(role="input")  # local causal LM folder (config, weights, tokenizer)
    eval_fraction: float = 0.05  # share of records held out (seeded); 0 = no eval
    batch_size: int = 8  # conversations per optimizer step (global, over all ranks)
    lr: float = 2e-5
    max_length: int = 1024  # tokens per conversation; longer ones are cut at the end


# --------------------------------------------------------------------------- labels


def assistant_spans(tokenizer: Any, messages: list[Message]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans that carry loss (the assistant turns).

    A turn's span runs from the end of the rendered prefix with the generation prompt to the end
    of the rendered conversation up to that turn, so it holds the content and the template's
    end-of-turn token. Templates whose renderings are not prefixes of each other fall back to
    finding the content in the text.
    """
    full = render(tokenizer, messages)
    templated = uses_template(tokenizer)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        span = None
        try:
            before = render(tokenizer, messages[:i], add_generation_prompt=True) if i else ""
            upto = render(tokenizer, messages[: i + 1])
        except Exception:  # noqa: BLE001 - some templates refuse partial conversations
            before = upto = None
        if before is not None and upto is not None and full.startswith(upto) and upto.startswith(before) and len(before) >= cursor:
            span = (len(before), len(upto))
            if not templated:
                span = (len(before), len(before) + len(upto[len(before):].rstrip()))
        else:
            pos = full.find(m["content"], cursor)
            if pos < 0:
                raise TrainerError("cannot find an assistant turn in the rendered conversation (unusual chat template)")
            end = pos + len(m["content"])
            eos = tokenizer.eos_token
            rest = full[end:]
            if eos and rest.lstrip().startswith(eos):
                end += len(rest) - len(rest.lstrip()) + len(eos)
            span = (pos, end)
        spans.append(span)
        cursor = span[1]
    if not templated and tokenizer.eos_token and spans and spans[-1][1] >= len(full.rstrip()):
        # Without a template nothing marks the end of the answer: teach the EOS after the last turn.
        full = full.rstrip() + tokenizer.eos_token
        spans[-1] = (spans[-1][0], len(full))
    return full, spans


def encode(tokenizer: Any, messages: list[Message], max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels): labels are the ids on assistant tokens and -100 elsewhere."""
    text, spans = assistant_spans(tokenizer, messages)
    add_special = not uses_template(tokenizer)
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True, truncation=True, max_length=max_length)
        ids = list(enc["input_ids"])
        labels = []
        for tok_id, (s, e) in zip(ids, enc["offset_mapping"]):
            inside = e > s and any(a <= s < b for a, b in spans)
            labels.append(tok_id if inside else IGNORE)
        return ids, labels
    # Slow tokenizers have no offsets: tokenize the pieces between span boundaries.
    ids, labels = [], []
    cuts = sorted({0, len(text), *[x for sp in spans for x in sp]})
    for a, b in zip(cuts, cuts[1:]):
        piece = tokenizer(text[a:b], add_special_tokens=False)["input_ids"]
        inside = any(s <= a < e for s, e in spans)
        ids += piece
        labels += piece if inside else [IGNORE] * len(piece)
    return ids[:max_length], labels[:max_length]


# --------------------------------------------------------------------------- data


@dataclass
class Example:
    ids: list[int]
    labels: list[int]


def encode_all(tokenizer: Any, records: Sequence[Any], max_length: int) -> tuple[list[Example], int]:
    """(examples, dropped): records whose assistant turns were all cut by max_length are dropped."""
    out, dropped = [], 0
    for r in records:
        ids, labels = encode(tokenizer, r.messages, max_length)
        if all(x == IGNORE for x in labels):
            dropped += 1
            continue
        out.append(Example(ids, labels))
    return out, dropped


def make_batch(examples: Sequence[Example], pad: int, device: torch.device) -> dict[str, torch.Tensor]:
    b = collate([e.ids for e in examples], pad, padding_side="right")
    labels = collate([e.labels for e in examples], IGNORE, padding_side="right")["input_ids"]
    return {"input_ids": b["input_ids"].to(device), "attention_mask": b["attention_mask"].to(device), "labels": labels.to(device)}


def token_losses(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """(sum of the next-token losses over labelled tokens, float32; number of labelled tokens)."""
    out = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=position_ids_from(batch["attention_mask"]),
        use_cache=False,
    )
    logits = out.logits[:, :-1].float()
    targets = batch["labels"][:, 1:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE, reduction="sum")
    return loss, int((targets != IGNORE).sum())


@torch.no_grad()
def evaluate(model: torch.nn.Module, examples: Sequence[Example], pad: int, rt: Runtime, batch_size: int) -> dict[str, Any]:
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    try:
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].ids))
        for start in range(0, len(order), batch_size):
            batch = make_batch([examples[i] for i in order[start : start + batch_size]], pad, rt.device)
            with rt.autocast():
                loss, n = token_losses(model, batch)
            total += float(loss)
            tokens += n
    finally:
        model.train(was_training)
    mean = total / max(tokens, 1)
    return {"loss": mean, "perplexity": math.exp(min(mean, 50.0)), "tokens": tokens, "examples": len(examples)}


def split(records: list[Any], fraction: float, seed: int) -> tuple[list[Any], list[Any]]:
    if fraction <= 0 or len(records) < 2:
        return records, []
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n = min(len(records) - 1, max(1, round(fraction * len(records))))
    held = set(order[:n])
    return [r for i, r in enumerate(records) if i not in held], [r for i, r in enumerate(records) if i in held]


# --------------------------------------------------------------------------- the command


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    # Every input is read and checked before anything is written.
    records = read_sft(cfg.data)
    if cfg.eval_data:
        train_records, eval_records = records, read_sft(cfg.eval_data)
    else:
        train_records, eval_records = split(records, cfg.eval_fraction, cfg.seed)
    check_model_folder(cfg.model, "model")
    tokenizer = load_policy_tokenizer(cfg.model, "model")
    train, dropped = encode_all(tokenizer, train_records, cfg.max_length)
    held_out, dropped_eval = encode_all(tokenizer, eval_records, cfg.max_length)
    if not train:
        raise TrainerError(f"{cfg.data}: no demonstration keeps an assistant token within max_length={cfg.max_length}")
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done

    seed_everything(cfg.seed)
    model, tokenizer = load_policy(cfg.model, master_dtype(rt.dtype), cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout, cfg.gradient_checkpointing,
                                   **rt.load_options())
    model.to(rt.device)
    model.train()
    rt.compiled(model)
    opt = make_optimizer(model, cfg.lr, cfg.weight_decay)
    pad = int(tokenizer.pad_token_id)
    batches = EpochBatches([len(e.ids) for e in train], cfg.batch_size, cfg.seed)
    total = cfg.max_steps if cfg.max_steps > 0 else batches.per_epoch * cfg.epochs
    ctx.events.total_steps = total
    counts = {"train_examples": len(train), "eval_examples": len(held_out), "dropped_examples": dropped + dropped_eval,
              "train_tokens": sum(sum(x != IGNORE for x in e.labels) for e in train)}
    weights = TrainableState(model, only_trainable=is_lora(model))
    state: dict[str, Any] = {"last_eval": None, "eval_loss": None, "first_eval_loss": None}
    saved = resume(ctx, {"policy": weights}, {"optimizer": opt}, state, total)
    step = int(saved["step"]) if saved else 0
    trainer = rt.wrap(model)
    last_saved = step if saved else None

    def checkpoint() -> Path | None:
        nonlocal last_saved
        path = save_checkpoint(ctx, step, {"policy": weights}, {"optimizer": opt}, {**state, "config": asdict(cfg), "total_steps": total},
                               export=lambda d: export_policy(model, tokenizer, d))
        last_saved = step
        return path

    def run_eval() -> None:
        if not held_out or state["last_eval"] == step:
            return
        result = evaluate(unwrap(trainer), held_out, pad, rt, cfg.eval_batch_size)
        state.update(last_eval=step, eval_loss=result["loss"])
        if state["first_eval_loss"] is None:
            state["first_eval_loss"] = result["loss"]
        ctx.events.eval(step, **result)
        ctx.events.metric(step, "eval/loss", result["loss"])

    def train_step(mine: list[Example], lr: float) -> None:
        batch = make_batch(mine, pad, rt.device)
        with rt.autocast():
            loss_sum, n = token_losses(trainer, batch)
        loss = loss_sum / max(n, 1)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else float("inf"))
        opt.step()
        opt.zero_grad(set_to_none=True)
        value = finite(loss, step)
        ctx.events.metric(step + 1, "train/loss", rt.mean(value))
        ctx.events.metric(step + 1, "train/lr", lr)
        if math.isfinite(float(grad_norm)):
            ctx.events.metric(step + 1, "train/grad_norm", rt.mean(float(grad_norm)))
        ctx.events.metric(step + 1, "train/tokens", rt.mean(float(n)))

    log(f"sft: {len(train)} train / {len(held_out)} held-out conversations, {total} steps")
    if step == 0:
        run_eval()
    while step < total:
        mine = rt.shard([train[i] for i in batches.at(step)])
        lr = lr_at(step, total, cfg.lr, cfg.warmup_steps)
        set_lr(opt, lr)
        if mine:  # empty only for a last batch smaller than the number of ranks: every rank skips it
            train_step(mine, lr)
        step += 1
        if step % cfg.eval_every == 0 or step == total:
            run_eval()
        if step % cfg.checkpoint_every == 0 or step == total:
            checkpoint()
        stopped = checkpoint_on_stop(ctx, step, total, last_saved == step, checkpoint) if step < total else None
        if stopped is not None:
            return {**stopped, **counts}

    summary = {
        "interrupted": False,
        "steps": step,
        "total_steps": total,
        "first_eval_loss": state["first_eval_loss"],
        "final_eval_loss": state["eval_loss"],
        "model": str(ctx.output_dir / "model"),
        **counts,
    }
    write_final_model(ctx, summary, lambda tmp: export_policy(unwrap(trainer), tokenizer, tmp))
    return summary
