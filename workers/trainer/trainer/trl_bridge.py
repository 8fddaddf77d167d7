"""TRL's trainers inside our protocol: their logs, evaluations and checkpoints become our events and
our checkpoint layout, the stop flag ends them with a checkpoint, and re-running resumes them.

A command on it (dpo, kto) reads and checks its data, then: `policy_tokenizer`, `begin` (the
models, the checkpoint to resume from), its TRL trainer with an EventsCallback, and `train`, which
runs it and writes the final policy with the run's summary.

TRL writes its `checkpoint-N` folders into OUTPUT_DIR/.trl. Each one, once written, gets the step's
policy exported into `model/` (a plain Hugging Face folder: LoRA merged, tokenizer included) and
our `state.json`, and is renamed to OUTPUT_DIR/checkpoints/step-N (Checkpoints.adopt), so a step
folder is complete whenever it exists, only `keep_checkpoints` are kept, and the worker registers
`<path>/model` as it does for every other command. Resuming hands the latest step-N to
`trainer.train(resume_from_checkpoint=...)`: TRL reads back its own files there (weights or
adapters, optimizer, scheduler, RNG, trainer state) and skips the batches it has trained on.

Metric names: TRL's log keys with `train/` in front (`loss` → `train/loss`, `rewards/accuracies` →
`train/rewards/accuracies`, `learning_rate` → `train/lr`) and its `eval_` keys as `eval/…`; values
that are not finite numbers are left out. Each evaluation is also an `eval` event.

Held-out metrics count every example alike (WholeEvalSet): TRL averages the evaluation batches'
means, which would let a last, smaller batch count as much as a full one.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
from transformers import PrinterCallback, TrainerCallback

from .context import RunContext
from .data import Message, render
from .errors import TrainerError
from .loop import checkpoint_on_stop, log, master_dtype, write_final_model
from .policy import export_policy, load_causal_lm, load_policy_tokenizer, uses_template
from .runtime import seed_everything

# Where TRL writes a checkpoint before it becomes checkpoints/step-N.
STAGING_DIR = ".trl"
# The record TRL logs once training ends: run totals, not a step's metrics.
_END_OF_TRAINING = "train_runtime"
_RENAMED = {"learning_rate": "lr"}


def metric_name(key: str) -> str:
    """Our name for one of TRL's log keys."""
    if key.startswith("eval_"):
        return "eval/" + _RENAMED.get(key[5:], key[5:])
    return "train/" + _RENAMED.get(key, key)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, torch.Tensor)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def eval_results(metrics: dict[str, Any], aliases: dict[str, str]) -> dict[str, float]:
    """An evaluation's finite numbers without the `eval_` prefix, plus `aliases` (our name → TRL's)."""
    results = {k[5:]: v for k, v in ((k, _number(v)) for k, v in metrics.items() if k.startswith("eval_")) if v is not None}
    return {**{ours: results[theirs] for ours, theirs in aliases.items() if theirs in results}, **results}


def training_arguments(cfg: Any, ctx: RunContext, has_eval: bool, max_steps: int, epochs: int = 1) -> dict[str, Any]:
    """The TrainingArguments every TRL command shares, from our config and runtime: offline, no
    progress bars or trackers, our schedule (linear warm-up, cosine decay to 10%) over `max_steps`
    steps (0: `epochs` passes over the data), a log every step, evaluations every `eval_every` and
    checkpoints every `checkpoint_every` steps."""
    rt = ctx.runtime
    return {
        "output_dir": str(ctx.output_dir / STAGING_DIR),
        "report_to": "none",
        "disable_tqdm": True,
        "push_to_hub": False,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "use_cpu": rt.device.type == "cpu",
        "bf16": rt.dtype == torch.bfloat16,
        "fp16": False,
        "per_device_train_batch_size": max(1, cfg.batch_size // rt.world_size),
        "per_device_eval_batch_size": cfg.eval_batch_size,
        "gradient_accumulation_steps": 1,
        "learning_rate": cfg.lr,
        "weight_decay": cfg.weight_decay,
        "warmup_steps": cfg.warmup_steps,
        "lr_scheduler_type": "cosine_with_min_lr",
        "lr_scheduler_kwargs": {"min_lr_rate": 0.1},
        "max_grad_norm": cfg.grad_clip,
        "num_train_epochs": epochs,
        "max_steps": max_steps if max_steps > 0 else -1,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "torch_compile": cfg.compile,
        "logging_strategy": "steps",
        "logging_steps": 1,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": cfg.eval_every,
        "save_strategy": "steps",
        "save_steps": cfg.checkpoint_every,
        "save_total_limit": None,  # Checkpoints.adopt prunes to keep_checkpoints
        "dataloader_num_workers": 0,
    }


class WholeEvalSet:
    """Mixin for a TRL trainer (before it in the bases): each evaluation batch's means count by
    the batch's size (`eval_batch_size(inputs)`: examples by default), so a held-out metric is the
    mean over the whole held-out set. TRL averages the batches' means instead, and a last batch of
    one example of 65 would count as a fifth of the result."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._eval_batch_sizes: list[int] = []
        super().__init__(*args, **kwargs)

    def eval_batch_size(self, inputs: dict[str, Any]) -> int:
        return int(inputs["input_ids"].shape[0])

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None) -> Any:
        if not self.model.training:
            self._eval_batch_sizes.append(self.eval_batch_size(inputs))
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        sizes, self._eval_batch_sizes = self._eval_batch_sizes, []
        if not self.model.training and sizes:
            # A metric TRL records once per batch; others (a count, a metric set once) are left alone.
            for values in self._metrics["eval"].values():
                if len(values) == len(sizes):
                    values[:] = [sum(v * n for v, n in zip(values, sizes)) / sum(sizes)]
        super().log(logs, start_time)


class EventsCallback(TrainerCallback):
    """TRL's logs, evaluations and checkpoints as our events and step folders; the stop flag as a
    last checkpoint and the end of training. `state` (first and last evaluation, and what the
    command adds) goes into each checkpoint's state.json and comes back on resume."""

    def __init__(self, ctx: RunContext, state: dict[str, Any], eval_aliases: dict[str, str] | None = None,
                 eval_counts: dict[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.state = {"first_eval": None, "last_eval": None, **{k: v for k, v in state.items() if k not in ("step", "total_steps")}}
        self.eval_aliases = eval_aliases or {}
        self.eval_counts = eval_counts or {}
        self.stopped = False
        self.last_train: dict[str, float] = {}  # the last training log, by our names without `train/`

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.ctx.events.total_steps = state.max_steps

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not logs or _END_OF_TRAINING in logs:
            return
        # An evaluation's log also holds the epoch, which the training logs report already.
        evaluation = any(k.startswith("eval_") for k in logs)
        for key, value in logs.items():
            number = _number(value)
            if number is not None and (key.startswith("eval_") or not evaluation):
                self.ctx.events.metric(state.global_step, metric_name(key), number)
        if not evaluation:
            self.last_train = {metric_name(k)[6:]: v for k, v in ((k, _number(v)) for k, v in logs.items()) if v is not None}

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, Any] | None = None, **kwargs: Any) -> None:
        results = {**eval_results(metrics or {}, self.eval_aliases), **self.eval_counts}
        if self.state["first_eval"] is None:
            self.state["first_eval"] = {"step": state.global_step, **results}
        self.state["last_eval"] = {"step": state.global_step, **results}
        self.ctx.events.eval(state.global_step, **results)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # Every rank asks, so all of them stop at the same step.
        if state.global_step < state.max_steps and self.ctx.runtime.any(self.ctx.stop.requested):
            control.should_save = True
            control.should_training_stop = True
            self.stopped = True

    def on_save(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None, **kwargs: Any) -> None:
        step = state.global_step
        if state.is_world_process_zero:
            source = Path(args.output_dir) / f"checkpoint-{step}"
            path = self.ctx.checkpoints.adopt(step, source, {**self.state, "total_steps": state.max_steps},
                                              export=lambda d: export_policy(model, processing_class, d))
            self.ctx.events.checkpoint(step, str(path))
        self.ctx.runtime.barrier()


def policy_tokenizer(cfg: Any, command: str) -> Any:
    """The tokenizer of `cfg.model`, which `cfg.ref_model` (when set) must share: the command scores
    a response on the same tokens under both."""
    tokenizer = load_policy_tokenizer(cfg.model, "model")
    if cfg.ref_model and load_policy_tokenizer(cfg.ref_model, "reference model").get_vocab() != tokenizer.get_vocab():
        raise TrainerError(f"the reference model {cfg.ref_model} has another tokenizer than {cfg.model}; {command} scores both on the same tokens")
    return tokenizer


def begin(cfg: Any, ctx: RunContext) -> tuple[Any, Any, Path | None, dict[str, Any]]:
    """What a run needs before its TRL trainer, once its inputs are checked: (policy, reference or
    None, the checkpoint to resume from or None, its state.json), with the libraries quietened and
    everything seeded. The models are in the run's master dtype; without a reference TRL takes the
    initial policy (with LoRA: the policy with its adapters off)."""
    latest, saved = start(ctx, cfg.seed)
    dtype = master_dtype(ctx.runtime.dtype)
    load = ctx.runtime.load_options()
    model = load_causal_lm(cfg.model, dtype, **load)
    return model, load_causal_lm(cfg.ref_model, dtype, "reference model", **load) if cfg.ref_model else None, latest, saved


def start(ctx: RunContext, seed: int) -> tuple[Path | None, dict[str, Any]]:
    """Before the trainer is built: libraries quiet, everything seeded; the latest checkpoint and
    its state.json (None and empty for a fresh run)."""
    quiet()
    latest, saved = saved_state(ctx)
    seed_everything(seed)
    return latest, saved


def trl_row(tokenizer: Any, prompt: list[Message], **responses: str) -> dict[str, Any]:
    """A row of a TRL dataset: conversational with a chat template, else the rendered prompt and
    each response as text (TRL then adds the EOS)."""
    if uses_template(tokenizer):
        return {"prompt": prompt, **{k: [{"role": "assistant", "content": v}] for k, v in responses.items()}}
    return {"prompt": render(tokenizer, prompt, add_generation_prompt=True), **{k: " " + v for k, v in responses.items()}}


def saved_state(ctx: RunContext) -> tuple[Path | None, dict[str, Any]]:
    """The latest checkpoint and its state.json (empty for a fresh run)."""
    latest = ctx.checkpoints.latest()
    if latest is None or not (latest / "state.json").is_file():
        return None, {}
    return latest, json.loads((latest / "state.json").read_text())


def quiet() -> None:
    """No progress bars on stderr, which the worker keeps as the job's log, nor the deprecation
    notices transformers gives TRL's own arguments at every run (nothing a user can act on)."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=r".*`(is_)?gradient_checkpointing` is deprecated", category=FutureWarning)


def run_trainer(trainer: Any, ctx: RunContext, callback: EventsCallback, latest: Path | None) -> dict[str, Any] | None:
    """Runs `trainer` to the end, or to the stop flag: evaluates first on a fresh run, resumes
    from `latest` otherwise. The summary of an interrupted run, or None when training finished."""
    # TRL's PrinterCallback prints every log to stdout, which belongs to the events.
    trainer.remove_callback(PrinterCallback)
    if ctx.runtime.is_main:
        shutil.rmtree(ctx.output_dir / STAGING_DIR, ignore_errors=True)  # checkpoints a killed run left half-written
    ctx.runtime.barrier()
    args = trainer.args
    per_epoch = math.ceil(len(trainer.train_dataset) / (args.per_device_train_batch_size * args.world_size))
    ctx.events.total_steps = args.max_steps if args.max_steps > 0 else math.ceil(args.num_train_epochs * per_epoch)
    # Anything else a library prints goes to the log, never between the events.
    with contextlib.redirect_stdout(sys.stderr):
        if latest is not None:
            log(f"resuming from {latest}")
        elif trainer.eval_dataset is not None:
            trainer.evaluate()  # the held-out numbers before training, at step 0
        trainer.train(resume_from_checkpoint=str(latest) if latest else None)
    if ctx.runtime.is_main:
        shutil.rmtree(ctx.output_dir / STAGING_DIR, ignore_errors=True)  # only TRL's model card is left there
    step, total = trainer.state.global_step, trainer.state.max_steps
    if callback.stopped:
        return checkpoint_on_stop(ctx, step, total, True, lambda: None) or {}
    return None


def train(trainer: Any, ctx: RunContext, callback: EventsCallback, latest: Path | None, tokenizer: Any, counts: dict[str, Any],
          final_results: tuple[str, ...] = ()) -> dict[str, Any]:
    """run_trainer, then the run's summary, with `counts` (what the command counted in its data):
    after a stop, the interrupted run's; else steps, the first and last evaluation's loss and
    accuracy and the last one's `final_results`, once the final policy is in `model/`."""
    stopped = run_trainer(trainer, ctx, callback, latest)
    if stopped is not None:
        return {**stopped, **counts}
    step, total = trainer.state.global_step, trainer.state.max_steps
    first, final = callback.state["first_eval"] or {}, callback.state["last_eval"] or {}
    summary = {
        "interrupted": False,
        "steps": step,
        "total_steps": total,
        "first_eval_loss": first.get("loss"),
        "final_eval_loss": final.get("loss"),
        "first_eval_accuracy": first.get("accuracy"),
        "final_eval_accuracy": final.get("accuracy"),
        **{f"final_eval_{name}": final.get(name) for name in final_results},
        "model": str(ctx.output_dir / "model"),
        **counts,
    }
    write_final_model(ctx, summary, lambda tmp: export_policy(trainer.model, tokenizer, tmp))
    return summary
