"""What the training commands' loops share: the learning-rate schedule and optimizer, resuming,
checkpoints, the best weights, the stop request and the final model folder.

Each command keeps its own loop, reading top to bottom; these are the steps that were the same in
every one of them.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import load_weights, save_weights, write_atomically
from .context import RunContext
from .errors import TrainerError
from .runtime import adamw

# Written into OUTPUT_DIR/model with the final model: its presence means the run is complete.
SUMMARY_FILE = "training_summary.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- optimization


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to `peak`, then cosine decay to 10% of it at `total`."""
    if warmup > 0 and step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters (fused on a GPU, foreach on the CPU: `runtime.adamw`);
    no weight decay on biases and norms."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return adamw([g for g in groups if g["params"]], lr, (decay or no_decay)[0].device)


def master_dtype(runtime_dtype: torch.dtype) -> torch.dtype:
    """fp32 master weights for training; bf16 comes from autocast (`Runtime.autocast`)."""
    return torch.float64 if runtime_dtype == torch.float64 else torch.float32


def optimizer_step(loss: torch.Tensor, model: nn.Module, opt: torch.optim.Optimizer, grad_clip: float) -> None:
    """Backward, gradient clipping (0 = none), step."""
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    opt.zero_grad(set_to_none=True)


def finite(loss: torch.Tensor, step: int) -> float:
    """The loss of step `step` (counted from 0) as a number; an error when it diverged."""
    value = float(loss.detach())
    if not math.isfinite(value):
        raise TrainerError(f"the loss diverged (not finite) at step {step + 1}; lower lr")
    return value


# --------------------------------------------------------------------------- resuming and checkpoints


def finished_summary(output_dir: Path) -> dict[str, Any] | None:
    """The summary of a run whose final model is already written (re-running it does nothing)."""
    f = output_dir / "model" / SUMMARY_FILE
    if not f.is_file():
        return None
    log(f"{output_dir / 'model'} is complete; nothing to do")
    return json.loads(f.read_text())


def resume(ctx: RunContext, models: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], state: dict[str, Any],
           total: int) -> dict[str, Any] | None:
    """Loads the latest checkpoint, if any, into the models, optimizers and RNGs, and into the keys
    `state` already has; returns its state.json (with the step), or None for a fresh run."""
    latest = ctx.checkpoints.latest()
    if latest is None:
        return None
    saved = ctx.checkpoints.load(latest, models, optimizers)
    state.update({k: saved[k] for k in state if k in saved})
    log(f"resuming from {latest} (step {int(saved['step'])} of {total})")
    return saved


def save_checkpoint(ctx: RunContext, step: int, models: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                    state: dict[str, Any], export: Callable[[Path], object]) -> Path | None:
    """Rank 0 writes checkpoints/step-N and announces it; every rank waits for it. The path on rank 0."""
    path = None
    if ctx.runtime.is_main:
        path = ctx.checkpoints.save(step, models, optimizers, state, export=export)
        ctx.events.checkpoint(step, str(path))
    ctx.runtime.barrier()
    return path


def checkpoint_on_stop(ctx: RunContext, step: int, total: int, saved_now: bool, checkpoint: Callable[[], Path | None]) -> dict[str, Any] | None:
    """After SIGTERM on any rank: the summary of an interrupted run, with a checkpoint of this step
    (`saved_now`: the loop has just written it)."""
    if not ctx.runtime.any(ctx.stop.requested):
        return None
    path = ctx.checkpoints.latest() if saved_now else checkpoint()
    return {"interrupted": True, "steps": step, "total_steps": total, "checkpoint": str(path) if path else None}


def write_final_model(ctx: RunContext, summary: dict[str, Any], save: Callable[[Path], object]) -> None:
    """OUTPUT_DIR/model, written by rank 0 at once: `save(folder)` and the run's summary."""
    if ctx.runtime.is_main:
        def fill(tmp: Path) -> None:
            save(tmp)
            (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))

        write_atomically(ctx.output_dir / "model", fill)
    ctx.runtime.barrier()


# --------------------------------------------------------------------------- early stopping on held-out loss


class BestWeights:
    """The best weights so far, kept under OUTPUT_DIR/best (atomically) so a resumed run has them."""

    def __init__(self, output_dir: Path) -> None:
        self.dir = output_dir / "best"

    def save(self, weights: dict[str, torch.Tensor], step: int, metrics: dict[str, Any]) -> None:
        def fill(tmp: Path) -> None:
            save_weights(weights, tmp / "model.safetensors")
            (tmp / "meta.json").write_text(json.dumps({"step": step, **metrics}))

        write_atomically(self.dir, fill)

    def update(self, ctx: RunContext, model: nn.Module, state: dict[str, Any], step: int, metrics: dict[str, Any], **best: Any) -> bool:
        """Counts an evaluation toward early stopping. When its held-out loss (`metrics["loss"]`) is
        the best so far, keeps the weights (with `metrics`) and puts `best` into `state`. Whether it was."""
        improved = state["best_loss"] is None or metrics["loss"] < state["best_loss"] - 1e-6
        if improved:
            state.update(best_loss=metrics["loss"], best_step=step, bad_evals=0, **best)
            weights = model.state_dict()  # on every rank: a sharded model gathers its weights here
            if ctx.runtime.is_main:
                self.save(weights, step, metrics)
            ctx.runtime.barrier()
        else:
            state["bad_evals"] += 1
        state["last_eval"] = step
        return improved

    def restore(self, model: nn.Module, step: int | None) -> bool:
        """Loads the weights saved at `step` into `model`; False when they are not on disk."""
        meta = self.dir / "meta.json"
        if step is None or not meta.is_file() or json.loads(meta.read_text()).get("step") != step:
            return False
        model.load_state_dict(load_weights(self.dir / "model.safetensors"))
        return True


def evaluate_and_checkpoint(step: int, total: int, cfg: Any, state: dict[str, Any], run_eval: Callable[[], Any], checkpoint: Callable[[], Any]) -> bool:
    """At each `eval_every` step and the last: evaluate, count toward early stopping, checkpoint.
    Whether it did."""
    if step % cfg.eval_every == 0 or step == total:
        run_eval()
        if cfg.early_stopping_patience and state["bad_evals"] >= cfg.early_stopping_patience:
            state["stopped_early"] = True
            log(f"early stop at step {step}: no held-out improvement in {state['bad_evals']} evaluations")
        checkpoint()
        return True
    return False


def restore_best(model: nn.Module, best: BestWeights, state: dict[str, Any], step: int) -> int:
    """Loads the best weights when they are not the current ones; the step the weights come from."""
    if state["best_step"] is not None and state["best_step"] != step and best.restore(model, state["best_step"]):
        log(f"restored the best weights (step {state['best_step']})")
        return int(state["best_step"])
    return step
