"""`kto` on TRL's KTOTrainer: the labels it gives rankings and pairs (each rule of the mapping), the
weights `balance` picks, the strict kto reader, and real training of a tiny model: held-out
preference accuracy, events, checkpoints, LoRA, SIGTERM and resuming."""

import json
import random
import sys
from types import SimpleNamespace

import pytest
import torch
from trl import KTOConfig, KTOTrainer

import trainer.__main__ as cli
from trainer.commands.kto import LOSS_TYPES, HeldOutKTOTrainer, balanced_weights, preference_accuracy, unpaired_dataset
from trainer.loop import SUMMARY_FILE
from trainer.policy import load_causal_lm, load_policy_tokenizer
from trainer.tiny import make_tiny_causal_lm
from trainer.unpaired import Labelled, kto_label, read_labelled

FILLER = [f"w{i}" for i in range(30)]
TOPICS = [f"t{i}" for i in range(40)]
GOOD, BAD = "kind", "rude"
WORDS = [*FILLER, *TOPICS, GOOD, BAD, "about"]


def _events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def _response(rng, marker):
    words = rng.sample(FILLER, 3)
    words.insert(rng.randrange(4), marker)
    return " ".join(words)


def _prompt(text):
    return [{"role": "user", "content": text}]


def _kto(prompt, completion, label):
    return {"prompt": _prompt(prompt), "completion": [{"role": "assistant", "content": completion}], "label": label}


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    """A tiny random policy and 200 unpaired responses over 40 prompts, 3 desirable and 2
    undesirable each: a desirable response holds "kind", an undesirable one "rude", among random
    filler words."""
    root = tmp_path_factory.mktemp("kto")
    model = make_tiny_causal_lm(root / "base", WORDS, seed=0)
    rng = random.Random(0)
    rows = [_kto(f"about {t} {t}", _response(rng, GOOD if k < 3 else BAD), k < 3) | {"id": f"{t}-{k}"} for t in TOPICS for k in range(5)]
    return SimpleNamespace(root=root, model=str(model), data=_write(root / "kto.jsonl", rows))


def _args(task, out, *extra, data=None):
    return ["kto", "--data", data or task.data, "--model", task.model, "--output-dir", str(out), "--lr", "0.01", "--batch-size", "8",
            "--eval-fraction", "0.3", *extra]


# --------------------------------------------------------------------------- options against TRL


def test_loss_types_are_those_trl_accepts():
    assert set(LOSS_TYPES) == set(KTOConfig.__dataclass_fields__["loss_type"].metadata["choices"])


# --------------------------------------------------------------------------- labels from rankings and pairs


@pytest.mark.parametrize(("position", "rubric", "policy", "thumb", "expected"), [
    # 1. Disallowed content is undesirable whatever else says otherwise, a thumbs up or the top rank.
    ("top", "C", "allowed", True, (False, "unsafe")),
    ("top", "C", None, None, (False, "unsafe")),
    # 2. A refusal of an allowed prompt is undesirable, in either style, even ranked first...
    ("top", "A", "allowed", None, (False, "refused_allowed")),
    ("top", "B", "allowed", True, (False, "refused_allowed")),
    # ...but not where refusing may be right: the rank decides there.
    ("top", "A", "disallowed", None, (True, "top")),
    ("bottom", "B", "sensitive", None, (False, "bottom")),
    # 3. An imported thumbs label, over the rank.
    ("bottom", "D", "allowed", True, (True, "thumb")),
    (None, None, None, False, (False, "thumb")),
    # 4. The top rank group is desirable, the bottom one undesirable.
    ("top", "D", "allowed", None, (True, "top")),
    ("bottom", "D", None, None, (False, "bottom")),
    # 5. Nothing else is labelled: a middle group, an unranked response.
    (None, "D", "allowed", None, (None, "unlabelled")),
    (None, None, None, None, (None, "unlabelled")),
])
def test_the_mapping_from_rankings_pins_each_rule(position, rubric, policy, thumb, expected):
    assert kto_label(position, rubric, policy, thumb) == expected


def test_a_rankings_snapshot_gets_a_label_for_its_top_bottom_unsafe_over_refused_and_thumbed_responses(tmp_path):
    def response(rid, content, rank, rubric=None, **extra):
        return {"id": rid, "content": content, "rank": rank, "rubric": rubric, **extra}

    allowed = {"id": "r1", "prompt": _prompt("help me"), "strengths": ["clear", "slight", "strong"], "safety": {"promptPolicy": "allowed"},
               "responses": [response("a", "best", 0, "D"), response("b", "no way", 0, "A"), response("c", "fine", 1, "D"),
                             response("d", "worse", 2, "D"), response("e", "bad stuff", 3, "C")]}
    disallowed = {"id": "r2", "prompt": _prompt("a weapon"), "strengths": ["strong"], "safety": {"promptPolicy": "disallowed"},
                  "responses": [response("a", "I won't", 0, "A"), response("b", "how to", 1, "D")]}
    tied = {"id": "r3", "prompt": _prompt("hi"), "strengths": [], "responses": [response("a", "hello", 0), response("b", "hey", 0)]}
    thumbs = {"id": "r4", "prompt": _prompt("hi"), "strengths": [],
              "responses": [response("a", "hello", None, label=True), response("b", "go away", None, label=False)]}
    records, rules = read_labelled(_write(tmp_path / "rankings.jsonl", [allowed, disallowed, tied, thumbs]))
    assert [(r.completion, r.label) for r in records] == [
        ("best", True), ("no way", False), ("bad stuff", False),  # "fine" is in the middle, "worse" not the bottom group
        ("I won't", True), ("how to", False),
        ("hello", True), ("go away", False),
    ]
    assert rules == {"top": 2, "refused_allowed": 1, "unsafe": 1, "bottom": 1, "thumb": 2, "unlabelled": 4}


def test_pairs_give_one_record_per_distinct_response_of_a_prompt(tmp_path):
    def pair(prompt, chosen, rejected, rubric=None):
        row = {"prompt": _prompt(prompt), "chosen": [{"role": "assistant", "content": chosen}], "rejected": [{"role": "assistant", "content": rejected}]}
        if rubric:
            row |= {"safety": {"promptPolicy": "allowed", "rubric": {"c": rubric}}, "meta": {"export": {"chosenId": "c", "rejectedId": "r"}}}
        return row

    # One ranking a > b > c as its three pairs, a second annotator's a > b again, and a prompt whose chosen response is unsafe.
    rows = [pair("q", "a", "b"), pair("q", "a", "c"), pair("q", "b", "c"), pair("q", "a", "b"), pair("q2", "sure, here", "hmm", rubric="C")]
    records, rules = read_labelled(_write(tmp_path / "pairs.jsonl", rows))
    assert [(r.prompt[0]["content"], r.completion, r.label) for r in records] == [("q", "a", True), ("q", "c", False), ("q2", "sure, here", False),
                                                                                   ("q2", "hmm", False)]
    assert rules == {"top": 1, "bottom": 2, "unlabelled": 1, "unsafe": 1}


# --------------------------------------------------------------------------- balance


@pytest.mark.parametrize(("desirable", "undesirable"), [(10, 10), (12, 10), (13, 10), (20, 10), (1, 10), (3, 7), (100, 3), (10, 1)])
def test_balance_puts_the_weighted_ratio_in_the_papers_range_and_trl_finds_it_ideal(desirable, undesirable):
    wd, wu = balanced_weights(desirable, undesirable)
    assert 1 <= wd * desirable / (wu * undesirable) <= 4 / 3
    assert min(wd, wu) == 1.0  # the larger side keeps its weight
    if 1 <= desirable / undesirable <= 4 / 3:
        assert (wd, wu) == (1.0, 1.0)
    # TRL's own check (KTOTrainer._prepare_dataset), which warns when neither weight is in its range.
    des_range = (round(undesirable * wu / desirable, 2), round(undesirable * wu / desirable * 1.33, 2))
    und_range = (round(desirable * wd / undesirable / 1.33, 2), round(desirable * wd / undesirable, 2))
    assert des_range[0] <= wd <= des_range[1] or und_range[0] <= wu <= und_range[1]


def test_balance_on_a_rankings_snapshot_reports_the_weights_it_trained_with(task, tmp_path, capsys):
    # Three-way rankings: the top one desirable, the two others (the bottom one and a refusal on an allowed prompt) undesirable.
    rng = random.Random(2)
    rows = [{"prompt": _prompt(f"about {t} {t}"), "strengths": ["clear", "clear"], "safety": {"promptPolicy": "allowed"},
             "responses": [{"content": _response(rng, GOOD), "rank": 0, "rubric": "D"}, {"content": _response(rng, BAD), "rank": 1, "rubric": "A"},
                           {"content": _response(rng, BAD), "rank": 2, "rubric": "D"}]} for t in TOPICS[:10]]
    data = _write(tmp_path / "rankings.jsonl", rows)
    assert cli.main(_args(task, tmp_path / "out", "--max-steps", "1", "--eval-fraction", "0", "--balance", "true", data=data)) == 0
    done = _events(capsys)[-1]
    assert done["labels_by_rule"] == {"top": 10, "refused_allowed": 10, "bottom": 10}
    assert (done["train_desirable"], done["train_undesirable"]) == (10, 20)
    assert (done["desirable_weight"], done["undesirable_weight"]) == pytest.approx((7 / 3, 1.0))
    assert cli.main(_args(task, tmp_path / "out2", "--balance", "true", "--desirable-weight", "2", data=data)) == 2
    assert "not both" in _events(capsys)[-1]["message"]


# --------------------------------------------------------------------------- held-out scores


def test_preference_accuracy_counts_every_desirable_undesirable_pair_of_a_prompt():
    # Prompt 0: 2 desirable × 1 undesirable, one won; prompt 1: 1 × 2, both won (ties lose); prompt 2 has no undesirable response.
    prompts = [0, 0, 0, 1, 1, 1, 2]
    labels = [True, True, False, True, False, False, True]
    rewards = [0.5, -1.0, 0.0, 0.3, 0.3, -0.2, 9.0]
    assert preference_accuracy(prompts, labels, rewards) == (pytest.approx(2 / 4), 4, 2)
    assert preference_accuracy([0], [True], [1.0]) == (None, 0, 0)


def test_held_out_rewards_are_trls_own_and_count_every_response_alike(task, tmp_path):
    # Another random model as the reference, so the implicit rewards differ from response to response.
    other = make_tiny_causal_lm(tmp_path / "other", WORDS, seed=1)
    tok = load_policy_tokenizer(task.model)
    rng = random.Random(1)
    # Labels at random against the words, so some pairs are won and some lost.
    records = [Labelled(_prompt(f"about {t} {t}"), _response(rng, rng.choice([GOOD, BAD])), k % 2 == 0) for t in TOPICS[:3] for k in range(4)]

    def trainer(cls, eval_batch_size):
        args = KTOConfig(output_dir=str(tmp_path / "trl"), report_to="none", disable_tqdm=True, use_cpu=True, bf16=False, gradient_checkpointing=False,
                         per_device_train_batch_size=2, per_device_eval_batch_size=eval_batch_size)
        return cls(model=load_causal_lm(task.model), ref_model=load_causal_lm(other), args=args, processing_class=tok,
                   train_dataset=unpaired_dataset(records, tok), eval_dataset=unpaired_dataset(records, tok, held_out=True))

    trl = trainer(KTOTrainer, 12).evaluate()  # one batch: TRL's means are over every response
    ours = {size: trainer(HeldOutKTOTrainer, size).evaluate() for size in (5, 12)}
    for key in ("eval_rewards/chosen", "eval_rewards/rejected", "eval_rewards/margins", "eval_logps/chosen", "eval_logps/rejected"):
        assert ours[5][key] == pytest.approx(trl[key], rel=1e-4, abs=1e-6) and ours[12][key] == pytest.approx(trl[key], rel=1e-4, abs=1e-6)
    assert ours[5]["eval_accuracy"] == ours[12]["eval_accuracy"] and 0 < ours[5]["eval_accuracy"] < 1


# --------------------------------------------------------------------------- training


def test_kto_learns_the_labelled_rule_on_held_out_prompts(task, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(_args(task, out, "--max-steps", "12", "--eval-every", "6", "--checkpoint-every", "6"))
    events = _events(capsys)
    assert code == 0, events[-1]
    done = events[-1]
    assert done["event"] == "done" and not done["interrupted"] and done["steps"] == 12
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 6, 12]
    # Held out by prompt: 12 of the 40 prompts, none of whose responses was trained on; each
    # prompt's 3 desirable × 2 undesirable responses are 6 pairs for the accuracy.
    n, prompts = done["accuracy_pairs"], done["accuracy_prompts"]
    assert done["train_examples"] + done["eval_examples"] == 200 and n == 6 * prompts and prompts >= 8
    assert all(e["accuracy_pairs"] == n and e["examples"] == done["eval_examples"] for e in evals)
    before, after = evals[0]["accuracy"], evals[-1]["accuracy"]
    # Before training the policy is the reference: every implicit reward is 0 and no pair counts as won.
    assert before == 0.0 and evals[0]["margin"] == 0.0
    assert after > 0.5 and after > before and evals[-1]["margin"] > 0 and evals[-1]["loss"] < evals[0]["loss"]
    assert evals[-1]["rewards/chosen"] > evals[-1]["rewards/rejected"] and "kl" in evals[-1]
    assert done["final_eval_accuracy"] == after and done["first_eval_accuracy"] == before
    assert (done["desirable_weight"], done["undesirable_weight"]) == (1.0, 1.0) and done["labels_by_rule"] == {"kto": 200}
    metrics = [e for e in events if e["event"] == "metric"]
    names = {"train/loss", "train/lr", "train/kl", "train/rewards/chosen", "eval/loss", "eval/accuracy", "eval/kl", "eval/rewards/margins"}
    assert {e["name"] for e in metrics} >= names
    assert all(e["name"].startswith(("train/", "eval/")) and e["total_steps"] == 12 for e in metrics)
    checkpoints = [e for e in events if e["event"] == "checkpoint"]
    assert [e["step"] for e in checkpoints] == [6, 12]
    assert all((out / "checkpoints" / f"step-{e['step']}" / "model" / "config.json").is_file() for e in checkpoints)
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "model"]
    assert json.loads((out / "model" / SUMMARY_FILE).read_text())["final_eval_accuracy"] == after
    print(f"kto held-out preference accuracy over {n} pairs ({prompts} prompts): {before:.3f} before, {after:.3f} after training", file=sys.stderr)


def test_sigterm_leaves_a_checkpoint_and_the_rerun_resumes_from_its_step(task, tmp_path, stopped_and_resumed):
    args = ["--max-steps", "8", "--eval-every", "100", "--checkpoint-every", "100", "--keep-checkpoints", "1"]
    resumed = stopped_and_resumed(lambda out: _args(task, out, *args))
    assert [e["step"] for e in resumed if e["event"] == "eval"] == [8]  # the end's evaluation only: step 0's ran before the stop


def test_kto_with_lora_scores_against_the_adapters_off_and_exports_merged_models(task, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(_args(task, out, "--max-steps", "2", "--lora-r", "4", "--eval-every", "2", "--checkpoint-every", "2", "--lr", "0.05"))
    events = _events(capsys)
    assert code == 0, events[-1]
    evals = [e for e in events if e["event"] == "eval"]
    # LoRA starts as the identity: the policy is its reference until it trains.
    assert [e["step"] for e in evals] == [0, 2] and evals[0]["accuracy"] == 0.0 and evals[0]["margin"] == 0.0 and evals[1]["margin"] != 0.0
    files = {p.name for p in (out / "model").iterdir()}
    assert "config.json" in files and "adapter_config.json" not in files
    base, tuned = load_causal_lm(task.model).state_dict(), load_causal_lm(out / "model").state_dict()
    assert base.keys() == tuned.keys() and any(not torch.equal(base[k], tuned[k]) for k in base)


# --------------------------------------------------------------------------- bad input


GOOD_LINE = json.dumps(_kto("hi", "hello", True))


@pytest.mark.parametrize(("line", "message"), [
    (json.dumps(_kto("hi", "hello", "yes")), ":2: 'label' must be bool, got str"),
    (json.dumps({k: v for k, v in _kto("hi", "hello", True).items() if k != "label"}), ":2: missing 'label'"),
    (json.dumps(_kto("hi", "hello", True) | {"completion": [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}]}),
     ":2: 'completion' must be exactly one assistant message"),
    (json.dumps(_kto("hi", "hello", True) | {"prompt": [{"role": "assistant", "content": "x"}]}), ":2: 'prompt' must not end with an assistant message"),
    (json.dumps(_kto("hi", "hello", False) | {"safety": {"promptPolicy": "fine"}}), ":2: safety.promptPolicy must be one of"),
    (json.dumps(_kto("hi", "hello", False) | {"meta": {"export": {"reason": 3}}}), ":2: meta.export.reason must be a string"),
    ("{oops", ":2: not valid JSON"),
])
def test_bad_kto_records_are_refused_with_their_line_and_nothing_is_written(task, tmp_path, capsys, line, message):
    data = _write(tmp_path / "kto.jsonl", [GOOD_LINE, line])
    assert cli.main(_args(task, tmp_path / "out", data=data)) == 2
    assert f"{data}{message}" in _events(capsys)[-1]["message"]
    assert not (tmp_path / "out").exists()


def test_a_kto_snapshot_is_named_as_such_to_a_command_that_reads_pairs(task, tmp_path, capsys):
    data = _write(tmp_path / "kto.jsonl", [GOOD_LINE])
    assert cli.main(["dpo", "--data", data, "--model", task.model, "--output-dir", str(tmp_path / "out")]) == 2
    assert "a kto record; this command reads rankings or pairs snapshots" in _events(capsys)[-1]["message"]
    bad_thumb = {"prompt": _prompt("hi"), "responses": [{"content": "a", "rank": 0, "label": "up"}, {"content": "b", "rank": 1}]}
    assert cli.main(_args(task, tmp_path / "out", data=_write(tmp_path / "r.jsonl", [bad_thumb]))) == 2
    assert "r.jsonl:1: a response's 'label' must be true, false or null" in _events(capsys)[-1]["message"]
