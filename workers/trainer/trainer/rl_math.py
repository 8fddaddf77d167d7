"""PPO math with safety rewards (pure tensor math: no model, no I/O).

Sequence tensors are ``[batch, T]`` with a float or bool ``mask`` that is 1 on real response
tokens (left padding, right padding and interior holes are all allowed: masked positions are
skipped). Follows:

* Ziegler et al. 2019 / Stiennon et al. 2020: per-token KL penalty to a frozen reference,
  adaptive KL controller, sequence score added at the last token.
* Schulman et al. 2016 (GAE) and 2017 (PPO-clip); value clipping and masked whitening follow
  TRL's implementation.
* Touvron et al. 2023 (Llama 2 §3.2.2): gated helpfulness/safety reward, logit + whiten.
* Dai et al. 2023 (Safe RLHF): PPO-Lagrangian with a learned multiplier λ ≥ 0.

Every function works in the dtype and on the device of its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor

from .batching import last_token_index as last_real_token

WHITEN_EPS = 1e-8


# --------------------------------------------------------------------------- masked statistics


def _mask_like(mask: Tensor, x: Tensor) -> Tensor:
    return mask.to(dtype=x.dtype, device=x.device)


def masked_mean(x: Tensor, mask: Tensor, dim: int | None = None) -> Tensor:
    """Mean of ``x`` over positions where ``mask`` is 1 (over all dims, or along ``dim``)."""
    m = _mask_like(mask, x)
    if dim is None:
        return (x * m).sum() / m.sum()
    return (x * m).sum(dim=dim) / m.sum(dim=dim)


def masked_var(x: Tensor, mask: Tensor, unbiased: bool = True) -> Tensor:
    """Variance of the masked elements of ``x`` (Bessel-corrected when ``unbiased``), as in TRL."""
    m = _mask_like(mask, x)
    n = m.sum()
    if n.item() == 0 or (unbiased and n.item() < 2):
        raise ValueError(f"masked_var needs at least {2 if unbiased else 1} unmasked elements, got {int(n.item())}")
    mean = masked_mean(x, m)
    var = masked_mean((x - mean) ** 2, m)
    if unbiased:
        var = var * (n / (n - 1))
    return var


def masked_whiten(x: Tensor, mask: Tensor, shift_mean: bool = True) -> Tensor:
    """TRL whitening: ``(x - mean) * rsqrt(var + 1e-8)`` with masked mean/unbiased var.

    With ``shift_mean=False`` the mean is added back (only the scale is normalised). Masked
    positions are transformed too; callers ignore them through the mask.
    """
    mean = masked_mean(x, mask)
    var = masked_var(x, mask)
    whitened = (x - mean) * torch.rsqrt(var + WHITEN_EPS)
    if not shift_mean:
        whitened = whitened + mean
    return whitened


# --------------------------------------------------------------------------- KL


def kl_penalty(logprobs: Tensor, ref_logprobs: Tensor, estimator: str = "k1") -> Tensor:
    """Per-token KL(policy || reference) estimate from sampled-token log-probs.

    ``k1 = logp - logp_ref`` (unbiased, can be negative); ``k3 = (exp(r) - 1) - r`` with
    ``r = logp_ref - logp`` (Schulman, "Approximating KL divergence", 2020: unbiased and ≥ 0).
    """
    if estimator == "k1":
        return logprobs - ref_logprobs
    if estimator == "k3":
        r = ref_logprobs - logprobs
        return torch.expm1(r) - r
    raise ValueError(f"unknown KL estimator {estimator!r}; expected 'k1' or 'k3'")


class FixedKLController:
    """Constant KL coefficient β."""

    def __init__(self, kl_coef: float) -> None:
        self.value = float(kl_coef)

    def update(self, current_kl: float, n_steps: int) -> float:
        """No-op; returns the coefficient."""
        return self.value


class AdaptiveKLController:
    """Adaptive KL coefficient (Ziegler et al. 2019, §2.2).

    ``e = clip(KL / target - 1, -0.2, 0.2)``; ``β ← β · (1 + e · n_steps / horizon)``.
    """

    def __init__(self, init_kl_coef: float, target: float, horizon: float) -> None:
        if target <= 0 or horizon <= 0:
            raise ValueError("target and horizon must be > 0")
        self.value = float(init_kl_coef)
        self.target = float(target)
        self.horizon = float(horizon)

    def update(self, current_kl: float, n_steps: int) -> float:
        """Apply one update for ``n_steps`` samples at measured ``current_kl``; returns new β."""
        proportional_error = min(max(float(current_kl) / self.target - 1.0, -0.2), 0.2)
        mult = 1.0 + proportional_error * n_steps / self.horizon
        self.value *= mult
        return self.value


# --------------------------------------------------------------------------- rewards, GAE


def last_token_index(mask: Tensor) -> Tensor:
    """Index of the last position where ``mask`` is 1 in each row (``[batch]`` long).

    Raises ValueError if a row has no real token.
    """
    if not bool(mask.bool().any(dim=1).all()):
        raise ValueError("every row needs at least one real token")
    return last_real_token(mask)


def per_token_rewards(score: Tensor, kl: Tensor, mask: Tensor, kl_coef: float | Tensor) -> Tensor:
    """Per-token rewards ``-kl_coef * kl`` on real tokens, plus ``score`` at each row's last real
    token (Stiennon et al. 2020). Zero on masked positions."""
    m = _mask_like(mask, kl)
    rewards = -kl_coef * kl * m
    last = last_token_index(mask)
    rows = torch.arange(kl.shape[0], device=kl.device)
    rewards[rows, last] = rewards[rows, last] + score.to(dtype=kl.dtype, device=kl.device)
    return rewards


def compute_gae(
    rewards: Tensor, values: Tensor, mask: Tensor, gamma: float, lam: float
) -> tuple[Tensor, Tensor]:
    """Generalised Advantage Estimation (Schulman et al. 2016) over real tokens only.

    Walking backwards over each row's real tokens: ``δ_t = r_t + γ V_{next} - V_t``,
    ``A_t = δ_t + γλ A_{next}``, where "next" is the next real token (its value is 0 after the
    last one). Masked positions are skipped and get advantage and return 0.
    Returns ``(advantages, returns)`` with ``returns = advantages + values`` on real tokens.
    """
    m = mask.to(device=values.device).bool()
    B, T = values.shape
    advantages = torch.zeros_like(values)
    next_value = values.new_zeros(B)
    last_gae = values.new_zeros(B)
    for t in reversed(range(T)):
        real = m[:, t]
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        gae = delta + gamma * lam * last_gae
        advantages[:, t] = torch.where(real, gae, torch.zeros_like(gae))
        last_gae = torch.where(real, gae, last_gae)
        next_value = torch.where(real, values[:, t], next_value)
    returns = torch.where(m, advantages + values, torch.zeros_like(values))
    return advantages, returns


# --------------------------------------------------------------------------- PPO losses


def clipped_policy_loss(
    logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor, cliprange: float
) -> tuple[Tensor, Tensor, Tensor]:
    """PPO-clip policy loss (Schulman et al. 2017), masked mean over real tokens.

    Returns ``(loss, clipfrac, approx_kl)``: ``loss = mean(max(-A·ρ, -A·clip(ρ, 1-ε, 1+ε)))``,
    ``clipfrac`` = fraction of tokens where the clipped term is the larger one, and
    ``approx_kl = mean(0.5 · (logp - logp_old)^2)``.
    """
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    pg_losses = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    loss = masked_mean(torch.maximum(pg_losses, pg_losses2), mask)
    clipfrac = masked_mean((pg_losses2 > pg_losses).to(logprobs.dtype), mask)
    approx_kl = 0.5 * masked_mean(log_ratio**2, mask)
    return loss, clipfrac.detach(), approx_kl.detach()


def clipped_value_loss(
    values: Tensor, old_values: Tensor, returns: Tensor, mask: Tensor, cliprange_value: float
) -> tuple[Tensor, Tensor]:
    """Clipped value loss (as in TRL / OpenAI baselines).

    ``loss = 0.5 · mean(max((V - R)^2, (clip(V, V_old - ε, V_old + ε) - R)^2))``; ``clipfrac`` is
    the fraction of tokens where the clipped term is the larger one.
    """
    v_clipped = torch.clamp(values, old_values - cliprange_value, old_values + cliprange_value)
    vf_losses1 = (values - returns) ** 2
    vf_losses2 = (v_clipped - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(vf_losses1, vf_losses2), mask)
    clipfrac = masked_mean((vf_losses2 > vf_losses1).to(values.dtype), mask)
    return loss, clipfrac.detach()


def entropy_from_logits(logits: Tensor) -> Tensor:
    """Entropy of the categorical over the last dim: ``logsumexp(z) - Σ softmax(z)·z``."""
    pd = torch.softmax(logits, dim=-1)
    return torch.logsumexp(logits, dim=-1) - (pd * logits).sum(dim=-1)


# --------------------------------------------------------------------------- safety combination

POLICIES: tuple[str, ...] = ("allowed", "sensitive", "disallowed")
RUBRICS: tuple[str, ...] = ("A", "B", "C", "D")
DEFAULT_REWARD_TABLE: dict[str, dict[str, float]] = {
    "disallowed": {"A": 1.0, "B": 0.3, "C": -1.0, "D": 0.5},
    "sensitive": {"A": -0.3, "B": -0.5, "C": -1.0, "D": 1.0},
    "allowed": {"A": -1.0, "B": -1.0, "C": -1.0, "D": 1.0},
}


def table_tensor(
    table: Mapping[str, Mapping[str, float]] = DEFAULT_REWARD_TABLE,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """The safety reward table as a ``[3, 4]`` tensor, rows in ``POLICIES`` order and columns in
    ``RUBRICS`` order. Raises ValueError naming the first missing or non-finite cell."""
    rows: list[list[float]] = []
    for p in POLICIES:
        row_map = table.get(p)
        row: list[float] = []
        for r in RUBRICS:
            if row_map is None or r not in row_map:
                raise ValueError(f"reward table is missing cell {p}/{r}")
            try:
                v = float(row_map[r])
            except (TypeError, ValueError):
                raise ValueError(f"reward table cell {p}/{r} is not a number: {row_map[r]!r}") from None
            if not math.isfinite(v):
                raise ValueError(f"reward table cell {p}/{r} is not finite: {v}")
            row.append(v)
        rows.append(row)
    return torch.tensor(rows, dtype=dtype, device=device)


def expected_safety_reward(
    policy_probs: Tensor,
    rubric_probs: Tensor,
    table: Mapping[str, Mapping[str, float]] | Tensor = DEFAULT_REWARD_TABLE,
) -> Tensor:
    """``Σ_p Σ_r P(p)·P(r)·R[p][r]`` per example (``[batch]``); exact lookup for one-hot inputs.

    ``policy_probs`` is ``[batch, 3]`` in ``POLICIES`` order, ``rubric_probs`` ``[batch, 4]`` in
    ``RUBRICS`` order; ``table`` a mapping or a ``[3, 4]`` tensor from :func:`table_tensor`.
    """
    if isinstance(table, Tensor):
        R = table.to(dtype=policy_probs.dtype, device=policy_probs.device)
    else:
        R = table_tensor(table, dtype=policy_probs.dtype, device=policy_probs.device)
    if R.shape != (len(POLICIES), len(RUBRICS)):
        raise ValueError(f"reward table must be {len(POLICIES)}x{len(RUBRICS)}, got {tuple(R.shape)}")
    return torch.einsum("bp,br,pr->b", policy_probs, rubric_probs.to(policy_probs.dtype), R)


def combine_table(r_help: Tensor, r_safety: Tensor, weight: float) -> Tensor:
    """Weighted sum ``r_help + weight · r_safety`` (table mode)."""
    return r_help + weight * r_safety


def gated_select(
    r_help: Tensor, r_safety: Tensor, prompt_unsafe: Tensor, safety_score: Tensor, threshold: float = 0.15
) -> Tensor:
    """Llama 2 gate: ``r_safety`` if the prompt is unsafe or ``safety_score < threshold``,
    else ``r_help`` (before logit/whitening)."""
    use_safety = prompt_unsafe.bool() | (safety_score < threshold)
    return torch.where(use_safety, r_safety, r_help)


def combine_gated(
    r_help: Tensor, r_safety: Tensor, prompt_unsafe: Tensor, safety_score: Tensor, threshold: float = 0.15
) -> Tensor:
    """Llama 2 gated reward: ``WHITEN(LOGIT(gated_select(...)))`` over the batch.

    Scores passed here must be probabilities (sigmoid-scaled rewards in [0, 1]); the logit is
    taken after clamping to ``(1e-6, 1 - 1e-6)`` and whitening uses the batch mean and unbiased
    variance (needs a batch of at least 2).
    """
    chosen = gated_select(r_help, r_safety, prompt_unsafe, safety_score, threshold)
    logits = torch.logit(chosen.clamp(1e-6, 1.0 - 1e-6))
    return masked_whiten(logits, torch.ones_like(logits))


class LagrangeMultiplier:
    """PPO-Lagrangian multiplier λ ≥ 0 for ``max E[r]  s.t.  E[cost] ≤ d`` (Dai et al. 2023).

    λ is stored as ``log_lambda`` so it can never be negative. After ``delay_steps`` each
    :meth:`update` takes an exponentiated-gradient (mirror-ascent) step on the Lagrangian
    ``-λ·(E[cost] - d)``: ``log λ ← log λ + lr · (E[cost] - d)``, i.e. λ is multiplied by
    ``exp(lr·(E[cost] - d))`` — it rises when the constraint is violated and falls when it is
    satisfied, with a step size independent of λ's own scale (as Safe RLHF's Adam step on log λ).
    λ is clamped to ``≤ max_lambda`` when a cap is given.
    """

    def __init__(
        self,
        init: float = 1.0,
        lr: float = 0.1,
        cost_limit: float = 0.0,
        max_lambda: float | None = None,
        delay_steps: int = 0,
    ) -> None:
        if init <= 0:
            raise ValueError("init must be > 0 (λ is kept in log space)")
        if max_lambda is not None and max_lambda <= 0:
            raise ValueError("max_lambda must be > 0")
        self.lr = float(lr)
        self.cost_limit = float(cost_limit)
        self.max_lambda = None if max_lambda is None else float(max_lambda)
        self.delay_steps = int(delay_steps)
        self.log_lambda = math.log(init)
        self._clamp()

    def _clamp(self) -> None:
        if self.max_lambda is not None:
            self.log_lambda = min(self.log_lambda, math.log(self.max_lambda))

    @property
    def value(self) -> float:
        """Current λ = exp(log_lambda)."""
        return math.exp(self.log_lambda)

    def update(self, mean_cost: float, step: int) -> float:
        """One dual step at training ``step`` given the batch's mean cost; returns the new λ.

        Nothing changes while ``step < delay_steps``.
        """
        if step >= self.delay_steps:
            self.log_lambda += self.lr * (float(mean_cost) - self.cost_limit)
            self._clamp()
        return self.value


def lagrangian_advantage(adv_reward: Tensor, adv_cost: Tensor, lam: float | Tensor) -> Tensor:
    """Safe RLHF combined advantage ``(A_r - λ·A_c) / (1 + λ)``."""
    return (adv_reward - lam * adv_cost) / (1 + lam)


def eos_penalty(scores: Tensor, has_eos: Tensor, penalty: float) -> Tensor:
    """Subtract ``penalty`` from the score of responses that did not end with EOS
    (TRL ``missing_eos_penalty`` semantics: ``score - penalty`` where no EOS)."""
    return torch.where(has_eos.bool(), scores, scores - penalty)


def clip_rewards(scores: Tensor, clip: float | None) -> Tensor:
    """Clamp scores to ``[-clip, clip]``; ``None`` leaves them unchanged."""
    if clip is None:
        return scores
    if clip <= 0:
        raise ValueError("clip must be > 0")
    return scores.clamp(-clip, clip)
