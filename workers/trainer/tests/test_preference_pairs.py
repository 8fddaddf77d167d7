"""The preference pairs of rankings records, against the fixture the platform's tests read too
(server/test/corpus/preference-pairs.json): the trainer takes a record's `pairs` as the platform
derived them, and derives the same itself only for records of schema version 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.data import read_rankings
from trainer.errors import TrainerError

FIXTURE = Path(__file__).resolve().parents[3] / "server" / "test" / "corpus" / "preference-pairs.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


def _record(case: dict, with_pairs: bool) -> dict:
    rank = {rid: i for i, group in enumerate(case["ranking"]) for rid in group}
    record = {
        "id": case["name"],
        "prompt": [{"role": "user", "content": "Which is better?"}],
        "responses": [{"id": rid, "content": f"response {rid}", "rank": rank[rid], "rubric": None} for rid in sorted(rank)],
        "strengths": case["strengths"],
        "safety": {},
    }
    if with_pairs:
        record["pairs"] = case["pairs"]
    return record


def _read(tmp_path: Path, records: list[dict]):
    path = tmp_path / "rankings.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return read_rankings(path)


def _as_ids(record) -> list[tuple[str, str, float, str]]:
    return [
        (record.responses[b].id, record.responses[w].id, margin, record.pair_strength(b, w))
        for b, w, margin in record.pairs()
    ]


def _expected(case: dict) -> list[tuple[str, str, float, str]]:
    return [(p["chosen"], p["rejected"], p["margin"], p["strength"]) for p in case["pairs"]]


def _same(actual, expected):
    assert [(c, r, s) for c, r, _, s in actual] == [(c, r, s) for c, r, _, s in expected]
    assert [m for *_, m, _ in actual] == pytest.approx([m for *_, m, _ in expected], abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_records_with_pairs_give_exactly_those_pairs(case, tmp_path):
    [record] = _read(tmp_path, [_record(case, with_pairs=True)])
    _same(_as_ids(record), _expected(case))


@pytest.mark.parametrize("case", [c for c in CASES if c["legacy"]], ids=[c["name"] for c in CASES if c["legacy"]])
def test_schema_1_records_derive_the_same_pairs(case, tmp_path):
    [record] = _read(tmp_path, [_record(case, with_pairs=False)])
    _same(sorted(_as_ids(record)), sorted(_expected(case)))


def test_a_pair_against_the_ranks_is_refused(tmp_path):
    case = CASES[0]
    record = _record(case, with_pairs=True)
    record["pairs"] = [{"chosen": "c", "rejected": "a", "margin": 1, "strength": "clear"}]
    with pytest.raises(TrainerError, match=r"rankings.jsonl:1: a pair contradicts the ranks: c > a"):
        _read(tmp_path, [record])
    record["pairs"] = [{"chosen": "a", "rejected": "z", "margin": 1, "strength": "clear"}]
    with pytest.raises(TrainerError, match="names a response the record does not have"):
        _read(tmp_path, [record])
