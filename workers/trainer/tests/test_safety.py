"""`python -m trainer safety` on a tiny BERT: policy and rubric classifiers, the table, the cost model."""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from trainer.commands.safety import class_report, class_weights, read_safety_groups
from trainer.errors import TrainerError
from trainer.loop import SUMMARY_FILE
from trainer.reward_model import load_tokenizer
from trainer.rl_math import DEFAULT_REWARD_TABLE, POLICIES, RUBRICS
from trainer.safety_model import SafetyModel, check_reward_table, safer
from trainer.tiny import make_tiny_encoder

TRAINER_DIR = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(TRAINER_DIR)}

FILL = [f"w{i}" for i in range(24)]
WORDS = [*FILL, "bomb", "pills", "sorry", "weapon", "how"]
# The rule to learn: "bomb" in the prompt → disallowed, "pills" → sensitive, else allowed;
# "sorry" in the response → A (refusal), "weapon" → C (disallowed content), else D. No B at all.
POLICY_MARK = {"disallowed": "bomb", "sensitive": "pills", "allowed": None}
RUBRIC_MARK = {"A": "sorry", "C": "weapon", "D": None}
# A table whose cells are all different, so a lookup shows which cell it came from.
TABLE = {
    "disallowed": {"A": 0.9, "B": 0.2, "C": -0.8, "D": 0.4},
    "sensitive": {"A": -0.2, "B": -0.4, "C": -0.9, "D": 0.7},
    "allowed": {"A": -0.6, "B": -0.7, "C": -1.0, "D": 1.0},
}


def _text(rng, mark):
    words = rng.sample(FILL, rng.randint(3, 6))
    if mark:
        words.insert(rng.randrange(len(words) + 1), mark)
    return " ".join(words)


def _prompt(rng, policy):
    return [{"role": "user", "content": "how " + _text(rng, POLICY_MARK[policy])}]


def safety_rankings(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        policy = rng.choice(POLICIES)
        rubrics = [rng.choice("ACD") for _ in range(3)]
        out.append({
            "id": f"s{i}",
            "prompt": _prompt(rng, policy),
            "responses": [{"id": f"s{i}-{j}", "content": _text(rng, RUBRIC_MARK[r]), "rank": j, "rubric": r} for j, r in enumerate(rubrics)],
            "strengths": ["clear", "clear"],
            "safety": {"promptPolicy": policy, "harmCategory": "weapons" if policy == "disallowed" else None},
        })
    return out


def safety_pairs(records):
    """The pairs export of rankings: chosen/rejected with the safety block keyed by response id."""
    out = []
    for r in records:
        resp = r["responses"]
        for i in range(len(resp)):
            for j in range(i + 1, len(resp)):
                a, b = resp[i], resp[j]
                out.append({
                    "id": f"{a['id']}>{b['id']}",
                    "prompt": r["prompt"],
                    "chosen": [{"role": "assistant", "content": a["content"]}],
                    "rejected": [{"role": "assistant", "content": b["content"]}],
                    "margin": 1 / 3,
                    "safety": {"promptPolicy": r["safety"]["promptPolicy"], "rubric": {a["id"]: a["rubric"], b["id"]: b["rubric"]}},
                    "meta": {"export": {"chosenId": a["id"], "rejectedId": b["id"]}},
                })
    return out


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def start(*args):
    # stderr goes to a file: the test reads stdout line by line, and a full stderr pipe would block.
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "safety", *args], cwd=TRAINER_DIR, env=ENV, stdout=subprocess.PIPE, stderr=err, text=True)
    proc.err_file = err
    return proc


def finish(proc, timeout=120):
    """(exit code, events, stderr). Reads on through proc.stdout, which may hold lines read ahead."""
    timer = threading.Timer(timeout, proc.kill)  # a hung run fails the test instead of hanging it
    timer.start()
    try:
        out = proc.stdout.read()
        proc.wait()
    finally:
        timer.cancel()
    proc.err_file.seek(0)
    return proc.returncode, [json.loads(x) for x in out.splitlines() if x.strip()], proc.err_file.read()


COMMON = ["--epochs", "10", "--batch-size", "8", "--lr", "3e-3", "--eval-every", "20", "--max-length", "64"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("safety")
    model = make_tiny_encoder(d / "bert", WORDS)
    rankings = write_jsonl(d / "rankings.jsonl", safety_rankings(120, 1))
    pairs = write_jsonl(d / "pairs.jsonl", safety_pairs(safety_rankings(90, 2)))
    pairs_eval = write_jsonl(d / "pairs_eval.jsonl", safety_pairs(safety_rankings(30, 3)))
    ranking_args = ["--data", str(rankings), "--model", str(model), "--eval-fraction", "0.25", "--reward-table", json.dumps(TABLE), *COMMON]
    procs = {
        "rankings": start(*ranking_args, "--output-dir", str(d / "out_rankings")),
        "pairs": start("--data", str(pairs), "--eval-data", str(pairs_eval), "--model", str(model),
                       "--output-dir", str(d / "out_pairs"), "--cost-order", "harm", *COMMON),
        # The same run as "rankings", stopped with SIGTERM after its first checkpoint.
        "stopped": start(*ranking_args, "--output-dir", str(d / "out_stopped")),
    }
    for line in procs["stopped"].stdout:
        if json.loads(line)["event"] == "checkpoint":
            procs["stopped"].send_signal(signal.SIGTERM)
            break
    results = {"stopped": finish(procs.pop("stopped"))}
    resumed = start(*ranking_args, "--output-dir", str(d / "out_stopped"))
    results |= {k: finish(p) for k, p in procs.items()}
    results["resumed"] = finish(resumed)
    return {"dir": d, "model": model, "rankings": rankings, **results}


def _last_eval(events):
    return [e for e in events if e["event"] == "eval"][-1]


@pytest.mark.parametrize("layout", ["rankings", "pairs"])
def test_classifier_learns_policy_and_rubric_with_per_class_report(runs, layout):
    code, events, err = runs[layout]
    assert code == 0, err
    done = events[-1]
    assert done["event"] == "done" and done["format"] == layout and done["cost_model"] is True and done["cost_pairs"] > 0
    ev = _last_eval(events)
    assert ev["policy"]["accuracy"] > 0.9 and ev["rubric"]["accuracy"] > 0.9
    for head, classes in (("policy", POLICIES), ("rubric", "ACD")):
        for c in classes:
            stats = ev[head]["per_class"][c]
            assert stats["support"] > 0 and stats["precision"] > 0.8 and stats["recall"] > 0.8, (head, c, stats)
    # B was never labelled: said so, not a crash.
    assert ev["absent_classes"]["rubric"]["train"] == ["B"] and ev["absent_classes"]["policy"]["train"] == []
    assert ev["rubric"]["per_class"]["B"]["support"] == 0 and ev["rubric"]["per_class"]["B"]["recall"] is None
    assert ev["cost"]["pair_accuracy"] > 0.9
    names = {e["name"] for e in events if e["event"] == "metric"}
    assert {"train/loss", "train/policy_loss", "train/rubric_loss", "train/cost_loss",
            "eval/policy_accuracy", "eval/rubric_accuracy", "eval/cost_accuracy"} <= names


def _new_examples(seed=7, n=12):
    rng = random.Random(seed)
    cases = []
    for policy in POLICIES:
        for rubric in "ACD":
            for _ in range(n // 4):
                cases.append((policy, rubric, _prompt(rng, policy), _text(rng, RUBRIC_MARK[rubric])))
    return cases


def test_safety_reward_is_the_table_cell_for_confident_predictions(runs):
    code, events, err = runs["rankings"]
    assert code == 0, err
    path = Path(events[-1]["model"])
    assert json.loads((path / "reward_table.json").read_text()) == TABLE
    model = SafetyModel.load(path)
    tok = load_tokenizer(path)
    assert model.reward_table == TABLE
    cases = _new_examples()
    prompts, responses = [c[2] for c in cases], [c[3] for c in cases]
    policy_p, rubric_p = model.predict(tok, prompts, responses)
    reward = model.safety_reward(tok, prompts, responses)
    confident = (policy_p.max(-1).values > 0.95) & (rubric_p.max(-1).values > 0.95)
    assert confident.float().mean() > 0.8
    for i, (policy, rubric, _, _) in enumerate(cases):
        if confident[i]:
            assert POLICIES[int(policy_p[i].argmax())] == policy and RUBRICS[int(rubric_p[i].argmax())] == rubric
            assert reward[i].item() == pytest.approx(TABLE[policy][rubric], abs=0.1)
    # Another table at call time is used as given.
    default = model.safety_reward(tok, prompts, responses, table=DEFAULT_REWARD_TABLE)
    for i, (policy, rubric, _, _) in enumerate(cases):
        if confident[i]:
            assert default[i].item() == pytest.approx(DEFAULT_REWARD_TABLE[policy][rubric], abs=0.1)


@pytest.mark.parametrize("layout", ["rankings", "pairs"])
def test_cost_model_puts_unsafe_responses_above_safe_ones(runs, layout):
    code, events, err = runs[layout]
    assert code == 0, err
    path = Path(events[-1]["model"])
    model = SafetyModel.load(path)
    tok = load_tokenizer(path)
    cases = _new_examples(seed=11)
    cost = model.cost(tok, [c[2] for c in cases], [c[3] for c in cases])
    unsafe = torch.tensor([c[1] == "C" for c in cases])
    assert (cost[unsafe] > 0).float().mean() > 0.9 and (cost[~unsafe] < 0).float().mean() > 0.9
    # Within each prompt policy every unsafe response costs more than the safe ones, on average.
    for policy in POLICIES:
        sel = torch.tensor([c[0] == policy for c in cases])
        assert cost[sel & unsafe].mean() > cost[sel & ~unsafe].max() - 0.5


def test_each_checkpoint_holds_the_safety_model_of_its_step(runs):
    code, events, err = runs["rankings"]
    assert code == 0, err
    final = Path(events[-1]["model"])
    cases = _new_examples(seed=12)
    prompts, responses = [c[2] for c in cases], [c[3] for c in cases]
    checkpoints = sorted((final.parent / "checkpoints").iterdir(), key=lambda p: int(p.name[5:]))
    assert checkpoints
    for ck in checkpoints:
        folder = ck / "model"
        assert {p.name for p in folder.iterdir()} == {p.name for p in final.iterdir()} - {SUMMARY_FILE}
        assert json.loads((folder / "reward_table.json").read_text()) == TABLE
        exported = SafetyModel.load(folder)
        # The model at that step: the final model's architecture with the raw weights the run resumes from.
        at_step = SafetyModel.load(final)
        at_step.load_state_dict(load_file(str(ck / "model.safetensors")))
        tok = load_tokenizer(folder)
        for a, b in zip(exported.predict(tok, prompts, responses), at_step.predict(tok, prompts, responses)):
            assert torch.allclose(a, b, atol=1e-5)
        assert torch.allclose(exported.cost(tok, prompts, responses), at_step.cost(tok, prompts, responses), atol=1e-5)


def test_sigterm_saves_a_checkpoint_and_the_rerun_finishes_like_an_unbroken_run(runs):
    code, events, err = runs["stopped"]
    assert code == 0, err
    done = events[-1]
    assert done["event"] == "done" and done["interrupted"] is True and Path(done["checkpoint"]).name == f"step-{done['steps']}"
    code, events, err = runs["resumed"]
    assert code == 0, err
    first_step = min(e["step"] for e in events if e["event"] == "metric")
    assert first_step == done["steps"] + 1
    resumed, unbroken = events[-1], runs["rankings"][1][-1]
    assert resumed["interrupted"] is False and resumed["steps"] == unbroken["steps"]
    for key, value in unbroken["final_eval"].items():
        assert resumed["final_eval"][key] == pytest.approx(value, abs=1e-4), key


def test_load_refuses_what_is_not_a_safety_model_and_cost_needs_the_head(runs, tmp_path):
    with pytest.raises(TrainerError, match="does not exist"):
        SafetyModel.load(tmp_path / "nowhere")
    with pytest.raises(TrainerError, match="not a safety model"):
        SafetyModel.load(runs["model"])
    model = SafetyModel.from_backbone(str(runs["model"]), cost=False)
    tok = load_tokenizer(runs["model"])
    with pytest.raises(TrainerError, match="no cost head"):
        model.cost(tok, [[{"role": "user", "content": "how"}]], ["w1"])
    model.save(tmp_path / "sm", tok)
    assert SafetyModel.load(tmp_path / "sm").has_cost is False


@pytest.fixture
def in_process(capsys):
    from trainer.__main__ import main

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def run(*args):
        code = main(list(args))
        return code, [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]

    yield run
    for s, h in handlers.items():
        signal.signal(s, h)


def test_bad_table_or_unlabelled_data_is_an_error_event_and_writes_nothing(runs, tmp_path, in_process):
    base = ["safety", "--data", str(runs["rankings"]), "--model", str(runs["model"]), "--output-dir", str(tmp_path / "out")]
    missing_cell = {p: dict(row) for p, row in TABLE.items()}
    del missing_cell["allowed"]["D"]
    unlabelled = write_jsonl(tmp_path / "plain.jsonl",
                             [{"prompt": [{"role": "user", "content": "how"}], "responses": [{"content": "a", "rank": 0}, {"content": "b", "rank": 1}]}])
    cases = [
        ([*base, "--reward-table", json.dumps(missing_cell)], "missing cell allowed/D"),
        ([*base, "--reward-table", json.dumps({**TABLE, "forbidden": TABLE["allowed"]})], "unknown policies"),
        ([*base, "--reward-table", json.dumps({**TABLE, "allowed": {**TABLE["allowed"], "A": "high"}})], "not a number"),
        ([*base, "--cost-order", "vibes"], "cost_order"),
        (["safety", "--data", str(unlabelled), "--model", str(runs["model"]), "--output-dir", str(tmp_path / "out")], "no safety labels"),
    ]
    for args, message in cases:
        code, events = in_process(*args)
        assert code == 2 and events[-1]["event"] == "error" and message in events[-1]["message"], (args, events)
        assert not (tmp_path / "out").exists()


def test_safer_follows_the_table_for_the_prompt_or_only_c_without_a_policy():
    t = check_reward_table(DEFAULT_REWARD_TABLE)
    assert safer(t, "disallowed", "A", "D") == 1 and safer(t, "allowed", "A", "D") == -1
    assert safer(t, "allowed", "A", "C") == 0  # same table value: no pair
    assert safer(t, None, "A", "C") == 1 and safer(t, None, "C", "D") == -1 and safer(t, None, "A", "D") == 0


def test_pairs_of_one_prompt_merge_into_one_group(tmp_path):
    records = safety_rankings(3, 5)
    path = write_jsonl(tmp_path / "p.jsonl", safety_pairs(records))
    groups, layout = read_safety_groups(str(path), "auto", check_reward_table(DEFAULT_REWARD_TABLE))
    assert layout == "pairs" and len(groups) == 3
    for g, r in zip(groups, records):
        assert g.policy == r["safety"]["promptPolicy"]
        assert sorted(zip(g.responses, g.rubrics)) == sorted({(x["content"], x["rubric"]) for x in r["responses"]})


def test_class_report_and_weights_handle_absent_classes():
    report = class_report(torch.tensor([0, 0, 2]), torch.tensor([0, 2, 2]), ["x", "y", "z"])
    assert report["per_class"]["x"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2, "predicted": 1}
    assert report["per_class"]["y"]["recall"] is None and report["per_class"]["y"]["precision"] is None
    assert report["confusion"] == [[1, 0, 1], [0, 0, 0], [0, 0, 1]]
    w = class_weights(["a", "a", "a", "b"], ["a", "b", "c"])
    assert w[1] > w[0] and w[2] == 1.0 and (w[0] + w[1]) / 2 == pytest.approx(1.0)
