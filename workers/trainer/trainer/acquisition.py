"""Which unlabelled tasks to label next: where a reward-model ensemble disagrees (pure: numpy only).

A task is a prompt with K ≥ 2 responses, scored r[m, i] by member m of the ensemble. For every
response pair i < j each member's Bradley–Terry probability that i beats j is
p[m] = sigmoid(r[m, i] − r[m, j]). Then, averaged over the task's pairs:
- `disagreement`: the variance over members of p (population variance): 0 when every member gives
  the pair the same probability, 0.25 at most (half the members sure of i, half sure of j);
- `margin`: |mean over members of r[m, i] − r[m, j]|, how far apart the ensemble puts the pair on
  average (small: a close call even where the members agree).
With a safety classifier, `borderline` is max over the task's responses of 1 − |2·p_unsafe − 1|:
1 for a response the classifier gives even odds of being unsafe, 0 for one it is sure about.
`score` = disagreement + borderline_weight × borderline; tasks are ranked by score, highest first,
ties broken by the smaller margin, then the task id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TaskScore:
    task_id: str
    score: float
    disagreement: float
    margin: float
    borderline: float | None  # None without a safety classifier

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so large score gaps neither overflow nor lose precision.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def pair_disagreement(rewards: np.ndarray) -> tuple[float, float]:
    """(disagreement, margin) of one task from its rewards `[members, responses]`."""
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] < 2:
        raise ValueError(f"rewards must be [members >= 2, responses >= 2], got shape {r.shape}")
    i, j = np.triu_indices(r.shape[1], k=1)
    gaps = r[:, i] - r[:, j]  # [members, pairs]
    disagreement = float(_sigmoid(gaps).var(axis=0).mean())
    margin = float(np.abs(gaps.mean(axis=0)).mean())
    return disagreement, margin


def borderline(p_unsafe: np.ndarray) -> float:
    """max over a task's responses of 1 − |2·p − 1|, p the probability each response is unsafe."""
    p = np.asarray(p_unsafe, dtype=np.float64)
    if p.size == 0:
        raise ValueError("borderline needs at least one response")
    return float((1.0 - np.abs(2.0 * p - 1.0)).max())


def score_task(task_id: str, rewards: np.ndarray, p_unsafe: np.ndarray | None = None, borderline_weight: float = 0.0) -> TaskScore:
    disagreement, margin = pair_disagreement(rewards)
    edge = borderline(p_unsafe) if p_unsafe is not None else None
    score = disagreement + (borderline_weight * edge if edge is not None else 0.0)
    return TaskScore(task_id, score, disagreement, margin, edge)


def rank(scores: list[TaskScore]) -> list[TaskScore]:
    """Highest score first; on a tie the smaller margin (the closer call), then the task id."""
    return sorted(scores, key=lambda s: (-s.score, s.margin, s.task_id))
