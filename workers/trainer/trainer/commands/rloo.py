"""RLOO (REINFORCE leave-one-out) of a policy against our rewards, run by TRL's RLOOTrainer
(group_rl.py, shared with `grpo`; trl_bridge.py for events, checkpoints and resume).

Each step samples `num_generations` responses per prompt; a response's advantage is its reward
minus the mean reward of the other responses to the same prompt (optionally normalised over the
batch). `beta` subtracts β × the response's KL to the reference from its reward, as RLOO does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trl import RLOOConfig, RLOOTrainer

from .. import group_rl
from ..context import RunContext
from ..group_rl import Algorithm, GroupConfig
from ..rewards import Scorers

__doc__ = f"{__doc__}\n{group_rl.__doc__}"  # the reference shows what grpo and rloo share after each one's own text


@dataclass(kw_only=True)
class Config(GroupConfig):
    normalize_advantages: bool = False  # normalise advantages over the batch (mean 0, std 1)


def algorithm(cfg: Config) -> Algorithm:
    return Algorithm("rloo", RLOOConfig, RLOOTrainer, {"normalize_advantages": cfg.normalize_advantages})


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    return group_rl.run(cfg, ctx, algorithm(cfg))


def train(cfg: Config, ctx: RunContext, scorers: Scorers) -> dict[str, Any]:
    """RLOO with the given scorers (the Python API)."""
    return group_rl.train(cfg, ctx, scorers, algorithm(cfg))
