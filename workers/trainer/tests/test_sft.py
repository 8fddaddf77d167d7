import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from trainer.__main__ import main
from trainer.commands.sft import IGNORE, encode
from trainer.loop import SUMMARY_FILE
from trainer.policy import TrainableState, generate, load_causal_lm, load_policy
from trainer.tiny import make_tiny_causal_lm, word_tokenizer

WORDS = ["what", "colour", "is", "the", "sky", "grass", "snow", "blood", "blue", "green", "white", "red", "hello", "hi"]
QA = {"sky": "blue", "grass": "green", "snow": "white", "blood": "red"}


def _events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _weights(folder):
    return load_causal_lm(folder).state_dict()


def assert_same_model_folder(a, b):
    """Same files (but the run summary) and bit-for-bit the same weights."""
    assert {p.name for p in a.iterdir()} - {SUMMARY_FILE} == {p.name for p in b.iterdir()} - {SUMMARY_FILE}
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _labelled(tok, ids, labels):
    return tok.convert_ids_to_tokens([i for i, label in zip(ids, labels) if label != IGNORE])


def test_only_assistant_tokens_carry_loss():
    tok = word_tokenizer(WORDS)
    messages = [
        {"role": "system", "content": "hi"},
        {"role": "user", "content": "what colour is the sky ?"},
        {"role": "assistant", "content": "blue"},
        {"role": "user", "content": "what colour is the grass ?"},
        {"role": "assistant", "content": "green !"},
    ]
    ids, labels = encode(tok, messages, 256)
    assert len(ids) == len(labels)
    # The answers and the end-of-turn token that closes each of them; no header, no user word.
    assert _labelled(tok, ids, labels) == ["blue", "</s>", "green", "!", "</s>"]
    assert all(label in (IGNORE, i) for i, label in zip(ids, labels))
    # Truncation keeps the alignment: with room for the first answer only, only it is labelled.
    cut = ids.index(tok.convert_tokens_to_ids("blue")) + 2
    ids2, labels2 = encode(tok, messages, cut)
    assert len(ids2) == cut and _labelled(tok, ids2, labels2) == ["blue", "</s>"]


def test_without_a_chat_template_the_answer_and_an_eos_carry_loss():
    tok = word_tokenizer(WORDS)
    tok.chat_template = None
    ids, labels = encode(tok, [{"role": "user", "content": "what colour is the sky ?"}, {"role": "assistant", "content": "blue"}], 256)
    assert _labelled(tok, ids, labels) == ["blue", "</s>"]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _ask(q):
    # The question word repeated: a 2-layer random model picks it up in a few dozen steps.
    return [{"role": "user", "content": " ".join([q] * 4)}]


def _demo(q):
    return {"messages": [*_ask(q), {"role": "assistant", "content": QA[q]}]}


def test_sft_learns_the_demonstrated_answers_and_lowers_held_out_loss(tmp_path, capsys):
    model_dir = make_tiny_causal_lm(tmp_path / "base", WORDS, seed=0)
    data = _write(tmp_path / "sft.jsonl", [_demo(q) for q in QA] * 4)
    held = _write(tmp_path / "eval.jsonl", [_demo(q) for q in QA])
    out = tmp_path / "out"
    code = main(["sft", "--data", str(data), "--model", str(model_dir), "--eval-data", str(held), "--output-dir", str(out),
                 "--max-steps", "50", "--batch-size", "4", "--lr", "0.01", "--eval-every", "25", "--checkpoint-every", "25"])
    events = _events(capsys)
    assert code == 0, events[-1]
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 25, 50]
    assert evals[-1]["loss"] < 0.5 * evals[0]["loss"]
    done = events[-1]
    assert done["event"] == "done" and done["steps"] == 50 and not done["interrupted"]
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [25, 50]
    # Each checkpoint holds its step's model as a plain folder: the raw weights it resumes from,
    # and for the last step the final model.
    raw = load_file(str(out / "checkpoints" / "step-25" / "policy.safetensors"))
    exported = _weights(out / "checkpoints" / "step-25" / "model")
    assert all(torch.equal(v, raw[k]) for k, v in exported.items())
    assert not torch.equal(exported["model.embed_tokens.weight"], _weights(out / "model")["model.embed_tokens.weight"])
    assert_same_model_folder(out / "checkpoints" / "step-50" / "model", out / "model")
    # The saved folder is a plain causal LM that answers with the demonstrated words.
    model, tok = load_policy(out / "model")
    s = generate(model, tok, [_ask(q) for q in QA], temperature=0.0, max_new_tokens=3)
    assert s.texts == list(QA.values())
    assert bool(s.ended.all())
    # A second run with the same output dir has nothing left to do.
    assert main(["sft", "--data", str(data), "--model", str(model_dir), "--output-dir", str(out), "--max-steps", "50", "--batch-size", "4"]) == 0
    assert _events(capsys)[-1]["steps"] == 50


def test_sft_with_lora_saves_a_merged_plain_model_at_each_checkpoint_without_disturbing_training(tmp_path, capsys):
    model_dir = make_tiny_causal_lm(tmp_path / "base", WORDS, seed=0)
    data = _write(tmp_path / "sft.jsonl", [_demo(q) for q in QA])
    args = ["sft", "--data", str(data), "--model", str(model_dir), "--max-steps", "3", "--batch-size", "2", "--lr", "0.01",
            "--lora-r", "4", "--eval-fraction", "0.25"]
    out = tmp_path / "out"
    code = main([*args, "--output-dir", str(out), "--checkpoint-every", "1"])
    assert code == 0, _events(capsys)[-1]
    files = {p.name for p in (out / "model").iterdir()}
    assert "config.json" in files and "adapter_config.json" not in files
    base, _ = load_policy(model_dir)
    tuned, _ = load_policy(out / "model")
    diff = sum(float((a - b).abs().sum()) for a, b in zip(base.state_dict().values(), tuned.state_dict().values()))
    assert diff > 0
    ckpt = sorted((out / "checkpoints").iterdir())[-1]
    assert all("lora_" in k for k in load_file(str(ckpt / "policy.safetensors")))

    # step-2's model is the base with step-2's adapters merged: same logits as that LoRA model.
    live, tok = load_policy(model_dir, lora_r=4)
    TrainableState(live, only_trainable=True).load_state_dict(load_file(str(out / "checkpoints" / "step-2" / "policy.safetensors")))
    exported = load_causal_lm(out / "checkpoints" / "step-2" / "model")
    ids = torch.tensor([tok("what colour is the sky blue", add_special_tokens=False)["input_ids"]])
    live.eval()
    exported.eval()
    with torch.no_grad():
        assert torch.allclose(exported(input_ids=ids).logits, live(input_ids=ids).logits, atol=1e-5)
        assert not torch.allclose(exported(input_ids=ids).logits, base(input_ids=ids).logits, atol=1e-3)
    assert_same_model_folder(out / "checkpoints" / "step-3" / "model", out / "model")

    # Exporting at steps 1 and 2 left training as it was: a run without them ends with the same weights.
    code = main([*args, "--output-dir", str(tmp_path / "plain")])
    assert code == 0, _events(capsys)[-1]
    assert [p.name for p in (tmp_path / "plain" / "checkpoints").iterdir()] == ["step-3"]
    assert_same_model_folder(tmp_path / "plain" / "model", out / "model")


def test_sft_bad_input_is_an_error_event_and_writes_nothing(tmp_path, capsys):
    model_dir = make_tiny_causal_lm(tmp_path / "base", WORDS)
    bad = _write(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    out = tmp_path / "out"
    assert main(["sft", "--data", str(bad), "--model", str(model_dir), "--output-dir", str(out)]) == 2
    assert "last message must be the assistant" in _events(capsys)[-1]["message"]
    good = _write(tmp_path / "good.jsonl", [_demo("sky")])
    assert main(["sft", "--data", str(good), "--model", str(tmp_path / "nope"), "--output-dir", str(out)]) == 2
    assert "does not exist" in _events(capsys)[-1]["message"]
    assert not out.exists()


def test_sft_resumes_from_the_latest_checkpoint(tmp_path, capsys):
    model_dir = make_tiny_causal_lm(tmp_path / "base", WORDS, seed=0)
    data = _write(tmp_path / "sft.jsonl", [_demo(q) for q in QA])
    args = ["sft", "--data", str(data), "--model", str(model_dir), "--output-dir", str(tmp_path / "out"), "--max-steps", "4",
            "--batch-size", "2", "--lr", "0.01", "--eval-fraction", "0", "--checkpoint-every", "2"]
    assert main(args) == 0
    first = [e for e in _events(capsys) if e["event"] == "metric" and e["name"] == "train/loss"]
    # As if killed after the step-2 checkpoint: the final model and the step-4 checkpoint are gone.
    shutil.rmtree(tmp_path / "out" / "model")
    shutil.rmtree(tmp_path / "out" / "checkpoints" / "step-4")
    assert main(args) == 0
    again = [e for e in _events(capsys) if e["event"] == "metric" and e["name"] == "train/loss"]
    assert [e["step"] for e in again] == [3, 4]
    # Same batches, weights, optimizer and RNG: the resumed steps repeat the first run's losses.
    assert [e["value"] for e in again] == pytest.approx([e["value"] for e in first[2:]], abs=1e-6)
