"""`dpo` on TRL's DPOTrainer: the pairs it builds from snapshots (strength and safety options), the
per-pair weights against TRL's own loss, and real training of a tiny model: held-out preference
accuracy, events, checkpoints, SIGTERM and resuming."""

import json
import random
import re
import sys
from types import SimpleNamespace

import pytest
import torch
from trl import DPOConfig

import trainer.__main__ as cli
from trainer.commands.dpo import LOSS_TYPES, WeightedDPOTrainer, WeightedPreferenceCollator, preference_dataset
from trainer.loop import SUMMARY_FILE
from trainer.policy import load_causal_lm, load_policy_tokenizer
from trainer.preferences import Pair, preference_pairs, read_judgements
from trainer.tiny import make_tiny_causal_lm
from trainer.trl_bridge import metric_name

FILLER = [f"w{i}" for i in range(30)]
TOPICS = [f"t{i}" for i in range(40)]
GOOD, BAD = "kind", "rude"


def _events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _response(rng, marker):
    words = rng.sample(FILLER, 3)
    words.insert(rng.randrange(4), marker)
    return " ".join(words)


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    """A tiny random policy and 200 pairs over 40 prompts: the chosen response always holds "kind",
    the rejected one "rude", among random filler words."""
    root = tmp_path_factory.mktemp("dpo")
    model = make_tiny_causal_lm(root / "base", [*FILLER, *TOPICS, GOOD, BAD, "about"], seed=0)
    rng = random.Random(0)
    rows = [{"id": f"{t}-{k}", "prompt": [{"role": "user", "content": f"about {t} {t}"}],
             "chosen": [{"role": "assistant", "content": _response(rng, GOOD)}],
             "rejected": [{"role": "assistant", "content": _response(rng, BAD)}], "margin": rng.choice([0.0, 1 / 3, 2 / 3, 1.0])}
            for t in TOPICS for k in range(5)]
    return SimpleNamespace(model=str(model), data=_write(root / "pairs.jsonl", rows))


def _args(task, out, *extra):
    return ["dpo", "--data", task.data, "--model", task.model, "--output-dir", str(out), "--lr", "0.01", "--batch-size", "8",
            "--eval-fraction", "0.3", *extra]


# --------------------------------------------------------------------------- the options against TRL


def test_loss_types_are_those_trl_accepts():
    help_text = DPOConfig.__dataclass_fields__["loss_type"].metadata["help"]
    assert set(LOSS_TYPES) == set(re.findall(r"'(\w+)'", help_text))


def test_trl_log_keys_become_train_and_eval_metric_names():
    assert metric_name("loss") == "train/loss"
    assert metric_name("learning_rate") == "train/lr"
    assert metric_name("rewards/accuracies") == "train/rewards/accuracies"
    assert metric_name("eval_loss") == "eval/loss"
    assert metric_name("eval_rewards/margins") == "eval/rewards/margins"


def _options(**kw):
    return SimpleNamespace(**{"strength": "none", "drop_unsafe_chosen": False, "unsafe_chosen_weight": 1.0, "refusal_pairs": False, **kw})


def _rankings(tmp_path):
    """A disallowed prompt ranked C > A > D > B (the annotator preferred the harmful answer), and
    an allowed one ranked D > C."""
    record = {
        "id": "r1", "prompt": [{"role": "user", "content": "how to make a weapon"}],
        "responses": [{"id": "c", "content": "here is how", "rank": 0, "rubric": "C"},
                      {"id": "a", "content": "I can't help with that", "rank": 1, "rubric": "A"},
                      {"id": "d", "content": "weapons are regulated", "rank": 2, "rubric": "D"},
                      {"id": "b", "content": "how dare you", "rank": 3, "rubric": "B"}],
        "strengths": ["strong", "slight", "negligible"],
        "safety": {"promptPolicy": "disallowed"},
    }
    allowed = {
        "id": "r2", "prompt": [{"role": "user", "content": "hello"}],
        "responses": [{"id": "x", "content": "hi there", "rank": 0, "rubric": "D"}, {"id": "y", "content": "go away", "rank": 1, "rubric": "C"}],
        "strengths": ["clear"], "safety": {"promptPolicy": "allowed"},
    }
    return _write(tmp_path / "rankings.jsonl", [record, allowed])


def test_unsafe_chosen_pairs_are_dropped_or_down_weighted(tmp_path):
    judgements = read_judgements(_rankings(tmp_path))
    plain, counts = preference_pairs(judgements, _options())
    assert len(plain) == 6 + 1 and counts["unsafe_chosen_dropped"] == 0
    # The three pairs that prefer the C response go.
    kept, counts = preference_pairs(judgements, _options(drop_unsafe_chosen=True))
    assert len(kept) == 4 and counts["unsafe_chosen_dropped"] == 3
    assert all(p.chosen != "here is how" for p in kept)
    # Or they stay with a smaller weight, times the strength weight (margin 1 → 1, 1/3 → 2/3).
    weighted, counts = preference_pairs(judgements, _options(unsafe_chosen_weight=0.25, strength="weight"))
    assert counts["unsafe_chosen_down_weighted"] == 3
    by = {(p.chosen, p.rejected): p.weight for p in weighted}
    assert by[("here is how", "I can't help with that")] == pytest.approx(0.25 * 1.0)
    assert by[("I can't help with that", "weapons are regulated")] == pytest.approx(0.5 + (1 / 3) / 2)
    assert by[("weapons are regulated", "how dare you")] == pytest.approx(0.5)


def test_refusal_pairs_prefer_the_refusal_over_the_unsafe_answer_on_disallowed_prompts_only(tmp_path):
    judgements = read_judgements(_rankings(tmp_path))
    pairs, counts = preference_pairs(judgements, _options(refusal_pairs=True, drop_unsafe_chosen=True))
    assert counts["refusal_pairs_added"] == 1 and counts["unsafe_chosen_dropped"] == 3
    added = [p for p in pairs if (p.chosen, p.rejected) == ("I can't help with that", "here is how")]
    assert len(added) == 1 and added[0].margin == 1.0 and added[0].weight == 1.0
    # The allowed prompt's C response gets no refusal pair (it has no A response either way), and
    # a pair the judgement already has is not added twice.
    assert not any(p.rejected == "go away" and p.chosen != "hi there" for p in pairs)
    fine = read_judgements(_write(tmp_path / "fine.jsonl", [{
        "prompt": [{"role": "user", "content": "bad"}], "safety": {"promptPolicy": "disallowed"}, "strengths": ["clear"],
        "responses": [{"id": "a", "content": "no", "rank": 0, "rubric": "A"}, {"id": "c", "content": "yes", "rank": 1, "rubric": "C"}]}]))
    assert preference_pairs(fine, _options(refusal_pairs=True))[1]["refusal_pairs_added"] == 0


def test_pairs_of_one_annotation_are_one_judgement_for_refusal_pairs(tmp_path):
    def pair(chosen, rejected, annotation):
        return {"prompt": [{"role": "user", "content": "bad"}], "chosen": [{"role": "assistant", "content": chosen[1]}],
                "rejected": [{"role": "assistant", "content": rejected[1]}], "margin": 0.5,
                "safety": {"promptPolicy": "disallowed", "rubric": {chosen[0]: chosen[2], rejected[0]: rejected[2]}},
                "meta": {"export": {"annotationId": annotation, "chosenId": chosen[0], "rejectedId": rejected[0]}}}

    c, a, d = ("c", "sure thing", "C"), ("a", "I won't", "A"), ("d", "try a locksmith", "D")
    path = _write(tmp_path / "pairs.jsonl", [pair(c, d, "j1"), pair(d, a, "j1"), pair(c, d, "j2"), pair(d, a, "j2")])
    judgements = read_judgements(path)
    assert len(judgements) == 2 and judgements[0].texts == ["sure thing", "try a locksmith", "I won't"]
    pairs, counts = preference_pairs(judgements, _options(refusal_pairs=True, drop_unsafe_chosen=True))
    # Each annotation: C > D dropped, D > A kept, A > C added.
    assert counts == {"identical_pairs_skipped": 0, "unsafe_chosen_dropped": 2, "unsafe_chosen_down_weighted": 0, "refusal_pairs_added": 2}
    assert [(p.chosen, p.rejected) for p in pairs] == [("try a locksmith", "I won't"), ("I won't", "sure thing")] * 2


# --------------------------------------------------------------------------- per-pair weights, against TRL's loss


def _weighted_trainer(task, tmp_path, loss_type, n=4, **kw):
    tok = load_policy_tokenizer(task.model)
    rng = random.Random(1)
    pairs = [Pair([{"role": "user", "content": f"about {t} {t}"}], _response(rng, GOOD), _response(rng, BAD), 0.5) for t in TOPICS[:n]]
    args = DPOConfig(output_dir=str(tmp_path / "trl"), report_to="none", disable_tqdm=True, use_cpu=True, bf16=False,
                     gradient_checkpointing=False, loss_type=[loss_type], label_smoothing=0.1 if loss_type == "robust" else 0.0)
    data = preference_dataset(pairs, tok, weighted=False)
    trainer = WeightedDPOTrainer(model=load_causal_lm(task.model), args=args, train_dataset=data, eval_dataset=data, processing_class=tok,
                                 data_collator=WeightedPreferenceCollator(pad_token_id=tok.pad_token_id), **kw)
    trainer.model.train()
    rows = [trainer.train_dataset[i] for i in range(len(pairs))]
    return trainer, rows


def _loss_and_grads(trainer, loss):
    trainer.model.zero_grad(set_to_none=True)
    value = loss()
    value.backward()
    return value.detach(), [p.grad.clone() for p in trainer.model.parameters() if p.requires_grad]


@pytest.mark.parametrize("loss_type", ["sigmoid", "ipo", "robust"])
def test_pair_weights_give_the_gradient_of_the_weighted_mean_of_trls_pair_losses(task, tmp_path, loss_type):
    trainer, rows = _weighted_trainer(task, tmp_path, loss_type)
    collate = trainer.data_collator
    batch = collate(rows)
    # Weight 1 is TRL's loss and gradient, to the bit.
    trl_loss, trl_grads = _loss_and_grads(trainer, lambda: trainer.compute_loss(trainer.model, batch))
    ones_loss, ones_grads = _loss_and_grads(trainer, lambda: trainer.compute_loss(trainer.model, {**batch, "weight": torch.ones(len(rows))}))
    assert torch.equal(trl_loss, ones_loss) and all(torch.equal(a, b) for a, b in zip(trl_grads, ones_grads))
    # Other weights: the gradient of mean(weight × TRL's loss of the pair alone); the loss reported stays TRL's.
    weights = torch.tensor([1.0, 0.5, 0.75, 0.2])
    loss, grads = _loss_and_grads(trainer, lambda: trainer.compute_loss(trainer.model, {**batch, "weight": weights}))
    _, oracle = _loss_and_grads(trainer, lambda: sum(w * trainer.compute_loss(trainer.model, collate([r])) for w, r in zip(weights, rows)) / len(rows))
    assert torch.equal(loss, trl_loss)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(grads, oracle))
    assert not all(torch.allclose(a, b, rtol=1e-3) for a, b in zip(grads, trl_grads))


def test_held_out_metrics_count_every_pair_alike_whatever_the_eval_batch_size(task, tmp_path):
    # Another random model as the reference, so the implicit rewards differ from pair to pair.
    other = make_tiny_causal_lm(tmp_path / "other", [*FILLER, *TOPICS, GOOD, BAD, "about"], seed=1)
    trainer, _ = _weighted_trainer(task, tmp_path, "sigmoid", n=5, ref_model=load_causal_lm(other))
    results = {}
    for size in (1, 2, 5):  # batches of 1 are exact; 2 leaves a last batch of 1
        trainer.args.per_device_eval_batch_size = size
        results[size] = trainer.evaluate()
    for key in ("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_logps/chosen"):
        assert results[2][key] == pytest.approx(results[1][key], rel=1e-5) == results[5][key]
    assert 0 < results[1]["eval_rewards/accuracies"] < 1


# --------------------------------------------------------------------------- training


def test_dpo_learns_the_labelled_preference_on_held_out_prompts(task, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(_args(task, out, "--max-steps", "12", "--eval-every", "6", "--checkpoint-every", "6", "--strength", "weight"))
    events = _events(capsys)
    assert code == 0, events[-1]
    done = events[-1]
    assert done["event"] == "done" and not done["interrupted"] and done["steps"] == 12
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 6, 12]
    # Held out by prompt: 12 of the 40 prompts, 60 pairs none of which was trained on.
    n = done["eval_pairs"]
    assert n >= 40 and done["train_pairs"] + n == 200 and all(e["pairs"] == n for e in evals)
    before, after = evals[0]["accuracy"], evals[-1]["accuracy"]
    # Before training the policy is the reference: every implicit reward is 0 and no pair counts as won.
    assert before == 0.0 and evals[0]["margin"] == 0.0
    assert after >= 0.9 and evals[-1]["margin"] > 0 and evals[-1]["loss"] < evals[0]["loss"]
    assert done["final_eval_accuracy"] == after and done["first_eval_accuracy"] == before
    metrics = [e for e in events if e["event"] == "metric"]
    names = {"train/loss", "train/lr", "train/rewards/accuracies", "eval/loss", "eval/rewards/accuracies", "eval/rewards/margins"}
    assert {e["name"] for e in metrics} >= names
    assert all(e["name"].startswith(("train/", "eval/")) and e["total_steps"] == 12 for e in metrics)
    assert sorted({e["step"] for e in metrics if e["name"] == "train/loss"}) == list(range(1, 13))
    checkpoints = [e for e in events if e["event"] == "checkpoint"]
    assert [e["step"] for e in checkpoints] == [6, 12]
    for e in checkpoints:
        assert (tmp_path / "out" / "checkpoints" / f"step-{e['step']}" / "model" / "config.json").is_file()
        assert e["path"] == str(out / "checkpoints" / f"step-{e['step']}")
    # The eval of a checkpoint's step comes before its checkpoint event (the worker pairs them).
    kinds = [(e["event"], e.get("step")) for e in events if e["event"] in ("eval", "checkpoint")]
    assert kinds == [("eval", 0), ("eval", 6), ("checkpoint", 6), ("eval", 12), ("checkpoint", 12)]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "model"]
    summary = json.loads((out / "model" / SUMMARY_FILE).read_text())
    assert summary["final_eval_accuracy"] == after
    final, last = load_causal_lm(out / "model").state_dict(), load_causal_lm(out / "checkpoints" / "step-12" / "model").state_dict()
    assert all(torch.equal(final[k], last[k]) for k in final)
    # Running it again finds the model complete.
    assert cli.main(_args(task, out, "--max-steps", "12")) == 0
    assert _events(capsys)[-1]["steps"] == 12
    print(f"held-out reward accuracy over {n} pairs: {before:.3f} before, {after:.3f} after training", file=sys.stderr)


def test_sigterm_leaves_a_checkpoint_and_the_rerun_resumes_from_its_step(task, tmp_path, stopped_and_resumed):
    args = ["--max-steps", "8", "--eval-every", "100", "--checkpoint-every", "100", "--keep-checkpoints", "1"]
    resumed = stopped_and_resumed(lambda out: _args(task, out, *args))
    assert not [e for e in resumed if e["event"] == "eval" and e["step"] < 4]
    assert [p.name for p in (tmp_path / "out" / "checkpoints").iterdir()] == ["step-8"]  # keep_checkpoints 1


def test_dpo_with_lora_exports_merged_plain_models(task, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(_args(task, out, "--max-steps", "2", "--lora-r", "4", "--checkpoint-every", "1", "--eval-fraction", "0", "--lr", "0.05"))
    events = _events(capsys)
    assert code == 0, events[-1]
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [1, 2]
    assert not [e for e in events if e["event"] == "eval"]
    for folder in (out / "model", out / "checkpoints" / "step-1" / "model"):
        files = {p.name for p in folder.iterdir()}
        assert "config.json" in files and "adapter_config.json" not in files
    base, tuned = load_causal_lm(task.model).state_dict(), load_causal_lm(out / "model").state_dict()
    assert base.keys() == tuned.keys() and any(not torch.equal(base[k], tuned[k]) for k in base)


@pytest.mark.parametrize(("flags", "message"), [
    (["--loss-type", "dpo"], "loss_type must be one of"),
    (["--loss-type", "aot", "--strength", "weight"], "cannot be weighted"),
    (["--drop-unsafe-chosen", "true", "--unsafe-chosen-weight", "0.5"], "not both"),
])
def test_bad_options_are_an_error_event_and_write_nothing(task, tmp_path, capsys, flags, message):
    assert cli.main(_args(task, tmp_path / "out", *flags)) == 2
    assert message in _events(capsys)[-1]["message"]
    assert not (tmp_path / "out").exists()
