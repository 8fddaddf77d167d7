"""Intervals and agreement statistics for evaluation reports (pure: lists and numpy, no model).

Every rate or mean the platform reports comes as an `Estimate`: the value, a 95 % interval and
the number of items and independent units (prompts) behind it.

- Independent yes/no outcomes (one per prompt): the Wilson score interval (Wilson 1927), which
  stays inside [0, 1] and is not zero-width at 0/n or n/n.
- Anything else (pair accuracy, where a prompt's pairs share its responses; mean reward; a
  difference between two models on the same items): a percentile bootstrap that resamples
  *prompts* with replacement (a cluster bootstrap), so correlated items of one prompt are not
  counted as independent evidence. When every resample gives the same value (all pairs right),
  a yes/no statistic falls back to the Wilson interval over prompts: a bootstrap cannot show
  uncertainty it never sees.
- Cohen's kappa, per-class precision / recall / F1 and confusion matrices for classifiers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    value: float
    lo: float
    hi: float
    n: int  # items (pairs, responses)
    units: int  # independent units the interval is computed over (prompts)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "n": self.n, "units": self.units}

    @property
    def excludes_zero(self) -> bool:
        return self.lo > 0 or self.hi < 0


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n is 0.

    `successes` may be fractional (a tie counted as half), as pair accuracy counts ties.
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0/n and n/n one bound is p itself; rounding must not put it on the wrong side of p.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def rate(outcomes: Sequence[float], clusters: Sequence[Hashable] | None = None, seed: int = 0) -> Estimate:
    """Mean of 0/1 outcomes (0.5 allowed for ties) with a 95 % interval.

    Without clusters, or with one item per cluster, the items are independent: Wilson. Otherwise a
    cluster bootstrap, falling back to Wilson over the clusters when it has no spread.
    """
    values = np.asarray(outcomes, dtype=np.float64)
    n = int(values.size)
    if n == 0:
        return Estimate(float("nan"), 0.0, 1.0, 0, 0)
    keys = list(range(n)) if clusters is None else list(clusters)
    units = len(set(keys))
    value = float(values.mean())
    if units == n:
        lo, hi = wilson(values.sum(), n)
        return Estimate(value, lo, hi, n, units)
    lo, hi = _cluster_bootstrap(lambda idx: float(values[idx].mean()), keys, seed)
    if hi - lo <= 1e-12:
        lo, hi = wilson(value * units, units)
    return Estimate(value, min(lo, value), max(hi, value), n, units)


def mean(values: Sequence[float], clusters: Sequence[Hashable] | None = None, seed: int = 0) -> Estimate:
    """Mean of real values with a cluster-bootstrap 95 % interval (by item when no clusters)."""
    arr = np.asarray(values, dtype=np.float64)
    n = int(arr.size)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, 0)
    keys = list(range(n)) if clusters is None else list(clusters)
    lo, hi = _cluster_bootstrap(lambda idx: float(arr[idx].mean()), keys, seed)
    value = float(arr.mean())
    return Estimate(value, min(lo, value), max(hi, value), n, len(set(keys)))


def paired_difference(a: Sequence[float], b: Sequence[float], clusters: Sequence[Hashable] | None = None, seed: int = 0, rates: bool = False) -> Estimate:
    """mean(a) − mean(b) over the same items, with a paired cluster-bootstrap 95 % interval.

    Resampling the same prompts for both sides keeps the pairing, so the interval is that of the
    difference, far narrower than two separate intervals would suggest. With `rates` (both sides in
    [0, 1], so the difference is in [−1, 1]) a bootstrap without spread (every prompt differs the
    same way, as one prompt always does) falls back to the Wilson interval of (d + 1) / 2 over the
    prompts: one prompt is not certainty.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"paired_difference needs items of the same length, got {x.size} and {y.size}")
    e = mean(x - y, clusters, seed)
    if rates and e.n and e.hi - e.lo <= 1e-12:
        lo, hi = wilson((e.value + 1) / 2 * e.units, e.units)
        return Estimate(e.value, 2 * lo - 1, 2 * hi - 1, e.n, e.units)
    return e


def _cluster_bootstrap(statistic: Callable[[np.ndarray], float], keys: Sequence[Hashable], seed: int,
                       resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of the statistic over resamples of the clusters."""
    order: dict[Hashable, list[int]] = {}
    for i, k in enumerate(keys):
        order.setdefault(k, []).append(i)
    members = [np.asarray(v, dtype=np.int64) for v in order.values()]
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples, dtype=np.float64)
    for b in range(resamples):
        picked = rng.integers(0, len(members), size=len(members))
        stats[b] = statistic(np.concatenate([members[j] for j in picked]))
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- classifiers


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> list[list[int]]:
    """Rows are the true class, columns the predicted one, both in `classes` order."""
    index = {c: i for i, c in enumerate(classes)}
    m = [[0] * len(classes) for _ in classes]
    for t, p in zip(truth, predicted, strict=True):
        m[index[t]][index[p]] += 1
    return m


def class_report(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, confusion matrix and per-class precision / recall / F1.

    A class with no true examples has recall null; one never predicted has precision null; F1 is
    null when either is, and 0 when both are 0.
    """
    m = confusion_matrix(truth, predicted, classes)
    per_class: dict[str, Any] = {}
    for i, c in enumerate(classes):
        tp, support, made = m[i][i], sum(m[i]), sum(row[i] for row in m)
        precision = tp / made if made else None
        recall = tp / support if support else None
        if precision is None or recall is None:
            f1 = None
        else:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": support, "predicted": made}
    n = len(truth)
    correct = sum(m[i][i] for i in range(len(classes)))
    return {"accuracy": correct / n if n else None, "examples": n, "per_class": per_class, "confusion": m}


def cohen_kappa(a: Sequence[str], b: Sequence[str], classes: Sequence[str]) -> float | None:
    """Cohen's kappa of two label sequences over the same items: (p_o − p_e) / (1 − p_e).

    None with no items; 1.0 when both raters always agree on a single class (p_e = 1, nothing
    to correct for chance).
    """
    m = confusion_matrix(a, b, classes)
    n = sum(map(sum, m))
    if n == 0:
        return None
    p_o = sum(m[i][i] for i in range(len(classes))) / n
    p_e = sum(sum(m[i]) * sum(row[i] for row in m) for i in range(len(classes))) / (n * n)
    if p_e >= 1:
        return 1.0 if p_o >= 1 else 0.0
    return (p_o - p_e) / (1 - p_e)


def rater_pairs(labels: dict[Hashable, list[str]]) -> tuple[list[str], list[str]]:
    """Every pair of two labels given to the same item, in both orders.

    Cohen's kappa over these pairs is the pairwise inter-annotator agreement when items have two
    or more labels from different annotators (both orders make it symmetric in the raters).
    """
    first: list[str] = []
    second: list[str] = []
    for values in labels.values():
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                first += [values[i], values[j]]
                second += [values[j], values[i]]
    return first, second


def kappa(a: Sequence[str], b: Sequence[str], classes: Sequence[str], clusters: Sequence[Hashable] | None = None, seed: int = 0) -> Estimate | None:
    """Cohen's kappa with a 95 % interval from a bootstrap over clusters (items when none given)."""
    n = len(a)
    value = cohen_kappa(a, b, classes)
    if value is None:
        return None
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    x = np.asarray([index[v] for v in a], dtype=np.int64)
    y = np.asarray([index[v] for v in b], dtype=np.int64)

    def statistic(idx: np.ndarray) -> float:
        m = np.bincount(x[idx] * k + y[idx], minlength=k * k).reshape(k, k).astype(np.float64)
        total = m.sum()
        p_o = np.trace(m) / total
        p_e = float((m.sum(1) * m.sum(0)).sum()) / (total * total)
        return (1.0 if p_o >= 1 else 0.0) if p_e >= 1 else (p_o - p_e) / (1 - p_e)

    keys = list(range(n)) if clusters is None else list(clusters)
    lo, hi = _cluster_bootstrap(statistic, keys, seed)
    return Estimate(value, min(lo, value), max(hi, value), n, len(set(keys)))
