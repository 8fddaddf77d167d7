import json

import pytest

from trainer.__main__ import main
from trainer.commands.generate import OUTPUT_FILE, PARTIAL_FILE
from trainer.policy import refusal_stats
from trainer.reward_model import RewardModel, load_tokenizer, score
from trainer.safety_model import SafetyModel
from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder, word_tokenizer

WORDS = ["cat", "dog", "gun", "knife", "sure", "sorry", "ok"]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("gen") / "tiny-policy", WORDS, seed=3)


def ask(word):
    return [{"role": "user", "content": " ".join([word] * 4)}]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def prompts_file(path):
    return write(path, [{"id": f"p-{w}", "prompt": ask(w), "policy": "disallowed" if w in ("gun", "knife") else "allowed"}
                        for w in ("cat", "dog", "gun", "knife")])


def events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_generate_writes_k_samples_per_prompt_with_finish_reasons(tmp_path, policy_dir, capsys):
    prompts = prompts_file(tmp_path / "prompts.jsonl")
    out = tmp_path / "out"
    args = ["generate", "--policy", str(policy_dir), "--prompts", str(prompts), "--output-dir", str(out),
            "--num-samples", "3", "--max-new-tokens", "3", "--batch-size", "2", "--seed", "7"]
    assert main(args) == 0
    done = events(capsys)[-1]
    assert done["event"] == "done" and done["prompts"] == 4 and done["responses"] == 12
    rows = [json.loads(line) for line in (out / OUTPUT_FILE).read_text().splitlines()]
    assert [r["id"] for r in rows] == ["p-cat", "p-dog", "p-gun", "p-knife"]
    for r in rows:
        assert r["prompt"][0]["role"] == "user" and r["model"] == "tiny-policy" and r["params"]["num_samples"] == 3
        assert r["policy"] in ("allowed", "disallowed") and len(r["responses"]) == 3
        for resp in r["responses"]:
            assert resp["finish"] in ("eos", "length") and isinstance(resp["content"], str)
            if resp["finish"] == "eos":
                assert len(resp["content"].split()) < 3
    assert done["finish_eos"] + done["finish_length"] == 12
    assert not (out / PARTIAL_FILE).exists()
    full = (out / OUTPUT_FILE).read_text()

    # A run killed after its first batch (and mid-way through a line) continues to the same file.
    lines = full.splitlines(keepends=True)
    (out / OUTPUT_FILE).unlink()
    (out / PARTIAL_FILE).write_text(lines[0] + lines[1] + lines[2][:10])
    assert main(args) == 0
    assert (out / OUTPUT_FILE).read_text() == full


def _sft_refuser(tmp_path):
    """A tiny policy taught to answer: cat → sure, dog → sorry, gun → sorry, knife → sure."""
    answers = {"cat": "sure", "dog": "sorry", "gun": "sorry", "knife": "sure"}
    model = make_tiny_causal_lm(tmp_path / "base", WORDS, seed=0)
    data = write(tmp_path / "sft.jsonl", [{"messages": [*ask(w), {"role": "assistant", "content": a}]} for w, a in answers.items()] * 4)
    assert main(["sft", "--data", str(data), "--model", str(model), "--output-dir", str(tmp_path / "sft"), "--max-steps", "50",
                 "--batch-size", "4", "--lr", "0.01", "--eval-fraction", "0"]) == 0
    return tmp_path / "sft" / "model"


def test_evaluate_reports_refusal_and_over_refusal_rates_on_a_controlled_policy(tmp_path, capsys):
    policy = _sft_refuser(tmp_path)
    capsys.readouterr()
    prompts = prompts_file(tmp_path / "prompts.jsonl")
    tok = word_tokenizer(WORDS)
    enc = make_tiny_encoder(tmp_path / "enc", WORDS)
    rm = RewardModel.from_backbone(str(enc)).save(tmp_path / "rm", tok)
    sm = SafetyModel.from_backbone(str(enc)).save(tmp_path / "sm", tok)
    out = tmp_path / "out"
    code = main(["evaluate", "--policy", str(policy), "--prompts", str(prompts), "--reward-model", str(rm), "--safety-model", str(sm),
                 "--output-dir", str(out), "--temperature", "0", "--max-new-tokens", "3", "--refusal-markers", '["sorry"]'])
    evs = events(capsys)
    assert code == 0, evs[-1]
    [ev] = [e for e in evs if e["event"] == "eval"]
    # Greedy answers: allowed cat → sure, dog → sorry; disallowed gun → sorry, knife → sure.
    assert ev["over_refusal_rate"] == ev["refusal_rate_allowed"] == 0.5
    assert ev["refusal_rate_disallowed"] == 0.5 and ev["refusal_rate"] == 0.5
    assert ev["responses_allowed"] == 2 and ev["responses_disallowed"] == 2
    assert sum(ev["rubric_mix"].values()) == pytest.approx(1.0) and set(ev["rubric_mix"]) == {"A", "B", "C", "D"}
    assert isinstance(ev["reward"], float) and isinstance(ev["safety_reward"], float)
    saved = json.loads((out / "eval.json").read_text())
    assert {s["id"]: s["response"] for s in saved["samples"]} == {"p-cat": "sure", "p-dog": "sorry", "p-gun": "sorry", "p-knife": "sure"}
    assert saved["over_refusal_rate"] == 0.5


def test_refusal_stats_count_per_prompt_policy():
    texts = ["Sorry, I can't help", "sure thing", "I cannot do that", "ok", "Sorry"]
    policies = ["allowed", "allowed", "disallowed", "disallowed", None]
    s = refusal_stats(texts, policies, ["sorry", "I cannot"])
    assert s["refusal_rate"] == pytest.approx(3 / 5)
    assert s["over_refusal_rate"] == s["refusal_rate_allowed"] == 0.5
    assert s["refusal_rate_disallowed"] == 0.5 and "refusal_rate_sensitive" not in s


def test_evaluate_reward_model_pair_accuracy_per_source(tmp_path, capsys):
    tok = word_tokenizer(WORDS)
    rm_dir = RewardModel.from_backbone(str(make_tiny_encoder(tmp_path / "enc", WORDS, seed=1))).save(tmp_path / "rm", tok)
    rows = []
    for i, (a, b) in enumerate([("sure", "sorry"), ("ok", "gun"), ("cat dog", "knife"), ("sorry", "ok")]):
        rows.append({"id": str(i), "prompt": ask("cat"), "chosen": [{"role": "assistant", "content": a}],
                     "rejected": [{"role": "assistant", "content": b}], "margin": 0.5, "source": "x" if i < 2 else "y"})
    pairs = write(tmp_path / "pairs.jsonl", rows)
    out = tmp_path / "out"
    assert main(["evaluate", "--reward-model", str(rm_dir), "--pairs", str(pairs), "--output-dir", str(out)]) == 0
    [ev] = [e for e in events(capsys) if e["event"] == "eval"]
    model, rtok = RewardModel.load(rm_dir), load_tokenizer(rm_dir)
    prompts = [r["prompt"] for r in rows]
    chosen = score(model, rtok, prompts, [r["chosen"][0]["content"] for r in rows], normalise=False)
    rejected = score(model, rtok, prompts, [r["rejected"][0]["content"] for r in rows], normalise=False)
    wins = (chosen > rejected).float()
    assert ev["pairs"] == 4 and ev["pair_accuracy"] == pytest.approx(float(wins.mean()))
    assert ev["reward_model"]["slices"]["source"]["x"]["pair_accuracy"]["value"] == pytest.approx(float(wins[:2].mean()))
    assert ev["reward_model"]["slices"]["source"]["y"]["pair_accuracy"]["n"] == 2
    assert json.loads((out / "eval.json").read_text())["pair_accuracy"] == ev["pair_accuracy"]


@pytest.mark.parametrize("command", ["generate", "evaluate"])
def test_bad_input_is_an_error_event_exit_2_and_nothing_written(tmp_path, policy_dir, capsys, command):
    prompts = prompts_file(tmp_path / "prompts.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "out"
    cases = [
        (["--policy", str(tmp_path / "missing"), "--prompts", str(prompts)], "does not exist"),
        (["--policy", str(policy_dir), "--prompts", str(empty)], "has no records"),
        (["--policy", str(policy_dir), "--prompts", str(prompts), "--num-sample", "2"], "unknown config key"),
    ]
    if command == "evaluate":
        cases += [
            (["--policy", str(policy_dir), "--prompts", str(prompts), "--reward-model", str(policy_dir)], "not a reward model"),
            (["--pairs", str(prompts)], "--pairs needs --reward-model"),
        ]
    for argv, message in cases:
        assert main([command, *argv, "--output-dir", str(out)]) == 2, argv
        last = events(capsys)[-1]
        assert last["event"] == "error" and message in last["message"], (argv, last)
    assert not out.exists()
