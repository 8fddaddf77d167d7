"""Reading dataset snapshot files (the JSON-lines layouts the export API serves).

Every reader checks each line and stops at the first bad one with `file:line: what is wrong`, so
a malformed snapshot never trains half a model. Layouts: `rankings`, `pairs`, `kto` (one labelled
response a record), `sft`, `prompts` (`{"prompt": [messages], "policy"?: …}`; rankings and pairs
records are accepted as prompts too) and `pool` (unlabelled tasks: a prompt and its responses).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TrainerError

Message = dict[str, str]
ROLES = ("system", "user", "assistant", "tool")
POLICIES = ("allowed", "sensitive", "disallowed")
RUBRICS = ("A", "B", "C", "D")
# Llama 2 margin table, for snapshots of schema version 1 only: since version 2 every rankings
# record carries the pairs the platform derived (server/annotation/ranking.ts, derivePairs), and
# the trainer reads them instead of deriving its own.
STRENGTH_MARGIN = {"strong": 1.0, "clear": 2 / 3, "slight": 1 / 3, "negligible": 0.0}


@dataclass
class ExportedPair:
    chosen: str  # response ids
    rejected: str
    margin: float
    strength: str


@dataclass
class RankedResponse:
    id: str
    content: str
    rank: int | None
    rubric: str | None
    label: bool | None = None  # an imported thumbs up (true) or down (false), where the record has one


@dataclass
class RankingRecord:
    id: str
    prompt: list[Message]
    responses: list[RankedResponse]
    strengths: list[str]
    policy: str | None
    harm_category: str | None
    source: str | None = None
    judgement: str | None = None  # the annotation it comes from (meta.export.annotationId)
    exported_pairs: list[ExportedPair] | None = None  # the record's `pairs` (schema version 2 on)

    def pairs(self) -> list[tuple[int, int, float]]:
        """(better index, worse index, margin) for every non-tied pair of ranked responses: the
        record's own pairs, in their order; derived for records of schema version 1."""
        if self.exported_pairs is not None:
            index = {r.id: i for i, r in enumerate(self.responses)}
            return [(index[p.chosen], index[p.rejected], p.margin) for p in self.exported_pairs]
        return self._legacy_pairs()

    def _legacy_pairs(self) -> list[tuple[int, int, float]]:
        """Schema version 1: a pair across several steps gets the sum of the steps' margins capped
        at 1, as the platform derives pairs, so a distant pair never has a smaller margin."""
        step_margin = [STRENGTH_MARGIN.get(s, 0.0) for s in self.strengths]
        out = []
        for i, a in enumerate(self.responses):
            for j, b in enumerate(self.responses):
                if a.rank is None or b.rank is None or a.rank >= b.rank:
                    continue
                out.append((i, j, min(1.0, sum(step_margin[a.rank : b.rank]))))
        return out

    def pair_strength(self, better: int, worse: int) -> str:
        """The labelled strength of a pair: the strongest step between its two ranks, as the
        platform's export names it; "imported" when a step between them has no strength."""
        if self.exported_pairs is not None:
            chosen, rejected = self.responses[better].id, self.responses[worse].id
            return next(p.strength for p in self.exported_pairs if p.chosen == chosen and p.rejected == rejected)
        lo, hi = self.responses[better].rank, self.responses[worse].rank
        steps = self.strengths[lo:hi] if lo is not None and hi is not None else []
        if not steps or any(s not in STRENGTH_MARGIN for s in steps):
            return "imported"
        return max(steps, key=lambda s: STRENGTH_MARGIN[s])


@dataclass
class PairRecord:
    id: str
    prompt: list[Message]
    chosen: str
    rejected: str
    margin: float
    policy: str | None = None
    chosen_rubric: str | None = None
    rejected_rubric: str | None = None
    category: str | None = None  # the harm category, else the source (what the training eval groups by)
    harm_category: str | None = None
    source: str | None = None
    strength: str | None = None  # meta.export.strength of an exported pair; None for a file's own pairs
    judgement: str | None = None  # the annotation it comes from (meta.export.annotationId)


@dataclass
class KtoRecord:
    id: str
    prompt: list[Message]
    completion: str
    label: bool  # desirable (true) or undesirable (false)
    policy: str | None = None
    source: str | None = None
    judgement: str | None = None  # the annotation it comes from (meta.export.annotationId)
    response: str | None = None  # meta.export.responseId
    reason: str | None = None  # meta.export.reason: which rule of the platform's mapping gave the label


@dataclass
class SftRecord:
    messages: list[Message]


@dataclass
class PromptRecord:
    id: str
    prompt: list[Message]
    policy: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class PoolResponse:
    id: str
    text: str


@dataclass
class PoolTask:
    """An unlabelled task: a prompt and the responses an annotator would rank."""

    task_id: str
    prompt: list[Message]
    responses: list[PoolResponse]


class _Line:
    def __init__(self, path: Path, number: int, value: Any) -> None:
        self.path, self.number, self.value = path, number, value

    def fail(self, what: str) -> TrainerError:
        return TrainerError(f"{self.path}:{self.number}: {what}")

    def get(self, key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        if key not in self.value or self.value[key] is None:
            if optional:
                return None
            raise self.fail(f"missing {key!r}")
        v = self.value[key]
        if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
            raise self.fail(f"{key!r} must be {getattr(kind, '__name__', kind)}, got {type(v).__name__}")
        return v

    def messages(self, key: str, value: Any = None) -> list[Message]:
        msgs = self.value.get(key) if value is None else value
        if not isinstance(msgs, list) or not msgs:
            raise self.fail(f"{key!r} must be a non-empty list of {{role, content}} messages")
        out = []
        for m in msgs:
            if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                raise self.fail(f"{key!r} holds a message that is not {{role: {'|'.join(ROLES)}, content: string}}")
            out.append({"role": m["role"], "content": m["content"]})
        return out


def _lines(path: str | Path) -> Iterator[_Line]:
    p = Path(path)
    if not p.is_file():
        raise TrainerError(f"snapshot file {p} does not exist")
    count = 0
    with p.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as e:
                raise TrainerError(f"{p}:{number}: not valid JSON ({e.msg})") from None
            if not isinstance(value, dict):
                raise TrainerError(f"{p}:{number}: each line must be a JSON object")
            count += 1
            yield _Line(p, number, value)
    if count == 0:
        raise TrainerError(f"snapshot file {p} has no records")


def _assistant_text(line: _Line, key: str) -> str:
    turn = line.messages(key)
    if len(turn) != 1 or turn[0]["role"] != "assistant":
        raise line.fail(f"{key!r} must be exactly one assistant message")
    return turn[0]["content"]


def _policy(line: _Line, safety: Any) -> str | None:
    if not isinstance(safety, dict):
        return None
    policy = safety.get("promptPolicy")
    if policy is not None and policy not in POLICIES:
        raise line.fail(f"safety.promptPolicy must be one of {', '.join(POLICIES)}")
    return policy


def _export_meta(line: _Line) -> dict[str, Any]:
    meta = line.value.get("meta")
    export = meta.get("export") if isinstance(meta, dict) else None
    return export if isinstance(export, dict) else {}


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# The key that tells each snapshot layout apart, in its first record.
LAYOUT_KEYS = {"rankings": "responses", "pairs": "chosen", "kto": "label"}


def detect_format(path: str, fmt: str = "auto", layouts: tuple[str, ...] = ("rankings", "pairs")) -> str:
    """One of `layouts`: as configured, else from the first record's keys."""
    if fmt != "auto":
        return fmt
    p = Path(path)
    if not p.is_file():
        raise TrainerError(f"snapshot file {p} does not exist")
    with p.open(encoding="utf-8") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                first = json.loads(raw)
            except json.JSONDecodeError:
                return layouts[-1]  # the reader names the bad line
            found = next((layout for layout, key in LAYOUT_KEYS.items() if isinstance(first, dict) and key in first), None)
            if found in layouts:
                return found
            if found is not None:
                raise TrainerError(f"{p}:1: a {found} record; this command reads {' or '.join(layouts)} snapshots")
            keys = ", ".join(f"a {layout} record has {LAYOUT_KEYS[layout]!r}" for layout in layouts)
            raise TrainerError(f"{p}:1: cannot tell the layout: {keys}; set --format")
    raise TrainerError(f"snapshot file {p} has no records")


def read_rankings(path: str | Path) -> list[RankingRecord]:
    records = []
    for line in _lines(path):
        responses = line.get("responses", list)
        if len(responses) < 2:
            raise line.fail("'responses' needs at least two responses")
        parsed = []
        for r in responses:
            if not isinstance(r, dict) or not isinstance(r.get("content"), str):
                raise line.fail("each response needs a string 'content'")
            rank = r.get("rank")
            if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 0):
                raise line.fail("a response's 'rank' must be a non-negative integer or null")
            rubric = r.get("rubric")
            if rubric is not None and rubric not in RUBRICS:
                raise line.fail(f"a response's 'rubric' must be one of {', '.join(RUBRICS)} or null")
            label = r.get("label")
            if label is not None and not isinstance(label, bool):
                raise line.fail("a response's 'label' must be true, false or null")
            parsed.append(RankedResponse(id=str(r.get("id", len(parsed))), content=r["content"], rank=rank, rubric=rubric, label=label))
        strengths = line.value.get("strengths") or []
        if not isinstance(strengths, list) or not all(isinstance(s, str) for s in strengths):
            raise line.fail("'strengths' must be a list of strings")
        safety = line.value.get("safety") or {}
        exported = _exported_pairs(line, parsed)
        records.append(
            RankingRecord(
                id=str(line.value.get("id", line.number)),
                prompt=line.messages("prompt"),
                responses=parsed,
                strengths=strengths,
                policy=_policy(line, safety),
                harm_category=safety.get("harmCategory") if isinstance(safety, dict) else None,
                source=_optional_str(line.value.get("source")),
                judgement=_optional_str(_export_meta(line).get("annotationId")),
                exported_pairs=exported,
            )
        )
    return records


def _exported_pairs(line: _Line, responses: list[RankedResponse]) -> list[ExportedPair] | None:
    """A rankings record's `pairs` (schema version 2), checked against its responses and ranks."""
    raw = line.value.get("pairs")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise line.fail("'pairs' must be a list of {chosen, rejected, margin, strength}")
    rank = {r.id: r.rank for r in responses}
    out = []
    for p in raw:
        if not isinstance(p, dict) or not isinstance(p.get("chosen"), str) or not isinstance(p.get("rejected"), str):
            raise line.fail("each of 'pairs' needs string 'chosen' and 'rejected' response ids")
        margin = p.get("margin")
        if not isinstance(margin, (int, float)) or isinstance(margin, bool):
            raise line.fail("each of 'pairs' needs a number 'margin'")
        chosen, rejected = rank.get(p["chosen"], -1), rank.get(p["rejected"], -1)
        if chosen == -1 or rejected == -1:
            raise line.fail(f"a pair names a response the record does not have ({p['chosen']} > {p['rejected']})")
        if chosen is None or rejected is None or chosen >= rejected:
            raise line.fail(f"a pair contradicts the ranks: {p['chosen']} > {p['rejected']}")
        out.append(ExportedPair(p["chosen"], p["rejected"], float(margin), str(p.get("strength") or "imported")))
    return out


def read_pairs(path: str | Path) -> list[PairRecord]:
    records = []
    for line in _lines(path):
        margin = line.value.get("margin", 0.0)
        if not isinstance(margin, (int, float)) or isinstance(margin, bool):
            raise line.fail("'margin' must be a number")
        safety = line.value.get("safety") or {}
        rubric = safety.get("rubric") if isinstance(safety, dict) else None
        meta = line.value.get("meta") if isinstance(line.value.get("meta"), dict) else {}
        export = meta.get("export") if isinstance(meta.get("export"), dict) else {}
        chosen_id, rejected_id = export.get("chosenId"), export.get("rejectedId")
        records.append(
            PairRecord(
                id=str(line.value.get("id", line.number)),
                prompt=line.messages("prompt"),
                chosen=_assistant_text(line, "chosen"),
                rejected=_assistant_text(line, "rejected"),
                margin=float(margin),
                policy=_policy(line, safety),
                chosen_rubric=rubric.get(chosen_id) if isinstance(rubric, dict) and chosen_id else None,
                rejected_rubric=rubric.get(rejected_id) if isinstance(rubric, dict) and rejected_id else None,
                category=(safety.get("harmCategory") if isinstance(safety, dict) else None) or line.value.get("source"),
                harm_category=_optional_str(safety.get("harmCategory")) if isinstance(safety, dict) else None,
                source=_optional_str(line.value.get("source")),
                strength=_optional_str(export.get("strength")),
                judgement=_optional_str(export.get("annotationId")),
            )
        )
    return records


def read_kto(path: str | Path) -> list[KtoRecord]:
    records = []
    for line in _lines(path):
        prompt = line.messages("prompt")
        if prompt[-1]["role"] == "assistant":
            raise line.fail("'prompt' must not end with an assistant message (that is the completion)")
        label = line.get("label", bool)
        export = _export_meta(line)
        for key in ("annotationId", "responseId", "reason"):
            if export.get(key) is not None and not isinstance(export[key], str):
                raise line.fail(f"meta.export.{key} must be a string")
        records.append(
            KtoRecord(
                id=str(line.value.get("id", line.number)),
                prompt=prompt,
                completion=_assistant_text(line, "completion"),
                label=label,
                policy=_policy(line, line.value.get("safety")),
                source=_optional_str(line.value.get("source")),
                judgement=_optional_str(export.get("annotationId")),
                response=_optional_str(export.get("responseId")),
                reason=_optional_str(export.get("reason")),
            )
        )
    return records


def read_sft(path: str | Path) -> list[SftRecord]:
    records = []
    for line in _lines(path):
        messages = line.messages("messages")
        if messages[-1]["role"] != "assistant":
            raise line.fail("the last message must be the assistant's (the demonstration)")
        records.append(SftRecord(messages=messages))
    return records


def read_prompts(path: str | Path) -> list[PromptRecord]:
    records = []
    for line in _lines(path):
        safety = line.value.get("safety") or {}
        policy = line.value.get("policy")
        if policy is None:
            policy = _policy(line, safety)
        elif policy not in POLICIES:
            raise line.fail(f"'policy' must be one of {', '.join(POLICIES)}")
        prompt = line.messages("prompt")
        if prompt[-1]["role"] == "assistant":
            raise line.fail("a prompt must not end with an assistant message")
        meta = line.value.get("meta") if isinstance(line.value.get("meta"), dict) else {}
        records.append(PromptRecord(id=str(line.value.get("id", line.number)), prompt=prompt, policy=policy, meta=meta))
    return records


def render(tokenizer: Any, messages: list[Message], add_generation_prompt: bool = False) -> str:
    """A conversation as the model's text: its chat template when it has one, else `role: content` lines."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    text = "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages)
    return text + ("\n\nAssistant:" if add_generation_prompt else "")


def read_pool(path: str | Path) -> list[PoolTask]:
    """`{"task_id", "prompt": [messages], "responses": [{"id", "text"}, …]}` per line, two or more
    responses each; task ids are unique in the file, response ids within their task."""
    tasks = []
    seen: set[str] = set()
    for line in _lines(path):
        task_id = line.get("task_id", str)
        if task_id in seen:
            raise line.fail(f"task_id {task_id!r} appears twice")
        seen.add(task_id)
        responses = line.get("responses", list)
        if len(responses) < 2:
            raise line.fail(f"task {task_id!r} has {len(responses)} response(s); comparing needs at least two")
        parsed = []
        for r in responses:
            if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not isinstance(r.get("text"), str):
                raise line.fail("each response needs a string 'id' and a string 'text'")
            parsed.append(PoolResponse(r["id"], r["text"]))
        if len({r.id for r in parsed}) != len(parsed):
            raise line.fail(f"task {task_id!r} has two responses with the same id")
        tasks.append(PoolTask(task_id=task_id, prompt=line.messages("prompt"), responses=parsed))
    return tasks
