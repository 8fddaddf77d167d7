"""The options the commands share, as dataclasses their `Config`s inherit (as TRL's base_config).

BaseConfig (every command) → TrainConfig (reward, safety, sft, ppo, dpo) → EpochConfig (reward, safety,
sft, dpo: passes over a snapshot) → HeadConfig (reward, safety: heads on a backbone, early stopping)
or PolicyConfig (sft, dpo: a causal LM, optionally with LoRA, checkpointed every N steps).
Fields are keyword-only, so a command can add required fields after inherited defaults. A command
redeclares a shared field to give it its own default or say what it means there; a redeclaration
without a comment keeps the inherited one (`python -m trainer.docs` reads the comments).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import TrainerError

PRECISIONS = ("auto", "fp32", "bf16", "fp64")


def at_least(cfg: Any, minimum: int, *keys: str) -> None:
    for key in keys:
        if getattr(cfg, key) < minimum:
            raise TrainerError(f"{key} must be >= {minimum}, got {getattr(cfg, key)}")


def positive_number(cfg: Any, *keys: str) -> None:
    for key in keys:
        if not (getattr(cfg, key) > 0 and math.isfinite(getattr(cfg, key))):
            raise TrainerError(f"{key} must be a positive number, got {getattr(cfg, key)}")


@dataclass(kw_only=True)
class BaseConfig:
    output_dir: str  # where checkpoints/ and the final model/ go
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 on a GPU that has it, else fp32) | fp32 | bf16 | fp64
    seed: int = 0  # seeds everything random in the run (held-out split, batch or prompt order, new heads, sampling)
    keep_checkpoints: int = 2  # checkpoints kept on disk

    def validate(self) -> None:
        if self.precision not in PRECISIONS:
            raise TrainerError(f"precision must be auto, fp32, bf16 or fp64, not {self.precision!r}")


@dataclass(kw_only=True)
class TrainConfig(BaseConfig):
    precision: str = "auto"  # auto (bf16 autocast on a GPU that has it, else fp32) | fp32 | bf16 | fp64
    batch_size: int = 8  # examples per optimizer step (global, over all ranks)
    lr: float = 1e-5  # peak learning rate (linear warm-up, cosine decay to 10%)
    eval_every: int = 100  # steps between evaluations
    eval_batch_size: int = 16  # sequences per forward when evaluating
    gradient_checkpointing: bool = False  # trade compute for memory on long sequences

    def validate(self) -> None:
        super().validate()
        at_least(self, 1, "batch_size", "eval_every", "eval_batch_size", "keep_checkpoints")
        positive_number(self, "lr")


@dataclass(kw_only=True)
class EpochConfig(TrainConfig):
    eval_data: str | None = None  # held-out snapshot; without it eval_fraction of the training data is held out
    eval_fraction: float = 0.1  # share of the training data held out when there is no eval_data; 0 = no eval
    epochs: int = 1  # passes over the training data
    weight_decay: float = 0.0  # AdamW weight decay (not on biases and norms)
    warmup_steps: int = 0  # steps of linear learning-rate warm-up
    max_length: int = 512  # tokens per text; longer ones lose the start of the prompt
    grad_clip: float = 1.0  # max gradient norm; 0 = no clipping

    def validate(self) -> None:
        super().validate()
        at_least(self, 1, "epochs")
        at_least(self, 0, "weight_decay", "warmup_steps", "grad_clip")
        if not 0 <= self.eval_fraction < 1:
            raise TrainerError(f"eval_fraction must be in [0, 1), got {self.eval_fraction}")
        at_least(self, 8, "max_length")


@dataclass(kw_only=True)
class HeadConfig(EpochConfig):
    format: str = "auto"  # auto | rankings | pairs (auto: "responses" in the first record → rankings, "chosen" → pairs)
    eval_fraction: float = 0.1  # share of prompts held out (by prompt, see `split`); 0 = no eval
    split: str | None = None  # names the held-out split: the same name holds out the same prompts in every snapshot (default "seed-<seed>")
    eval_every: int = 100  # steps between evaluations and checkpoints
    early_stopping_patience: int = 3  # evaluations without held-out loss improvement before stopping; 0 = never
    disable_dropout: bool = True  # dropout off during training (as TRL's reward trainer)
    eval_batch_size: int = 32  # sequences per forward when scoring

    def validate(self) -> None:
        super().validate()
        at_least(self, 0, "early_stopping_patience")
        if self.format not in ("auto", "rankings", "pairs"):
            raise TrainerError(f"format must be auto, rankings or pairs, not {self.format!r}")


@dataclass(kw_only=True)
class PolicyConfig(EpochConfig):
    max_steps: int = 0  # stop after this many steps (0 = epochs decide)
    checkpoint_every: int = 100  # steps between checkpoints
    lora_r: int = 0  # LoRA rank (0 = full fine-tuning)
    lora_alpha: float | None = None  # LoRA alpha (default 2 × rank)
    lora_dropout: float = 0.0  # dropout on the LoRA inputs

    def validate(self) -> None:
        super().validate()
        at_least(self, 1, "checkpoint_every")
        at_least(self, 0, "max_steps", "lora_r", "lora_dropout")
