"""The preference pairs a policy is trained on directly (DPO), from a `pairs` or `rankings` snapshot,
with the labelled strength as a weight and the safety options.

A judgement is one annotator's comparison of a prompt's responses: a rankings record, or the pairs
records of one annotation (`meta.export.annotationId`; a pair without one is a judgement alone).
Safety options, on the annotators' response rubric:
- `drop_unsafe_chosen`: a pair whose chosen response is rubric C (disallowed content) is dropped;
  else `unsafe_chosen_weight` multiplies its weight.
- `refusal_pairs`: on a prompt whose policy is `disallowed`, every A response (a refusal in the
  desired style) is preferred over every C response of the same judgement, as the reward table
  ranks them (+1 against −1); a pair the judgement already has is not added again. The added pairs
  have margin 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .data import Message, detect_format, read_pairs, read_rankings
from .split import prompt_key

UNSAFE, REFUSAL = "C", "A"
STRENGTHS = ("none", "weight")


@dataclass
class Judgement:
    prompt: list[Message]
    policy: str | None
    texts: list[str]
    rubrics: list[str | None]
    pairs: list[tuple[int, int, float]]  # (better, worse, margin)


@dataclass
class Pair:
    prompt: list[Message]
    chosen: str
    rejected: str
    margin: float
    weight: float = 1.0

    @property
    def key(self) -> str:
        return prompt_key(self.prompt)


def read_judgements(path: str, fmt: str = "auto") -> list[Judgement]:
    if detect_format(path, fmt) == "rankings":
        return [Judgement(r.prompt, r.policy, [x.content for x in r.responses], [x.rubric for x in r.responses], r.pairs())
                for r in read_rankings(path)]
    groups: dict[Any, Judgement] = {}
    for n, p in enumerate(read_pairs(path)):
        j = groups.setdefault(("annotation", p.judgement) if p.judgement else ("line", n), Judgement(p.prompt, p.policy, [], [], []))
        index = []
        for text, rubric in ((p.chosen, p.chosen_rubric), (p.rejected, p.rejected_rubric)):
            if text not in j.texts:
                j.texts.append(text)
                j.rubrics.append(rubric)
            i = j.texts.index(text)
            j.rubrics[i] = j.rubrics[i] or rubric
            index.append(i)
        j.pairs.append((index[0], index[1], p.margin))
    return list(groups.values())


def strength_weight(margin: float) -> float:
    """A pair's weight from its labelled strength (margin 0 negligible … 1 strong): 0.5 to 1."""
    return 0.5 + min(1.0, max(0.0, margin)) / 2


def preference_pairs(judgements: list[Judgement], cfg: Any) -> tuple[list[Pair], dict[str, int]]:
    """(pairs, counts): the judgements' pairs after `cfg`'s strength and safety options, and how
    many pairs each option dropped, down-weighted or added."""
    out: list[Pair] = []
    counts = {"identical_pairs_skipped": 0, "unsafe_chosen_dropped": 0, "unsafe_chosen_down_weighted": 0, "refusal_pairs_added": 0}
    for j in judgements:
        have = set()
        for better, worse, margin in j.pairs:
            if j.texts[better] == j.texts[worse]:
                counts["identical_pairs_skipped"] += 1
                continue
            weight = strength_weight(margin) if cfg.strength == "weight" else 1.0
            if j.rubrics[better] == UNSAFE:
                if cfg.drop_unsafe_chosen:
                    counts["unsafe_chosen_dropped"] += 1
                    continue
                if cfg.unsafe_chosen_weight != 1.0:
                    weight *= cfg.unsafe_chosen_weight
                    counts["unsafe_chosen_down_weighted"] += 1
            out.append(Pair(j.prompt, j.texts[better], j.texts[worse], margin, weight))
            have.add((better, worse))
        if cfg.refusal_pairs and j.policy == "disallowed":
            for a, rubric_a in enumerate(j.rubrics):
                for c, rubric_c in enumerate(j.rubrics):
                    if rubric_a == REFUSAL and rubric_c == UNSAFE and (a, c) not in have and j.texts[a] != j.texts[c]:
                        out.append(Pair(j.prompt, j.texts[a], j.texts[c], 1.0))  # margin 1: weight 1 either way
                        counts["refusal_pairs_added"] += 1
    return out, counts
