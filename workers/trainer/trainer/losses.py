"""Reward-model losses and evaluation helpers (pure tensor math: no model, no I/O).

The reward model is a Bradley–Terry scorer: P(a beats b) = sigmoid(r(a) - r(b)).

* Pairwise loss with an optional preference-strength margin (Touvron et al. 2023, Llama 2 §3.2.2).
* Reward centring auxiliary term (Eisenstein et al. 2023, "Helping or Herding?").
* K-wise ranking loss where each prompt's C(K, 2) comparisons form ONE batch element
  (Ouyang et al. 2022, InstructGPT §3.5).
* Accuracy and calibration metrics for evaluation.

Every function works in the dtype and on the device of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

# Llama 2 margin table ("small" scale); the "large" scale multiplies every entry by 3.
MARGIN_TABLE: dict[str, float] = {"strong": 1.0, "clear": 2 / 3, "slight": 1 / 3, "negligible": 0.0}
MARGIN_SCALES: dict[str, float] = {"small": 1.0, "large": 3.0}


def margin_for(strength: str | None, scale: str = "small") -> float:
    """Margin m(r) for a labelled preference strength (Llama 2, Table 27).

    ``None`` (strength not recorded) gives 0.0; ``scale="large"`` multiplies the table by 3.
    Raises ValueError for an unknown strength or scale.
    """
    if scale not in MARGIN_SCALES:
        raise ValueError(f"unknown margin scale {scale!r}; expected one of {tuple(MARGIN_SCALES)}")
    if strength is None:
        return 0.0
    if strength not in MARGIN_TABLE:
        raise ValueError(f"unknown preference strength {strength!r}; expected one of {tuple(MARGIN_TABLE)}")
    return MARGIN_TABLE[strength] * MARGIN_SCALES[scale]


def _as_margin(margin: Tensor | float | None, like: Tensor) -> Tensor | None:
    if margin is None:
        return None
    return torch.as_tensor(margin, dtype=like.dtype, device=like.device)


def pairwise_bt_loss(
    chosen: Tensor,
    rejected: Tensor,
    margin: Tensor | float | None = None,
    centring: float = 0.0,
) -> Tensor:
    """Scalar Bradley–Terry loss: mean over pairs of ``-logsigmoid(r_c - r_r - m)``.

    ``margin`` (per pair or scalar) follows Llama 2; when ``centring > 0`` the reward-centring
    term ``centring * mean((r_c + r_r)^2)`` is added (Eisenstein et al. 2023), which pushes the
    mean reward of each pair towards 0 without changing the preference ordering.
    """
    if chosen.shape != rejected.shape:
        raise ValueError(f"chosen {tuple(chosen.shape)} and rejected {tuple(rejected.shape)} differ in shape")
    if chosen.numel() == 0:
        raise ValueError("pairwise_bt_loss needs at least one pair")
    diff = chosen - rejected
    m = _as_margin(margin, diff)
    if m is not None:
        diff = diff - m
    loss = -F.logsigmoid(diff).mean()
    if centring > 0:
        loss = loss + centring * ((chosen + rejected) ** 2).mean()
    return loss


def kwise_pairs(ranks: list[int]) -> list[tuple[int, int]]:
    """All ordered ``(better, worse)`` index pairs of one prompt's K responses.

    Lower rank number = better; responses with equal ranks are a tie and give no pair.
    Pairs are listed in ``(i, j)`` order of the upper triangle, i < j.
    """
    pairs: list[tuple[int, int]] = []
    for i in range(len(ranks)):
        for j in range(i + 1, len(ranks)):
            if ranks[i] < ranks[j]:
                pairs.append((i, j))
            elif ranks[j] < ranks[i]:
                pairs.append((j, i))
    return pairs


@dataclass(frozen=True)
class KWisePairs:
    """Batched K-wise comparison indexes (see :func:`build_kwise_pairs`).

    ``better_idx``/``worse_idx`` are global indexes into the flat score vector,
    ``pair_prompt`` is the prompt index of each pair and ``margin`` the optional per-pair margin.
    """

    better_idx: Tensor
    worse_idx: Tensor
    pair_prompt: Tensor
    margin: Tensor | None
    n_responses: int
    n_prompts: int


def build_kwise_pairs(
    rank_lists: list[list[int]],
    margins: list[list[float]] | None = None,
    device: torch.device | str | None = None,
) -> KWisePairs:
    """Index tensors for :func:`kwise_bt_loss` from one rank list per prompt.

    Scores are assumed laid out prompt after prompt: prompt p's responses occupy
    ``offset_p .. offset_p + K_p - 1`` of the flat score vector. ``margins``, when given, holds
    for each prompt one margin per pair in the order returned by :func:`kwise_pairs`.
    """
    if margins is not None and len(margins) != len(rank_lists):
        raise ValueError(f"{len(margins)} margin lists for {len(rank_lists)} prompts")
    better: list[int] = []
    worse: list[int] = []
    prompt: list[int] = []
    flat_margins: list[float] = []
    offset = 0
    for p, ranks in enumerate(rank_lists):
        pairs = kwise_pairs(ranks)
        if margins is not None:
            if len(margins[p]) != len(pairs):
                raise ValueError(f"prompt {p}: {len(margins[p])} margins for {len(pairs)} pairs")
            flat_margins.extend(float(m) for m in margins[p])
        for b, w in pairs:
            better.append(offset + b)
            worse.append(offset + w)
            prompt.append(p)
        offset += len(ranks)
    as_long = lambda xs: torch.tensor(xs, dtype=torch.long, device=device)  # noqa: E731
    margin_t = torch.tensor(flat_margins, dtype=torch.float64, device=device) if margins is not None else None
    return KWisePairs(as_long(better), as_long(worse), as_long(prompt), margin_t, offset, len(rank_lists))


def kwise_bt_loss(
    scores: Tensor,
    better_idx: Tensor,
    worse_idx: Tensor,
    pair_prompt: Tensor,
    margin: Tensor | float | None = None,
    centring: float = 0.0,
) -> Tensor:
    """InstructGPT K-wise ranking loss over a batch of prompts.

    For each pair ``l = -logsigmoid(s[better] - s[worse] - m)`` (+ ``centring * (s_b + s_w)^2``
    when ``centring > 0``); pair losses are averaged within each prompt (its C(K, 2) comparisons
    form one batch element, Ouyang et al. 2022) and then averaged over the prompts that have at
    least one pair. With a single prompt this equals :func:`pairwise_bt_loss` on its pairs.
    Raises ValueError when there is no pair at all (every prompt all ties).
    """
    if better_idx.numel() == 0:
        raise ValueError("kwise_bt_loss needs at least one non-tied pair")
    if not (better_idx.shape == worse_idx.shape == pair_prompt.shape):
        raise ValueError("better_idx, worse_idx and pair_prompt must have the same shape")
    s_b = scores[better_idx]
    s_w = scores[worse_idx]
    diff = s_b - s_w
    m = _as_margin(margin, diff)
    if m is not None:
        diff = diff - m
    per_pair = -F.logsigmoid(diff)
    if centring > 0:
        per_pair = per_pair + centring * (s_b + s_w) ** 2
    _, prompt_ids = torch.unique(pair_prompt, return_inverse=True)
    n = int(prompt_ids.max().item()) + 1
    sums = torch.zeros(n, dtype=per_pair.dtype, device=per_pair.device).index_add(0, prompt_ids, per_pair)
    counts = torch.zeros(n, dtype=per_pair.dtype, device=per_pair.device).index_add(
        0, prompt_ids, torch.ones_like(per_pair)
    )
    return (sums / counts).mean()


def reward_normaliser(scores: Tensor) -> tuple[float, float]:
    """Mean and (population) std of reward scores, std floored at 1e-6.

    Used to normalise rewards at inference: ``(r - mean) / std``.
    """
    if scores.numel() == 0:
        raise ValueError("reward_normaliser needs at least one score")
    s = scores.detach().reshape(-1)
    mean = float(s.mean().item())
    std = float(s.std(correction=0).item()) if s.numel() > 1 else 0.0
    return mean, max(std, 1e-6)


def pair_accuracy(chosen: Tensor, rejected: Tensor) -> float:
    """Fraction of pairs where the chosen response scores higher; ties count as 0.5."""
    if chosen.shape != rejected.shape or chosen.numel() == 0:
        raise ValueError("pair_accuracy needs non-empty chosen/rejected of the same shape")
    c, r = chosen.detach(), rejected.detach()
    correct = (c > r).to(torch.float64) + 0.5 * (c == r).to(torch.float64)
    return float(correct.mean().item())


def calibration_bins(chosen: Tensor, rejected: Tensor, n_bins: int = 10) -> list[dict]:
    """Reliability-diagram bins for the Bradley–Terry probability ``p = sigmoid(r_c - r_r)``.

    Every pair is counted in both orders, so the diagram covers [0, 1]: the point ``(p, 1)``
    ("the first response is the human-preferred one" is true) and ``(1 - p, 0)`` (reverse order).
    Bins are equal-width on [0, 1] (the last one closed). For each non-empty bin the dict holds
    ``lo``, ``hi``, ``mean_predicted`` (mean p in the bin), ``observed`` (fraction of its points
    that are correct) and ``count`` (number of points, two per pair). A perfectly calibrated
    model has ``observed == mean_predicted`` in every bin.
    """
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    if chosen.shape != rejected.shape or chosen.numel() == 0:
        raise ValueError("calibration_bins needs non-empty chosen/rejected of the same shape")
    p = torch.sigmoid((chosen.detach() - rejected.detach()).reshape(-1).to(torch.float64))
    preds = torch.cat([p, 1.0 - p])
    outcome = torch.cat([torch.ones_like(p), torch.zeros_like(p)])
    idx = torch.clamp((preds * n_bins).floor().long(), 0, n_bins - 1)
    bins: list[dict] = []
    for b in range(n_bins):
        sel = idx == b
        count = int(sel.sum().item())
        if count == 0:
            continue
        bins.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "mean_predicted": float(preds[sel].mean().item()),
                "observed": float(outcome[sel].mean().item()),
                "count": count,
            }
        )
    return bins


def expected_calibration_error(chosen: Tensor, rejected: Tensor, n_bins: int = 10) -> float:
    """ECE = sum over bins of (count / total) * |observed - mean_predicted| (Guo et al. 2017),
    on the symmetrised points of :func:`calibration_bins`."""
    bins = calibration_bins(chosen, rejected, n_bins)
    total = sum(b["count"] for b in bins)
    ece = sum(b["count"] / total * abs(b["observed"] - b["mean_predicted"]) for b in bins)
    return float(ece)
