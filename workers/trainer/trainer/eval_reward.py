"""How well a reward model agrees with people, against baselines that learned nothing.

Pair accuracy on held-out comparisons (a tie in score counts half), each with a 95 % interval
resampled by prompt, next to two rules computed on the same pairs: "the longer answer wins" and
"the shorter answer wins". On harmless-style data the shorter answer wins over half the pairs, so
a model that does not beat the better of the two rules has shown nothing beyond length; the
report says so in words. With a second model (the parent or previous version) its accuracy on
the same pairs and the paired difference are reported too. Accuracy is also broken down by prompt
policy, harm category, source and labelled preference strength, and calibrated as reliability
bins of sigmoid(r_chosen − r_rejected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .data import Message, read_pairs, read_rankings
from .losses import calibration_bins, expected_calibration_error
from .split import prompt_key, split_by_prompt
from .stats import Estimate, paired_difference, rate

# Slices whose values name a group of pairs; "strength" follows the labelled preference strength.
SLICES = ("policy", "category", "source", "strength")
STRENGTH_ORDER = ("strong", "clear", "slight", "negligible", "imported")


@dataclass
class EvalPair:
    prompt: list[Message]
    chosen: str
    rejected: str
    policy: str | None = None
    category: str | None = None
    source: str | None = None
    strength: str | None = None

    @property
    def key(self) -> str:
        return prompt_key(self.prompt)


def read_eval_pairs(path: str, layout: str) -> list[EvalPair]:
    """Every non-tied comparison of a `rankings` or `pairs` snapshot, with what it is sliced by."""
    if layout == "rankings":
        out = []
        for r in read_rankings(path):
            for better, worse, _ in r.pairs():
                out.append(EvalPair(r.prompt, r.responses[better].content, r.responses[worse].content, r.policy,
                                    r.harm_category, r.source, r.pair_strength(better, worse)))
        return out
    return [EvalPair(p.prompt, p.chosen, p.rejected, p.policy, p.harm_category, p.source, p.strength)
            for p in read_pairs(path) if p.chosen != p.rejected]


def held_out_pairs(pairs: Sequence[EvalPair], split: str, fraction: float) -> list[EvalPair]:
    """The pairs of the prompts a training run with this split held out."""
    return split_by_prompt(pairs, lambda p: p.key, fraction, split)[1]


def outcomes(better: Sequence[float], worse: Sequence[float]) -> list[float]:
    """1 where the first is higher, 0.5 on a tie, 0 otherwise."""
    return [1.0 if b > w else 0.5 if b == w else 0.0 for b, w in zip(better, worse, strict=True)]


def length_outcomes(pairs: Sequence[EvalPair]) -> dict[str, list[float]]:
    """The two length rules' outcomes: characters of the chosen against the rejected answer."""
    longer = outcomes([len(p.chosen) for p in pairs], [len(p.rejected) for p in pairs])
    return {"longer": longer, "shorter": [1.0 - x for x in longer]}


def reward_report(pairs: Sequence[EvalPair], chosen: torch.Tensor, rejected: torch.Tensor,
                  compared: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0) -> dict[str, Any]:
    """Accuracy, baselines, differences, slices and calibration for scored pairs.

    `metrics` maps a name to an estimate (value, 95 % interval, items, prompts);
    `pair_accuracy`, `pairs`, `prompts`, `ece` and `calibration` stay at the top level too.
    """
    keys = [p.key for p in pairs]
    model = outcomes(chosen.tolist(), rejected.tolist())
    rules = length_outcomes(pairs)
    accuracy = rate(model, keys, seed)
    metrics: dict[str, Estimate] = {
        "pair_accuracy": accuracy,
        "baseline/longer": rate(rules["longer"], keys, seed),
        "baseline/shorter": rate(rules["shorter"], keys, seed),
    }
    best_rule = "longer" if metrics["baseline/longer"].value >= metrics["baseline/shorter"].value else "shorter"
    metrics["difference/length_rule"] = paired_difference(model, rules[best_rule], keys, seed, rates=True)
    if compared is not None:
        other = outcomes(compared[0].tolist(), compared[1].tolist())
        metrics["compared/pair_accuracy"] = rate(other, keys, seed)
        metrics["difference/compared"] = paired_difference(model, other, keys, seed, rates=True)
    result: dict[str, Any] = {
        "pair_accuracy": accuracy.value,
        "pairs": accuracy.n,
        "prompts": accuracy.units,
        "mean_score_gap": float((chosen.double() - rejected.double()).mean()),
        "ece": expected_calibration_error(chosen.double(), rejected.double()),
        "calibration": calibration_bins(chosen.double(), rejected.double()),
        "best_length_rule": best_rule,
        "metrics": {name: e.as_dict() for name, e in metrics.items()},
        "slices": slices(pairs, model, rules, seed),
    }
    result["verdict"] = verdict(metrics, best_rule, compared is not None)
    return result


def slices(pairs: Sequence[EvalPair], model: list[float], rules: dict[str, list[float]], seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in SLICES:
        values = [getattr(p, field) for p in pairs]
        names = sorted({v for v in values if v is not None},
                       key=lambda v: (STRENGTH_ORDER.index(v) if v in STRENGTH_ORDER else len(STRENGTH_ORDER), v))
        table = {}
        for name in names:
            idx = [i for i, v in enumerate(values) if v == name]
            keys = [pairs[i].key for i in idx]
            table[name] = {
                "pair_accuracy": rate([model[i] for i in idx], keys, seed).as_dict(),
                "baseline/longer": rate([rules["longer"][i] for i in idx], keys, seed).as_dict(),
                "baseline/shorter": rate([rules["shorter"][i] for i in idx], keys, seed).as_dict(),
            }
        if table:
            out[field] = table
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _points(e: Estimate) -> str:
    return f"{100 * e.value:+.1f} points (95 % interval {100 * e.lo:+.1f} to {100 * e.hi:+.1f})"


def verdict(metrics: dict[str, Estimate], best_rule: str, with_compared: bool) -> list[str]:
    """The report in plain words: chance, the length rule, the compared model, too few prompts."""
    acc, rule, diff = metrics["pair_accuracy"], metrics[f"baseline/{best_rule}"], metrics["difference/length_rule"]
    lines = []
    if acc.units < 30:
        prompts = f"{acc.units} held-out prompt{'' if acc.units == 1 else 's'} ({acc.n} pair{'' if acc.n == 1 else 's'})"
        lines.append(f"Only {prompts}: every interval below is wide; label and hold out more prompts before drawing conclusions.")
    if acc.lo <= 0.5 <= acc.hi:
        lines.append(f"Pair accuracy {_pct(acc.value)} (95 % interval {_pct(acc.lo)} to {_pct(acc.hi)}) is not distinguishable from chance (50 %).")
    rule_name = f"\"the {best_rule} answer wins\""
    if diff.lo > 0:
        lines.append(f"Beats the length rule: {_pct(acc.value)} of held-out pairs right against {_pct(rule.value)} for {rule_name}, "
                     f"{_points(diff)}.")
    elif diff.hi < 0:
        lines.append(f"Worse than the length rule: {_pct(acc.value)} against {_pct(rule.value)} for {rule_name}, {_points(diff)}. "
                     "This model has learned nothing a length count does not do better.")
    else:
        lines.append(f"Does not beat the length rule: {_pct(acc.value)} against {_pct(rule.value)} for {rule_name}, {_points(diff)}, "
                     "an interval that includes zero. This model has not shown it learned more than answer length.")
    if with_compared:
        other, d = metrics["compared/pair_accuracy"], metrics["difference/compared"]
        if d.lo > 0:
            lines.append(f"Better than the compared model ({_pct(other.value)}): {_points(d)}.")
        elif d.hi < 0:
            lines.append(f"Worse than the compared model ({_pct(other.value)}): {_points(d)}.")
        else:
            lines.append(f"No measurable difference from the compared model ({_pct(other.value)}): {_points(d)}.")
    return lines
