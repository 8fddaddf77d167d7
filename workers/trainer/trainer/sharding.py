"""FSDP (PyTorch's FSDP2, `fully_shard`) for the `reward` command: `--distributed fsdp` under torchrun.

Each transformer block of the backbone (the classes transformers lists in `_no_split_modules`) and
then the whole model are sharded, so every rank keeps 1/world_size of the parameters, gradients and
AdamW moments (fp32) and gathers a block's parameters only for its forward and backward. Whatever
rank 0 writes alone (checkpoints, the best weights, the exported model folders) is first gathered
on every rank into a full state dict (`FullModelState.state_dict()`) and, for an export, a plain
unsharded copy of the model on rank 0 (`plain_copy`); resuming loads the full state dicts back into the shards. A
checkpoint's optimizer state is then keyed by parameter name (torch.distributed.checkpoint's
full form), so a run resumes under the same `distributed` mode it was started with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .errors import TrainerError


def _options() -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=True)


def shard(model: nn.Module, blocks: nn.Module) -> nn.Module:
    """Shards every block of `blocks` named in its `_no_split_modules`, then `model` as a whole (in place)."""
    from torch.distributed.fsdp import fully_shard

    names = set(getattr(blocks, "_no_split_modules", None) or [])
    layers = [m for m in blocks.modules() if type(m).__name__ in names]
    if not layers:
        raise TrainerError(f"distributed fsdp: {type(blocks).__name__} names no transformer block to shard (_no_split_modules)")
    for layer in layers:
        fully_shard(layer)
    fully_shard(model)
    return model


class FullModelState(nn.Module):
    """What a checkpoint reads and writes of a sharded model: its full state dict. `state_dict()`
    gathers (every rank must call it; rank 0 gets the tensors, on the CPU), `load_state_dict`
    scatters a full one back into the shards."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)  # not a submodule: no parameters of its own

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:  # type: ignore[override]
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        return get_model_state_dict(self._model, options=_options())

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True, assign: bool = False) -> Any:  # type: ignore[override]
        from torch.distributed.checkpoint.state_dict import set_model_state_dict

        return set_model_state_dict(self._model, state, options=_options())


class FullOptimizerState:
    """The same for the optimizer of a sharded model."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.model, self.optimizer = model, optimizer

    def state_dict(self) -> dict[str, Any]:
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        return get_optimizer_state_dict(self.model, self.optimizer, options=_options())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

        set_optimizer_state_dict(self.model, self.optimizer, state, options=_options())


class Gathered(nn.Module):
    """A state dict taken already (on every rank, as gathering needs), for rank 0 to write."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__()
        self._state = state

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._state


def plain_copy(full: dict[str, torch.Tensor], build: Callable[[], nn.Module], is_main: bool) -> nn.Module | None:
    """An unsharded copy of the model on rank 0 (`build()` with the gathered weights `full`), None elsewhere."""
    if not is_main:
        return None
    copy = build()
    copy.load_state_dict(full)
    return copy
