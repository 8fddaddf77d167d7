"""GRPO (group relative policy optimisation) of a policy against our rewards, run by TRL's
GRPOTrainer (group_rl.py, shared with `rloo`; trl_bridge.py for events, checkpoints and resume).

Each step samples `num_generations` responses per prompt; a response's advantage is its reward
minus its group's mean, divided by the group's (or the batch's) spread (`scale_rewards`; Dr. GRPO
leaves it unscaled). `loss_type` picks TRL's GRPO loss (how token losses are aggregated, or
DAPO/CISPO/SAPO/... variants); `importance_sampling_level sequence` gives GSPO. `beta` adds TRL's
per-token KL to the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trl import GRPOConfig, GRPOTrainer

from .. import group_rl
from ..context import RunContext
from ..errors import TrainerError
from ..group_rl import Algorithm, GroupConfig
from ..options import opt
from ..rewards import Scorers

# TRL 1.16's GRPO loss types (GRPOConfig.loss_type); a test checks the list against TRL's.
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")


__doc__ = f"{__doc__}\n{group_rl.__doc__}"  # the reference shows what grpo and rloo share after each one's own text


@dataclass(kw_only=True)
class Config(GroupConfig):
    loss_type: str = opt("dapo", choices=LOSS_TYPES)  # TRL's GRPO loss: grpo | dr_grpo | dapo | bnpo | cispo | sapo | luspo | vespo
    importance_sampling_level: str = opt("token", choices=("token", "sequence"))  # token | sequence (GSPO: one ratio per response)
    scale_rewards: str = opt("group", choices=("group", "batch", "none"))  # divide advantages by the group's | batch's reward spread | none (Dr. GRPO)

    def validate(self) -> None:
        super().validate()
        if self.loss_type == "luspo" and self.importance_sampling_level != "sequence":
            raise TrainerError("loss_type luspo needs importance_sampling_level sequence")


def algorithm(cfg: Config) -> Algorithm:
    options = {"loss_type": cfg.loss_type, "importance_sampling_level": cfg.importance_sampling_level, "scale_rewards": cfg.scale_rewards}
    return Algorithm("grpo", GRPOConfig, GRPOTrainer, options)


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    return group_rl.run(cfg, ctx, algorithm(cfg))


def train(cfg: Config, ctx: RunContext, scorers: Scorers) -> dict[str, Any]:
    """GRPO with the given scorers (the Python API)."""
    return group_rl.train(cfg, ctx, scorers, algorithm(cfg))
