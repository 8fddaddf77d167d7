"""How well the safety classifier agrees with the annotators, next to how well they agree with
each other.

Per label kind (prompt policy, response rubric): accuracy against every human label with a 95 %
interval and the majority-class baseline, per-class precision / recall / F1, the confusion matrix,
and Cohen's kappa between the classifier and the people. On items that two or more annotators
labelled, the annotators' own pairwise kappa is the ceiling: a classifier cannot be expected to
agree with a person more than people agree with each other, and one close to that ceiling is as
good as the labels allow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .data import Message, read_pairs, read_rankings
from .rl_math import POLICIES, RUBRICS
from .split import prompt_key, split_by_prompt
from .stats import class_report, kappa, rate, rater_pairs


@dataclass(frozen=True)
class Label:
    item: str  # the prompt (policy) or prompt + response (rubric)
    prompt: str  # the prompt key: items of one prompt are resampled together
    judgement: str  # one annotator's labelling of the task
    value: str


@dataclass
class SafetyLabels:
    prompts: dict[str, list[Message]] = field(default_factory=dict)  # prompt item → prompt
    responses: dict[str, tuple[list[Message], str]] = field(default_factory=dict)  # rubric item → (prompt, response)
    policy: list[Label] = field(default_factory=list)
    rubric: list[Label] = field(default_factory=list)

    _seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, judgement: str, prompt: list[Message], policy: str | None, rubrics: Sequence[tuple[str, str | None]]) -> None:
        """One annotator's labels of one task; a label already taken from this judgement is skipped."""
        key = prompt_key(prompt)
        if policy is not None and (judgement, key) not in self._seen:
            self._seen.add((judgement, key))
            self.prompts[key] = prompt
            self.policy.append(Label(key, key, judgement, policy))
        for response, rubric in rubrics:
            item = f"{key}\0{response}"
            if rubric is None or (judgement, item) in self._seen:
                continue
            self._seen.add((judgement, item))
            self.responses[item] = (prompt, response)
            self.rubric.append(Label(item, key, judgement, rubric))


def read_safety_labels(path: str, layout: str) -> SafetyLabels:
    """Every human policy and rubric label, one per annotator and item.

    A `rankings` record is one annotator's judgement; the pairs of one judgement (same
    `meta.export.annotationId`) repeat its labels, which are counted once.
    """
    labels = SafetyLabels()
    if layout == "rankings":
        for r in read_rankings(path):
            labels.add(r.judgement or r.id, r.prompt, r.policy, [(x.content, x.rubric) for x in r.responses])
    else:
        for p in read_pairs(path):
            labels.add(p.judgement or p.id, p.prompt, p.policy, [(p.chosen, p.chosen_rubric), (p.rejected, p.rejected_rubric)])
    return labels


def held_out_labels(labels: SafetyLabels, split: str, fraction: float) -> SafetyLabels:
    """The labels of the prompts a training run with this split held out."""
    keys = set(split_by_prompt(sorted(labels.prompts.keys() | {x.prompt for x in labels.rubric}), lambda k: k, fraction, split)[1])
    return SafetyLabels(
        prompts={k: v for k, v in labels.prompts.items() if k in keys},
        responses={k: v for k, v in labels.responses.items() if k.split("\0", 1)[0] in keys},
        policy=[x for x in labels.policy if x.prompt in keys],
        rubric=[x for x in labels.rubric if x.prompt in keys],
    )


def agreement_report(labels: Sequence[Label], predicted: dict[str, str], classes: Sequence[str], seed: int = 0) -> dict[str, Any] | None:
    """The classifier's predictions (by item) against every human label of one kind."""
    if not labels:
        return None
    truth = [x.value for x in labels]
    guess = [predicted[x.item] for x in labels]
    clusters = [x.prompt for x in labels]
    majority, _ = Counter(truth).most_common(1)[0]
    report = class_report(truth, guess, classes)
    out: dict[str, Any] = {
        "labels": len(labels),
        "items": len({x.item for x in labels}),
        "majority_class": majority,
        "metrics": {
            "accuracy": rate([float(t == g) for t, g in zip(truth, guess)], clusters, seed).as_dict(),
            "baseline/majority_class": rate([float(t == majority) for t in truth], clusters, seed).as_dict(),
        },
        "per_class": report["per_class"],
        "confusion": report["confusion"],
        "classes": list(classes),
    }
    k = kappa(guess, truth, classes, clusters, seed)
    if k is not None:
        out["metrics"]["kappa/model_vs_human"] = k.as_dict()
    by_item: dict[str, list[str]] = {}
    for x in labels:
        by_item.setdefault(x.item, []).append(x.value)
    multi = {item: values for item, values in by_item.items() if len(values) >= 2}
    out["multi_labelled_items"] = len(multi)
    if multi:
        first, second = rater_pairs(multi)
        owners = [item for item, values in multi.items() for _ in range(len(values) * (len(values) - 1))]
        human = kappa(first, second, classes, owners, seed)
        on_multi = [x for x in labels if x.item in multi]
        model = kappa([predicted[x.item] for x in on_multi], [x.value for x in on_multi], classes, [x.item for x in on_multi], seed)
        if human is not None:
            out["metrics"]["kappa/human_vs_human"] = human.as_dict()
        if model is not None:
            out["metrics"]["kappa/model_vs_human_on_multi"] = model.as_dict()
    return out


def safety_report(labels: SafetyLabels, predicted_policy: dict[str, str], predicted_rubric: dict[str, str], seed: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for of, entries, predicted, classes in (("policy", labels.policy, predicted_policy, POLICIES), ("rubric", labels.rubric, predicted_rubric, RUBRICS)):
        report = agreement_report(entries, predicted, classes, seed)
        if report is not None:
            result[of] = report
    result["verdict"] = safety_verdict(result)
    return result


def safety_verdict(result: dict[str, Any]) -> list[str]:
    lines = []
    names = {"policy": "prompt policy", "rubric": "response rubric"}
    for of, report in result.items():
        if not isinstance(report, dict) or "metrics" not in report:
            continue
        m = report["metrics"]
        acc, base = m["accuracy"], m["baseline/majority_class"]
        line = f"{names[of].capitalize()}: {100 * acc['value']:.1f} % of {report['labels']} human labels matched"
        line += f" (always answering {report['majority_class']!r} matches {100 * base['value']:.1f} %)"
        model_k = m.get("kappa/model_vs_human_on_multi")
        human_k = m.get("kappa/human_vs_human")
        if model_k and human_k:
            line += (f"; on the {report['multi_labelled_items']} items several annotators labelled, kappa with people is "
                     f"{model_k['value']:.2f} against {human_k['value']:.2f} between people (the ceiling)")
        elif "kappa/model_vs_human" in m:
            line += f"; kappa with people {m['kappa/model_vs_human']['value']:.2f} (no item has two annotators' labels, so no ceiling)"
        lines.append(line + ".")
        if acc["lo"] <= base["value"]:
            lines.append(f"The {names[of]} classifier does not clearly beat always answering {report['majority_class']!r}.")
    return lines
