"""The labelled responses KTO trains on (a prompt, one response, desirable or not), from a `kto`,
`rankings` or `pairs` snapshot.

A `kto` snapshot carries the labels the platform gave. Rankings and pairs get them here, by the same
mapping (`kto_label`), response by response, the first rule that applies deciding:
1. rubric C (disallowed content) → undesirable;
2. rubric A or B (a refusal) on a prompt whose policy is `allowed` → undesirable (over-refusal);
3. an imported thumbs up or down (a rankings response's `label`) → that label;
4. the top rank group → desirable; the bottom rank group → undesirable;
5. anything else (a middle group, an unranked response, a ranking that ties everything) → no record.
A rankings record is one judgement: each of its responses gets a record of its own. A pairs
snapshot gives one record per distinct response of a prompt: a response only ever chosen is "top",
one only ever rejected is "bottom", one both chosen and rejected is in the middle (no record); a
response keeps the first rubric and prompt policy its pairs name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .data import Message, detect_format, read_kto, read_pairs, read_rankings
from .split import prompt_key

UNSAFE, REFUSALS = "C", ("A", "B")
LAYOUTS = ("kto", "rankings", "pairs")


@dataclass
class Labelled:
    prompt: list[Message]
    completion: str
    label: bool

    @property
    def key(self) -> str:
        return prompt_key(self.prompt)


def kto_label(position: str | None, rubric: str | None, policy: str | None, thumb: bool | None) -> tuple[bool | None, str]:
    """(label, the rule that gave it) of one response: `position` is "top", "bottom" or None (in
    between, unranked); `thumb` an imported thumbs label. The label is None where no rule applies."""
    if rubric == UNSAFE:
        return False, "unsafe"
    if rubric in REFUSALS and policy == "allowed":
        return False, "refused_allowed"
    if thumb is not None:
        return thumb, "thumb"
    if position == "top":
        return True, "top"
    if position == "bottom":
        return False, "bottom"
    return None, "unlabelled"


def _rank_position(rank: int | None, ranks: list[int]) -> str | None:
    if rank is None or min(ranks) == max(ranks):
        return None
    return "top" if rank == min(ranks) else "bottom" if rank == max(ranks) else None


def read_labelled(path: str, fmt: str = "auto") -> tuple[list[Labelled], Counter[str]]:
    """(records, how many responses each rule labelled): a kto snapshot's records as they are
    (counted under "kto"), or those the mapping gives a rankings or pairs snapshot."""
    layout = detect_format(path, fmt, LAYOUTS)
    out: list[Labelled] = []
    rules: Counter[str] = Counter()

    def add(prompt: list[Message], completion: str, position: str | None, rubric: str | None, policy: str | None,
            thumb: bool | None = None) -> None:
        label, rule = kto_label(position, rubric, policy, thumb)
        rules[rule] += 1
        if label is not None:
            out.append(Labelled(prompt, completion, label))

    if layout == "kto":
        out = [Labelled(r.prompt, r.completion, r.label) for r in read_kto(path)]
        rules["kto"] = len(out)
    elif layout == "rankings":
        for record in read_rankings(path):
            ranks = [r.rank for r in record.responses if r.rank is not None]
            for r in record.responses:
                add(record.prompt, r.content, _rank_position(r.rank, ranks), r.rubric, record.policy, r.label)
    else:
        # prompt → response text → (sides it was on, rubric, policy), in the order they first appear
        seen: dict[str, dict[str, tuple[set[str], str | None, str | None]]] = {}
        prompts: dict[str, list[Message]] = {}
        for p in read_pairs(path):
            key = prompt_key(p.prompt)
            prompts.setdefault(key, p.prompt)
            responses = seen.setdefault(key, {})
            for text, side, rubric in ((p.chosen, "top", p.chosen_rubric), (p.rejected, "bottom", p.rejected_rubric)):
                sides, had_rubric, had_policy = responses.get(text, (set(), None, None))
                responses[text] = (sides | {side}, had_rubric or rubric, had_policy or p.policy)
        for key, responses in seen.items():
            for text, (sides, rubric, policy) in responses.items():
                add(prompts[key], text, next(iter(sides)) if len(sides) == 1 else None, rubric, policy)
    return out, rules
