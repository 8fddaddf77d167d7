"""The options the commands share, as dataclasses their `Config`s inherit (as TRL's base_config).

BaseConfig (every command) → TrainConfig (reward, safety, sft, ppo, dpo, kto) → EpochConfig (reward,
safety, sft, dpo, kto: passes over a snapshot) → HeadConfig (reward, safety: heads on a backbone, early
stopping) or PolicyConfig (sft, dpo, kto: a causal LM, optionally with LoRA, checkpointed every N steps).
Fields are keyword-only, so a command can add required fields after inherited defaults. A command
redeclares a shared field to give it its own default or say what it means there; a redeclaration
without a comment keeps the inherited one (`python -m trainer.docs` reads the comments).
"""

from __future__ import annotations

from dataclasses import dataclass

from .options import check_options, opt
from .runtime import ATTENTION

PRECISIONS = ("auto", "fp32", "bf16", "fp64")
# Limits shared by many options: counts of sequences, tokens per text.
BATCH = {"ge": 1, "le": 65_536}
TOKENS = {"ge": 1, "le": 1_048_576}
# A list of phrases (refusal markers).
MARKERS = {"min": 1, "max": 100, "max_length": 200}
SPLIT_NAME = {"pattern": r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "pattern_text": "a name of letters, digits, '.', '_' and '-' (at most 100)"}


@dataclass(kw_only=True)
class BaseConfig:
    output_dir: str = opt(role="input")  # where checkpoints/ and the final model/ go
    device: str = opt("auto", pattern=r"auto|cpu|cuda(:[0-9]+)?", pattern_text="auto, cpu, cuda or cuda:N")  # auto | cpu | cuda
    precision: str = opt("auto", choices=PRECISIONS)  # auto (bf16 on a GPU that has it, else fp32) | fp32 | bf16 (on the CPU too) | fp64
    seed: int = opt(0, ge=0, le=2**31 - 1)  # seeds everything random in the run (held-out split, batch or prompt order, new heads, sampling)
    keep_checkpoints: int = opt(2, ge=1, le=100)  # checkpoints kept on disk
    # auto (FlashAttention 2 on a GPU when flash_attn is installed, else SDPA when the model has it, else eager) | sdpa | eager | flash_attention_2
    attn_implementation: str = opt("auto", choices=ATTENTION)

    def validate(self) -> None:
        check_options(self)


@dataclass(kw_only=True)
class TrainConfig(BaseConfig):
    # auto (bf16 autocast on a GPU that has it, else fp32) | fp32 | bf16 (autocast on any device) | fp64; weights, losses and AdamW state stay fp32
    precision: str = opt("auto", choices=PRECISIONS)
    batch_size: int = opt(8, **BATCH)  # examples per optimizer step (global, over all ranks)
    lr: float = opt(1e-5, gt=0, le=1)  # peak learning rate (linear warm-up, cosine decay to 10%)
    eval_every: int = opt(100, ge=1)  # steps between evaluations
    eval_batch_size: int = opt(16, **BATCH)  # sequences per forward when evaluating
    gradient_checkpointing: bool = False  # trade compute for memory on long sequences
    compile: bool = False  # torch.compile the model's forward (reward, safety, sft; TRL's torch_compile in dpo, kto, grpo, rloo; ppo refuses it)


@dataclass(kw_only=True)
class EpochConfig(TrainConfig):
    eval_data: str | None = opt(None, role="internal")  # held-out snapshot; without it eval_fraction of the training data is held out
    eval_fraction: float = opt(0.1, ge=0, lt=1)  # share of the training data held out when there is no eval_data; 0 = no eval
    epochs: int = opt(1, ge=1, le=10_000)  # passes over the training data
    weight_decay: float = opt(0.0, ge=0)  # AdamW weight decay (not on biases and norms)
    warmup_steps: int = opt(0, ge=0)  # steps of linear learning-rate warm-up
    max_length: int = opt(512, ge=8, le=1_048_576)  # tokens per text; longer ones lose the start of the prompt
    grad_clip: float = opt(1.0, ge=0)  # max gradient norm; 0 = no clipping


@dataclass(kw_only=True)
class HeadConfig(EpochConfig):
    # auto | rankings | pairs (auto: "responses" in the first record → rankings, "chosen" → pairs)
    format: str = opt("auto", choices=("auto", "rankings", "pairs"), role="input")
    eval_fraction: float = opt(0.1, ge=0, lt=1)  # share of prompts held out (by prompt, see `split`); 0 = no eval
    split: str | None = opt(None, **SPLIT_NAME)  # names the held-out split: the same name holds out the same prompts in every snapshot (default "seed-<seed>")
    eval_every: int = opt(100, ge=1)  # steps between evaluations and checkpoints
    early_stopping_patience: int = opt(3, ge=0)  # evaluations without held-out loss improvement before stopping; 0 = never
    disable_dropout: bool = True  # dropout off during training (as TRL's reward trainer)
    eval_batch_size: int = opt(32, **BATCH)  # sequences per forward when scoring


@dataclass(kw_only=True)
class PolicyConfig(EpochConfig):
    max_steps: int = opt(0, ge=0)  # stop after this many steps (0 = epochs decide)
    checkpoint_every: int = opt(100, ge=1)  # steps between checkpoints
    lora_r: int = opt(0, ge=0, le=4096)  # LoRA rank (0 = full fine-tuning)
    lora_alpha: float | None = opt(None, gt=0)  # LoRA alpha (default 2 × rank)
    lora_dropout: float = opt(0.0, ge=0, lt=1)  # dropout on the LoRA inputs
