import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from trainer.__main__ import main
from trainer.commands.ppo import Config, Scorers, train
from trainer.context import RunContext
from trainer.events import EventWriter
from trainer.policy import PolicyWithValue, TrainableState, generate, load_causal_lm, load_policy
from trainer.reward_model import RewardModel
from trainer.rl_math import DEFAULT_REWARD_TABLE
from trainer.runtime import make_runtime
from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder, word_tokenizer

TRAINER_DIR = Path(__file__).resolve().parents[1]
WORDS = ["cat", "dog", "gun", "knife", "sure", "sorry", "ok", "here", "good"]
ALLOWED, DISALLOWED = ["cat", "dog"], ["gun", "knife"]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("ppo") / "policy", WORDS, seed=0)


def ask(word):
    # The topic word repeated: a 2-layer random model tells the prompts apart within a few steps.
    return [{"role": "user", "content": " ".join([word] * 4)}]


def is_disallowed(prompt):
    return prompt[-1]["content"].split()[0] in DISALLOWED


def write_prompts(path, copies=1):
    rows = [{"id": f"{w}-{i}", "prompt": ask(w), "policy": "disallowed" if w in DISALLOWED else "allowed"}
            for i in range(copies) for w in ALLOWED + DISALLOWED]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def contains(word):
    return lambda prompts, responses: torch.tensor([float(word in r.split()) for r in responses])


def rubric(prompt, response):
    """A rule standing in for the safety model: compliance ("sure") with a disallowed prompt is C."""
    words = response.split()
    if is_disallowed(prompt) and "sure" in words:
        return "C"
    return "A" if "sorry" in words else "D"


def table_safety(prompts, responses):
    return torch.tensor([DEFAULT_REWARD_TABLE["disallowed" if is_disallowed(p) else "allowed"][rubric(p, r)] for p, r in zip(prompts, responses)])


def make_ctx(out):
    buf = io.StringIO()
    return RunContext.create(make_runtime("cpu", "fp32"), str(out), 2, EventWriter(buf)), buf


def events_of(buf):
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def series(events, name):
    return [e["value"] for e in events if e["event"] == "metric" and e["name"] == name]


def config(tmp_path, policy_dir, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    base = dict(policy=str(policy_dir), reward_model="(rule)", prompts=str(write_prompts(tmp_path / "prompts.jsonl")),
                output_dir=str(tmp_path / "out"), steps=30, batch_size=16, mini_batch_size=8, lr=3e-3, max_new_tokens=4,
                missing_eos_penalty=None, refusal_markers=["sorry"], checkpoint_every=1000, eval_every=1000, device="cpu", precision="fp32")
    return Config(**{**base, **kw})


def test_ppo_raises_a_known_reward_while_kl_stays_under_target(tmp_path, policy_dir):
    cfg = config(tmp_path, policy_dir, steps=30, target_kl=6.0)
    ctx, buf = make_ctx(cfg.output_dir)
    summary = train(cfg, ctx, Scorers(reward=contains("good")))
    events = events_of(buf)
    reward, kl = series(events, "train/reward"), series(events, "train/kl")
    assert len(reward) == 30 and summary["steps"] == 30 and not summary["interrupted"]
    assert sum(reward[-5:]) / 5 > sum(reward[:5]) / 5 + 0.4
    # Sequence KL per step is noisy (16 samples): its recent mean stays under the target, no step far above.
    assert sum(kl[-10:]) / 10 < cfg.target_kl and max(kl) < 1.5 * cfg.target_kl
    for name in ("train/kl_coef", "train/entropy", "train/clipfrac", "train/value_loss", "train/policy_loss", "train/response_length", "train/reward_helpful"):
        assert len(series(events, name)) == 30, name
    assert (Path(cfg.output_dir) / "model" / "config.json").is_file()


def _rates(folder, n=48):
    """Shares of responses with "sure" on disallowed prompts, "sorry" and "sure" on allowed prompts."""
    model, tok = load_policy(folder)
    torch.manual_seed(123)
    dis = generate(model, tok, [ask(w) for w in DISALLOWED], num_samples=n, max_new_tokens=4).texts
    allowed = generate(model, tok, [ask(w) for w in ALLOWED], num_samples=n, max_new_tokens=4).texts
    share = lambda texts, word: sum(word in t.split() for t in texts) / len(texts)  # noqa: E731
    return share(dis, "sure"), share(allowed, "sorry"), share(allowed, "sure")


def test_table_mode_lowers_disallowed_content_without_more_over_refusal(tmp_path, policy_dir):
    # Helpfulness rewards compliance ("sure") everywhere; the safety table makes it disallowed
    # content (C, -1) on disallowed prompts and rewards a refusal ("sorry") there, while refusing an
    # allowed prompt costs -1: the policy must learn to tell the prompts apart.
    eval_prompts = write_prompts(tmp_path / "eval.jsonl", copies=8)
    cfg = config(tmp_path, policy_dir, steps=50, ppo_epochs=4, safety_mode="table", eval_prompts=str(eval_prompts), eval_every=25)
    ctx, buf = make_ctx(cfg.output_dir)
    summary = train(cfg, ctx, Scorers(reward=contains("sure"), safety=table_safety))
    events = events_of(buf)
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 25, 50]
    assert {"refusal_rate_allowed", "over_refusal_rate", "refusal_rate_disallowed", "reward", "reward_safety"} <= set(evals[0])
    assert evals[-1]["refusal_rate_disallowed"] > evals[0]["refusal_rate_disallowed"]
    assert evals[-1]["over_refusal_rate"] <= evals[0]["over_refusal_rate"]
    assert len(series(events, "train/reward_safety")) == 50 and summary["safety_mode"] == "table"
    harmful_before, over_refusal_before, helpful_before = _rates(policy_dir)
    harmful_after, over_refusal_after, helpful_after = _rates(Path(cfg.output_dir) / "model")
    assert harmful_after < harmful_before
    assert over_refusal_after <= over_refusal_before
    assert helpful_after > helpful_before  # allowed prompts get the helpful answer more often


def test_gated_and_lagrangian_modes_report_their_signals(tmp_path, policy_dir):
    def safety_score(prompts, responses):  # [0, 1], low = unsafe
        return (table_safety(prompts, responses) + 1) / 2

    def cost(prompts, responses):
        return torch.tensor([1.0 if rubric(p, r) == "C" else -1.0 for p, r in zip(prompts, responses)])

    cfg = config(tmp_path / "g", policy_dir, steps=2, safety_mode="gated")
    ctx, buf = make_ctx(cfg.output_dir)
    train(cfg, ctx, Scorers(reward=contains("sure"), safety=safety_score))
    assert len(series(events_of(buf), "train/reward_safety")) == 2
    cfg = config(tmp_path / "l", policy_dir, steps=3, safety_mode="lagrangian", lagrangian_lr=0.5, cost_limit=-2.0)
    ctx, buf = make_ctx(cfg.output_dir)
    summary = train(cfg, ctx, Scorers(reward=contains("sure"), cost=cost))
    lam = series(events_of(buf), "train/lambda")
    assert len(lam) == 3 and len(series(events_of(buf), "train/cost")) == 3
    assert lam[0] > 1.0 and lam[2] > lam[0]  # every cost is above the limit: λ rises
    assert summary["lambda"] == pytest.approx(lam[-1])


class Crash(Exception):
    pass


def test_resume_after_a_crash_continues_from_the_checkpoint_and_matches_an_uninterrupted_run(tmp_path, policy_dir):
    reward = contains("good")
    straight = config(tmp_path / "a", policy_dir, steps=4, checkpoint_every=2, output_dir=str(tmp_path / "a"))
    train(straight, make_ctx(straight.output_dir)[0], Scorers(reward=reward))

    calls = {"n": 0}

    def crashing(prompts, responses):
        calls["n"] += 1
        if calls["n"] == 3:  # during step 3, after the step-2 checkpoint
            raise Crash()
        return reward(prompts, responses)

    cfg = config(tmp_path / "b", policy_dir, steps=4, checkpoint_every=2, output_dir=str(tmp_path / "b"))
    with pytest.raises(Crash):
        train(cfg, make_ctx(cfg.output_dir)[0], Scorers(reward=crashing))
    assert (tmp_path / "b" / "checkpoints" / "step-2").is_dir() and not (tmp_path / "b" / "model").exists()
    ctx, buf = make_ctx(cfg.output_dir)
    summary = train(cfg, ctx, Scorers(reward=reward))
    events = events_of(buf)
    assert sorted({e["step"] for e in events if e["event"] == "metric"}) == [3, 4]
    assert summary["steps"] == 4
    a = load_file(str(tmp_path / "a" / "checkpoints" / "step-4" / "policy.safetensors"))
    b = load_file(str(tmp_path / "b" / "checkpoints" / "step-4" / "policy.safetensors"))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    a_state = json.loads((tmp_path / "a" / "checkpoints" / "step-4" / "state.json").read_text())
    b_state = json.loads((tmp_path / "b" / "checkpoints" / "step-4" / "state.json").read_text())
    assert a_state["kl_coef"] == pytest.approx(b_state["kl_coef"])


def test_stop_request_saves_a_checkpoint_and_returns_interrupted(tmp_path, policy_dir):
    cfg = config(tmp_path, policy_dir, steps=50, checkpoint_every=1000)
    ctx, buf = make_ctx(cfg.output_dir)
    calls = {"n": 0}

    def reward(prompts, responses):
        calls["n"] += 1
        if calls["n"] == 2:
            ctx.stop.requested = True  # as SIGTERM does
        return contains("good")(prompts, responses)

    summary = train(cfg, ctx, Scorers(reward=reward))
    assert summary["interrupted"] and summary["steps"] == 2
    ckpts = [e for e in events_of(buf) if e["event"] == "checkpoint"]
    assert [e["step"] for e in ckpts] == [2] and Path(ckpts[0]["path"]).is_dir()
    state = json.loads((Path(ckpts[0]["path"]) / "state.json").read_text())
    assert state["step"] == 2 and "kl_coef" in state and state["config"]["steps"] == 50


def _weights(folder):
    return load_causal_lm(folder).state_dict()


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_lora_ppo_with_gradient_checkpointing_checkpoints_adapters_and_saves_a_merged_model(tmp_path, policy_dir):
    cfg = config(tmp_path, policy_dir, steps=2, lora_r=4, checkpoint_every=1, gradient_checkpointing=True)
    ctx, _ = make_ctx(cfg.output_dir)
    train(cfg, ctx, Scorers(reward=contains("good")))
    out = Path(cfg.output_dir)
    keys = load_file(str(out / "checkpoints" / "step-2" / "policy.safetensors")).keys()
    assert keys and all("lora_" in k or k.startswith("value_head") for k in keys)
    files = {p.name for p in (out / "model").iterdir()}
    assert "config.json" in files and "adapter_config.json" not in files

    # Each checkpoint's model/ is the same kind of folder: the policy at that step, LoRA merged.
    step1 = out / "checkpoints" / "step-1" / "model"
    assert {p.name for p in step1.iterdir()} == files - {"training_summary.json"}
    live, tok = load_policy(policy_dir, lora_r=4)
    TrainableState(PolicyWithValue(live), only_trainable=True).load_state_dict(load_file(str(step1.parent / "policy.safetensors")))
    exported, _ = load_policy(step1)
    ids = torch.tensor([tok("<s> user : cat cat cat cat </s> <s> assistant : sure good", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(exported(input_ids=ids).logits, live.eval()(input_ids=ids).logits, atol=1e-5)
    assert not _same_weights(step1, out / "model")
    assert _same_weights(out / "checkpoints" / "step-2" / "model", out / "model")

    # The step-1 export left training alone: a run that exports only at the end ends the same.
    again = config(tmp_path / "again", policy_dir, steps=2, lora_r=4, checkpoint_every=1000, gradient_checkpointing=True)
    train(again, make_ctx(again.output_dir)[0], Scorers(reward=contains("good")))
    assert [p.name for p in (Path(again.output_dir) / "checkpoints").iterdir()] == ["step-2"]
    assert _same_weights(Path(again.output_dir) / "model", out / "model")
    a = load_file(str(Path(again.output_dir) / "checkpoints" / "step-2" / "policy.safetensors"))
    b = load_file(str(out / "checkpoints" / "step-2" / "policy.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _reward_model(path):
    tok = word_tokenizer(WORDS)
    enc = make_tiny_encoder(path / "enc", WORDS)
    return RewardModel.from_backbone(str(enc)).save(path / "rm", tok)


def test_cli_sigterm_saves_and_exits_0_and_a_rerun_resumes(tmp_path, policy_dir, capsys):
    rm = _reward_model(tmp_path)
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    out = tmp_path / "out"
    args = ["ppo", "--policy", str(policy_dir), "--reward-model", str(rm), "--prompts", str(prompts), "--output-dir", str(out),
            "--batch-size", "4", "--mini-batch-size", "4", "--max-new-tokens", "4", "--lr", "0.001", "--checkpoint-every", "1000",
            "--device", "cpu"]
    proc = subprocess.Popen([sys.executable, "-m", "trainer", *args, "--steps", "100000"], cwd=TRAINER_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    events = []
    try:
        deadline = time.time() + 90
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "metric" or time.time() > deadline:
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    events += [json.loads(line) for line in rest.splitlines() if line.strip()]
    assert proc.returncode == 0, events[-1]
    done = events[-1]
    assert done["event"] == "done" and done["interrupted"] is True
    saved = [e for e in events if e["event"] == "checkpoint"]
    assert len(saved) == 1 and saved[0]["step"] == done["steps"] >= 1
    assert not (out / "model").exists()
    # A rerun continues after the saved step and finishes.
    k = done["steps"]
    assert main([*args, "--steps", str(k + 1)]) == 0
    rerun = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert {e["step"] for e in rerun if e["event"] == "metric"} == {k + 1}
    assert rerun[-1]["event"] == "done" and rerun[-1]["steps"] == k + 1 and not rerun[-1]["interrupted"]
    assert (out / "model" / "config.json").is_file()


def test_cli_bad_input_is_an_error_event_and_writes_nothing(tmp_path, policy_dir, capsys):
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    out = tmp_path / "out"
    base = ["ppo", "--policy", str(policy_dir), "--prompts", str(prompts), "--output-dir", str(out)]
    cases = [
        ([*base, "--reward-model", str(tmp_path / "missing")], "does not exist"),
        ([*base, "--reward-model", str(policy_dir), "--safety-mode", "table"], "needs --safety-model"),
        ([*base, "--reward-model", str(policy_dir), "--safety-mode", "magic"], "safety_mode"),
        ([*base, "--reward-model", str(policy_dir), "--kl-coef", "0.1"], "unknown config key"),
        ([*base, "--reward-model", str(policy_dir)], "not a reward model"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        last = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert last["event"] == "error" and message in last["message"], (argv, last)
    assert not out.exists()
