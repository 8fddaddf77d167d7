"""`acquire`: the disagreement arithmetic by hand, then an ensemble of tiny reward models that
really disagree on one kind of response and agree on another."""

import json
import math
import random

import numpy as np
import pytest
import torch

from trainer.__main__ import main
from trainer.acquisition import TaskScore, borderline, pair_disagreement, rank, score_task
from trainer.reward_model import RewardModel, load_tokenizer, score
from trainer.rl_math import RUBRICS
from trainer.safety_model import SafetyModel
from trainer.tiny import make_tiny_encoder

# --------------------------------------------------------------------------- the math, by hand


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_two_members_sure_of_opposite_answers_disagree_with_no_margin():
    disagreement, margin = pair_disagreement(np.array([[1.0, 0.0], [0.0, 1.0]]))
    # p = σ(1) and σ(−1): mean 1/2, population variance (σ(1) − 1/2)².
    assert disagreement == pytest.approx((sigmoid(1) - 0.5) ** 2, abs=1e-15)
    assert margin == 0.0


def test_identical_members_do_not_disagree_and_the_margin_averages_the_pairs():
    disagreement, margin = pair_disagreement(np.array([[2.0, 1.0, 0.0], [2.0, 1.0, 0.0]]))
    assert disagreement == 0.0
    assert margin == pytest.approx((1 + 2 + 1) / 3)


def test_three_members_three_responses_by_hand():
    ln3 = math.log(3)
    # Pairs (0,1), (0,2), (1,2). Member gaps: (0,0,0), (ln3, ln3, 0), (0, −ln3, −ln3), so
    # p = (½,¾,½) var 1/72; (½,¾,¼) var 1/24; (½,½,¼) var 1/72.
    rewards = np.array([[0.0, 0.0, 0.0], [ln3, 0.0, 0.0], [0.0, 0.0, ln3]])
    disagreement, margin = pair_disagreement(rewards)
    assert disagreement == pytest.approx((1 / 72 + 1 / 24 + 1 / 72) / 3, abs=1e-15)
    # Mean gaps ln3/3, 0, −ln3/3.
    assert margin == pytest.approx(2 * ln3 / 9, abs=1e-15)


def test_huge_score_gaps_stay_finite():
    disagreement, margin = pair_disagreement(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]))
    assert disagreement == pytest.approx(0.25) and margin == 0.0


def test_borderline_is_the_most_borderline_response_and_adds_with_its_weight():
    assert borderline(np.array([0.1, 0.4, 0.9])) == pytest.approx(0.8)
    assert borderline(np.array([0.0, 1.0])) == 0.0
    s = score_task("t", np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.1, 0.5]), borderline_weight=0.5)
    assert s.borderline == 1.0 and s.score == pytest.approx(s.disagreement + 0.5)
    assert score_task("t", np.array([[1.0, 0.0], [0.0, 1.0]])).borderline is None


def test_the_ranking_puts_the_highest_score_first_then_the_closer_call_then_the_id():
    rows = [TaskScore("b", 0.1, 0.1, 0.5, None), TaskScore("a", 0.1, 0.1, 0.5, None), TaskScore("c", 0.1, 0.1, 0.2, None),
            TaskScore("d", 0.2, 0.2, 3.0, None)]
    assert [s.task_id for s in rank(rows)] == ["d", "c", "a", "b"]


def test_an_ensemble_of_one_or_a_task_of_one_response_is_refused():
    with pytest.raises(ValueError):
        pair_disagreement(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError):
        pair_disagreement(np.array([[1.0], [0.0]]))


# --------------------------------------------------------------------------- the command, on trained members

FILL = [f"w{i}" for i in range(16)]
WORDS = [*FILL, "good", "bad", "nice", "awful", "tell", "me", "about"]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def pairs(n, seed, nice_wins):
    """Half the pairs are "good" against "bad" (good wins); half "nice" against "awful", won by
    "nice" when `nice_wins`, else by "awful": the members that learn opposite rules for it."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        prompt = [{"role": "user", "content": "tell me about " + " ".join(rng.sample(FILL, 2))}]
        if i % 2 == 0:
            win, lose = "good", "bad"
        else:
            win, lose = ("nice", "awful") if nice_wins else ("awful", "nice")

        def text(word):
            words = rng.choices(FILL, k=rng.randint(2, 5))
            words.insert(rng.randrange(len(words) + 1), word)
            return " ".join(words)

        rows.append({"id": f"p{i}", "prompt": prompt, "chosen": [{"role": "assistant", "content": text(win)}],
                     "rejected": [{"role": "assistant", "content": text(lose)}], "margin": 1.0})
    return rows


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """Three members: two learn "nice" beats "awful" (other data, other seeds), one the opposite;
    all three learn "good" beats "bad"."""
    d = tmp_path_factory.mktemp("ensemble")
    encoder = make_tiny_encoder(d / "enc", WORDS, seed=0)
    members = []
    for name, seed, nice_wins in (("a", 1, True), ("b", 2, True), ("flipped", 3, False)):
        data = write(d / f"{name}.jsonl", pairs(160, seed, nice_wins))
        out = d / name
        code = main(["reward", "--data", str(data), "--model", str(encoder), "--output-dir", str(out), "--epochs", "4", "--batch-size", "8",
                     "--lr", "3e-3", "--eval-fraction", "0", "--max-length", "32", "--seed", str(seed)])
        assert code == 0
        members.append(out / "model")
    return {"dir": d, "encoder": encoder, "members": members}


def pool_rows():
    prompt = [{"role": "user", "content": "tell me about w3 w4"}]
    return [
        {"task_id": "agreed", "prompt": prompt, "responses": [{"id": "x", "text": "w1 good w2"}, {"id": "y", "text": "w5 bad w6"}]},
        {"task_id": "disputed", "prompt": prompt, "responses": [{"id": "x", "text": "w1 nice w2"}, {"id": "y", "text": "w5 awful w6"}]},
        {"task_id": "mixed", "prompt": prompt, "responses": [{"id": "x", "text": "w7 good"}, {"id": "y", "text": "nice w8"},
                                                             {"id": "z", "text": "awful w9 w10"}]},
    ]


def test_the_task_the_members_disagree_on_is_ranked_first(tmp_path, ensemble, capsys):
    capsys.readouterr()
    pool = write(tmp_path / "pool.jsonl", pool_rows())
    out = tmp_path / "acq"
    assert main(["acquire", "--pool", str(pool), "--reward-models", json.dumps([str(m) for m in ensemble["members"]]),
                 "--output-dir", str(out)]) == 0
    done = events(capsys)[-1]
    assert done["event"] == "done" and done["tasks"] == 3 and done["members"] == 3 and done["output"] == str(out / "acquisition.jsonl")
    rows = [json.loads(line) for line in (out / "acquisition.jsonl").read_text().splitlines()]
    assert done["top"] == rows
    by_id = {r["task_id"]: r for r in rows}
    print({k: (round(r["disagreement"], 4), round(r["margin"], 3)) for k, r in by_id.items()})
    assert rows[0]["task_id"] == "disputed"
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    # Two members sure "nice" wins and one sure it loses: the variance of (1, 1, 0) is 2/9.
    assert by_id["disputed"]["disagreement"] > 0.1
    assert by_id["agreed"]["disagreement"] < 0.02
    assert by_id["agreed"]["margin"] > by_id["disputed"]["margin"]
    assert all(r["borderline"] is None and r["score"] == r["disagreement"] for r in rows)

    # The three-response task's figures are those of its own rewards (raw scores, its pairs only).
    members = [(RewardModel.load(m).eval(), load_tokenizer(m)) for m in ensemble["members"]]
    mixed = pool_rows()[2]
    rewards = np.stack([score(m, t, [mixed["prompt"]] * 3, [r["text"] for r in mixed["responses"]], normalise=False).double().numpy()
                        for m, t in members])
    disagreement, margin = pair_disagreement(rewards)
    assert by_id["mixed"]["disagreement"] == pytest.approx(disagreement, rel=1e-4)
    assert by_id["mixed"]["margin"] == pytest.approx(margin, rel=1e-4)


def test_a_safety_model_adds_the_weighted_borderline_term(tmp_path, ensemble, capsys):
    # Rubric logits fixed at (0, 0, ln 2, 0): P(C, disallowed content) = 2/5 for every response,
    # so borderline = 1 − |2·0.4 − 1| = 0.8.
    safety = SafetyModel.from_backbone(str(ensemble["encoder"]), cost=False)
    with torch.no_grad():
        safety.rubric_head.weight.zero_()
        safety.rubric_head.bias.copy_(torch.tensor([0.0, 0.0, math.log(2), 0.0]))
    assert RUBRICS[2] == "C"
    safety.save(tmp_path / "safety", load_tokenizer(ensemble["encoder"]))
    pool = write(tmp_path / "pool.jsonl", pool_rows())
    capsys.readouterr()
    assert main(["acquire", "--pool", str(pool), "--reward-models", json.dumps([str(m) for m in ensemble["members"]]),
                 "--safety-model", str(tmp_path / "safety"), "--borderline-weight", "0.5", "--output-dir", str(tmp_path / "acq")]) == 0
    rows = events(capsys)[-1]["top"]
    assert len(rows) == 3
    for r in rows:
        assert r["borderline"] == pytest.approx(0.8, abs=1e-6)
        assert r["score"] == pytest.approx(r["disagreement"] + 0.4, abs=1e-6)


@pytest.mark.parametrize(
    ("rows", "models", "message"),
    [
        ([{"task_id": "t1", "prompt": [{"role": "user", "content": "hi"}], "responses": [{"id": "x", "text": "w1"}]}],
         2, r"pool\.jsonl:1: task 't1' has 1 response\(s\); comparing needs at least two"),
        (pool_rows(), 1, "--reward-models needs at least two reward models, got 1: disagreement is measured between the members"),
        ([*pool_rows(), pool_rows()[0]], 2, r"pool\.jsonl:4: task_id 'agreed' appears twice"),
    ],
)
def test_bad_input_is_an_error_event_and_writes_nothing(tmp_path, ensemble, capsys, rows, models, message):
    pool = write(tmp_path / "pool.jsonl", rows)
    capsys.readouterr()
    out = tmp_path / "acq"
    assert main(["acquire", "--pool", str(pool), "--reward-models", json.dumps([str(m) for m in ensemble["members"][:models]]),
                 "--output-dir", str(out)]) == 2
    evs = events(capsys)
    assert evs[-1]["event"] == "error"
    assert __import__("re").search(message, evs[-1]["message"]), evs[-1]["message"]
    assert not out.exists()


def test_a_folder_that_is_not_a_reward_model_is_refused_before_anything_runs(tmp_path, ensemble, capsys):
    pool = write(tmp_path / "pool.jsonl", pool_rows())
    capsys.readouterr()
    out = tmp_path / "acq"
    assert main(["acquire", "--pool", str(pool), "--reward-models", json.dumps([str(ensemble["members"][0]), str(ensemble["encoder"])]),
                 "--output-dir", str(out)]) == 2
    assert "is not a reward model" in events(capsys)[-1]["message"]
    assert not out.exists()
