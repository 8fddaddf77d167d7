"""Where a command runs: device, precision and, under `torchrun`, the data-parallel group.

bf16 on a GPU that supports it, fp32 on CPU. Under `torchrun` (WORLD_SIZE > 1) each process takes
one GPU (or CPU with gloo), models are wrapped in DDP, batches are sharded by rank, and only rank 0
writes events and files.
"""

from __future__ import annotations

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
        if self.device.type == "cuda" and self.dtype == torch.bfloat16:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_runtime(device: str = "auto", precision: str = "auto") -> Runtime:
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
    return Runtime(device=dev, dtype=dtype, rank=rank, world_size=world_size)


def batches(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])
