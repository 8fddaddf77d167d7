"""Where a command runs: device, precision and, under `torchrun`, the data-parallel group.

bf16 autocast on a GPU that supports it, fp32 on CPU (precision "bf16" asks for bf16 autocast on
the CPU too); weights, losses and optimizer state stay fp32 either way. Under `torchrun`
(WORLD_SIZE > 1) each process takes one GPU (or CPU with gloo), models are wrapped in DDP, batches
are sharded by rank, and only rank 0 writes events and files. The attention kernel, torch.compile
and the AdamW implementation are chosen here too, so every command makes the same choice.
"""

from __future__ import annotations

import importlib.util
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import torch.distributed as dist

from .errors import TrainerError

T = TypeVar("T")


@dataclass
class Runtime:
    device: torch.device
    dtype: torch.dtype
    rank: int = 0
    world_size: int = 1
    attention: str = "auto"  # as asked for; `attention_for` resolves it per model class
    compile: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def shard(self, items: Sequence[T]) -> list[T]:
        """This rank's share of a batch (every rank gets the same count, so DDP steps stay in lock-step)."""
        if not self.distributed:
            return list(items)
        per_rank = len(items) // self.world_size
        return list(items[self.rank * per_rank : (self.rank + 1) * per_rank])

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if not self.distributed:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=False)

    def mean(self, value: float) -> float:
        """The mean of a per-rank number over all ranks (metrics are reported for the whole batch)."""
        if not self.distributed:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world_size

    def any(self, flag: bool) -> bool:
        """True when any rank has the flag (a SIGTERM must stop every rank at the same step)."""
        return self.mean(float(flag)) > 0 if self.distributed else flag

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def autocast(self):
        """bf16 autocast when the run's precision is bf16 (on a GPU by default, on the CPU when asked)."""
        if self.dtype == torch.bfloat16 and self.device.type in ("cuda", "cpu"):
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    def load_options(self) -> dict[str, object]:
        """What the model loaders need to pick the attention kernel."""
        return {"attention": self.attention, "cuda": self.device.type == "cuda"}

    def compiled(self, model: torch.nn.Module) -> torch.nn.Module:
        """`model` with its forward compiled when the run asks for it (the module itself, changed in place)."""
        if self.compile:
            model.compile()
        return model


ATTENTION = ("auto", "sdpa", "eager", "flash_attention_2")


def flash_attention_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def attention_for(requested: str, model_class: type, cuda: bool) -> str:
    """The `attn_implementation` a model class is loaded with. auto: FlashAttention 2 on a GPU when
    the flash_attn package is installed and the class has it, else SDPA when the class has it, else
    eager. An explicit choice the class or the machine cannot run is an error."""
    sdpa = bool(getattr(model_class, "_supports_sdpa", False))
    flash = bool(getattr(model_class, "_supports_flash_attn", False) or getattr(model_class, "_supports_flash_attn_2", False))
    name = getattr(model_class, "__name__", str(model_class))
    if requested == "auto":
        if cuda and flash and flash_attention_available():
            return "flash_attention_2"
        return "sdpa" if sdpa else "eager"
    if requested == "sdpa" and not sdpa:
        raise TrainerError(f"attn_implementation sdpa: {name} has no SDPA attention; use eager or auto")
    if requested == "flash_attention_2":
        if not (cuda and flash_attention_available()):
            raise TrainerError("attn_implementation flash_attention_2 needs the flash_attn package and a GPU (device cuda)")
        if not flash:
            raise TrainerError(f"attn_implementation flash_attention_2: {name} has no FlashAttention 2; use sdpa, eager or auto")
    if requested not in ATTENTION:
        raise TrainerError(f"attn_implementation must be one of {', '.join(ATTENTION)}, not {requested!r}")
    return requested


def adamw(groups: list[dict[str, object]], lr: float, device: torch.device) -> torch.optim.Optimizer:
    """AdamW with the fastest implementation for the device: fused kernels on a GPU, the foreach
    (multi-tensor) one on the CPU. Same update either way; the state is fp32 like the weights."""
    if device.type == "cuda":
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    return torch.optim.AdamW(groups, lr=lr, foreach=True)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_runtime(device: str = "auto", precision: str = "auto", attention: str = "auto", compile: bool = False) -> Runtime:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TrainerError("device cuda was asked for but no GPU is visible")
    if device == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device(device)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    if precision == "auto":
        dtype = torch.bfloat16 if dev.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    else:
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp64": torch.float64}.get(precision)
        if dtype is None:
            raise TrainerError(f"precision must be auto, fp32, bf16 or fp64, not {precision!r}")
    if attention not in ATTENTION:
        raise TrainerError(f"attn_implementation must be one of {', '.join(ATTENTION)}, not {attention!r}")
    return Runtime(device=dev, dtype=dtype, rank=rank, world_size=world_size, attention=attention, compile=compile)


def batches(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])
