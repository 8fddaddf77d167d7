"""`python -m trainer reward` end to end on a tiny Llama: it learns a known rule, resumes, stops."""

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

from trainer.loop import SUMMARY_FILE
from trainer.reward_model import RewardModel, load_tokenizer, score
from trainer.tiny import make_tiny_causal_lm

TRAINER_DIR = Path(__file__).resolve().parents[1]
# One thread per run: two runs go side by side on a 2-core machine, and a single thread keeps
# the runs bit-for-bit repeatable, which the resume test relies on.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(TRAINER_DIR)}

FILL = [f"w{i}" for i in range(24)]
TOPICS = [f"t{i}" for i in range(12)]
WORDS = [*FILL, *TOPICS, "good", "bad", "tell", "me", "about"]
LEVEL = {"good": 0, "neutral": 1, "bad": 2}  # responses with "good" beat plain ones beat "bad" ones


def _response(rng, label):
    words = rng.sample(FILL, rng.randint(3, 6))
    if label != "neutral":
        words.insert(rng.randrange(len(words) + 1), label)
    return " ".join(words)


def _prompt(rng):
    return [{"role": "user", "content": "tell me about " + " ".join(rng.sample(TOPICS, 2) + rng.sample(FILL, 2))}]


def rankings(n, seed):
    """K = 3 or 4 responses per prompt, ranks from the rule, equal labels tie."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        labels = ["good", "bad"] + [rng.choice(list(LEVEL)) for _ in range(rng.choice([1, 2]))]
        rng.shuffle(labels)
        levels = sorted({LEVEL[x] for x in labels})
        out.append({
            "id": f"r{i}",
            "prompt": _prompt(rng),
            "responses": [{"id": f"r{i}-{j}", "content": _response(rng, x), "rank": levels.index(LEVEL[x]), "rubric": None} for j, x in enumerate(labels)],
            "strengths": ["clear"] * (len(levels) - 1),
            "safety": {"promptPolicy": rng.choice(["allowed", "sensitive"])},
        })
    return out


def pairs(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = sorted(rng.sample(list(LEVEL), 2), key=LEVEL.get)
        out.append({
            "id": f"p{i}",
            "prompt": _prompt(rng),
            "chosen": [{"role": "assistant", "content": _response(rng, a)}],
            "rejected": [{"role": "assistant", "content": _response(rng, b)}],
            "margin": 2 / 3,
            "source": rng.choice(["production", "red_team"]),
        })
    return out


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    d = tmp_path_factory.mktemp("reward_task")
    return {
        "dir": d,
        "model": make_tiny_causal_lm(d / "llama", WORDS),
        "rankings": write_jsonl(d / "rankings.jsonl", rankings(80, 1)),
        "pairs": write_jsonl(d / "pairs.jsonl", pairs(160, 2)),
        "pairs_eval": write_jsonl(d / "pairs_eval.jsonl", pairs(40, 3)),
    }


def ranking_args(task, out, epochs=6):
    return ["--data", str(task["rankings"]), "--model", str(task["model"]), "--output-dir", str(out), "--eval-fraction", "0.25",
            "--epochs", str(epochs), "--batch-size", "4", "--lr", "1e-3", "--warmup-steps", "5", "--eval-every", "10", "--max-length", "64",
            "--margin", "small", "--early-stopping-patience", "0", "--seed", "3"]


def start(*args):
    # stderr goes to a file: the test reads stdout line by line, and a full stderr pipe would block.
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "reward", *args], cwd=TRAINER_DIR, env=ENV, stdout=subprocess.PIPE, stderr=err, text=True)
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


def read_until_checkpoint(proc):
    """Events up to and including the first checkpoint (the run goes on meanwhile)."""
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "checkpoint":
            return events
    proc.err_file.seek(0)
    raise AssertionError(f"no checkpoint event; stderr: {proc.err_file.read()}")


def losses(events):
    return {e["step"]: e["value"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"}


@pytest.fixture(scope="module")
def baseline(task):
    """The rankings run and the pairs run, side by side."""
    runs = {
        "rankings": start(*ranking_args(task, task["dir"] / "base")),
        "pairs": start("--data", str(task["pairs"]), "--eval-data", str(task["pairs_eval"]), "--model", str(task["model"]),
                       "--output-dir", str(task["dir"] / "pairs_out"), "--epochs", "3", "--batch-size", "8", "--lr", "1e-3",
                       "--eval-every", "10", "--max-length", "64", "--margin", "large", "--centring", "0.01"),
    }
    return {name: finish(proc) for name, proc in runs.items()}


@pytest.mark.parametrize("layout", ["rankings", "pairs"])
def test_learns_that_good_beats_bad_on_held_out_prompts(task, baseline, layout):
    code, events, err = baseline[layout]
    assert code == 0, err
    kinds = {e["event"] for e in events}
    assert {"metric", "eval", "checkpoint", "done"} <= kinds and "error" not in kinds
    names = {e["name"] for e in events if e["event"] == "metric"}
    assert {"train/loss", "train/accuracy", "train/lr", "eval/loss", "eval/accuracy", "eval/ece"} <= names
    done = events[-1]
    assert done["event"] == "done" and done["interrupted"] is False and done["format"] == layout
    assert done["best_eval_accuracy"] > 0.9 and done["eval_pairs"] > 0 and done["train_pairs"] > 0
    final_eval = [e for e in events if e["event"] == "eval"][-1]
    assert final_eval["accuracy"] > 0.9 and final_eval["calibration"] and 0 <= final_eval["ece"] <= 1
    table = final_eval["accuracy_by_policy" if layout == "rankings" else "accuracy_by_category"]
    assert set(table) == ({"allowed", "sensitive"} if layout == "rankings" else {"production", "red_team"})
    first, last = losses(events)[1], list(losses(events).values())[-1]
    assert last < first

    # The saved model scores the rule on new prompts, and its rewards are centred on training data.
    model = RewardModel.load(done["model"])
    tok = load_tokenizer(done["model"])
    rng = random.Random(99)
    prompts = [_prompt(rng) for _ in range(20)]
    good = score(model, tok, prompts, [_response(rng, "good") for _ in prompts])
    bad = score(model, tok, prompts, [_response(rng, "bad") for _ in prompts])
    assert (good > bad).float().mean() > 0.9
    assert abs(float(torch.cat([good, bad]).mean())) < 1.5 and done["reward_std"] > 0


def test_each_checkpoint_holds_the_reward_model_of_its_step(task, baseline):
    code, events, err = baseline["rankings"]
    assert code == 0, err
    run = task["dir"] / "base"
    final = run / "model"
    rng = random.Random(5)
    prompts = [_prompt(rng) for _ in range(8)]
    responses = [_response(rng, label) for label in ["good", "bad", "neutral", "good"] * 2]
    checkpoints = sorted((run / "checkpoints").iterdir(), key=lambda p: int(p.name[5:]))
    assert len(checkpoints) == 2
    for ck in checkpoints:
        folder = ck / "model"
        assert {p.name for p in folder.iterdir()} == {p.name for p in final.iterdir()} - {SUMMARY_FILE}
        config = json.loads((folder / "reward_config.json").read_text())
        # Centred on (a sample of) the training responses, like the final model.
        assert config["normalised"] is True and config["normalised_on"] > 0
        assert config["std"] > 0 and (config["mean"], config["std"]) != (0.0, 1.0)
        assert config["step"] == int(ck.name[5:]) and config["format"] == "rankings"
        # It scores as the raw weights the run resumes from (the model at that step), centred with its statistics.
        at_step = RewardModel.from_backbone(str(task["model"]), max_length=64)
        at_step.load_state_dict(load_file(str(ck / "model.safetensors")))
        exported = RewardModel.load(folder)
        tok = load_tokenizer(folder)
        raw = score(at_step, tok, prompts, responses, normalise=False)
        assert torch.allclose(score(exported, tok, prompts, responses, normalise=False), raw, atol=1e-5)
        assert torch.allclose(score(exported, tok, prompts, responses), (raw - config["mean"]) / config["std"], atol=1e-4)
        # The live model's statistics were put back: the raw checkpoint still holds mean 0 / std 1.
        assert (float(at_step.reward_mean), float(at_step.reward_std)) == (0.0, 1.0)
    assert json.loads((final / "reward_config.json").read_text())["normalised"] is True
    # The final model is the best weights, normalised: raw scores as its step's checkpoint when kept.
    best = run / "checkpoints" / f"step-{events[-1]['best_step']}" / "model"
    if best.is_dir():
        tok = load_tokenizer(final)
        assert torch.allclose(score(RewardModel.load(final), tok, prompts, responses, normalise=False),
                              score(RewardModel.load(best), tok, prompts, responses, normalise=False), atol=1e-5)


def test_rerun_after_success_returns_the_summary_at_once(task, baseline):
    code, events, err = finish(start(*ranking_args(task, task["dir"] / "base")))
    assert code == 0, err
    assert [e["event"] for e in events] == ["done"]
    assert events[0]["steps"] == baseline["rankings"][1][-1]["steps"]


def test_killed_run_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run(task, baseline):
    killed_dir, stopped_dir = task["dir"] / "killed", task["dir"] / "stopped"
    # The stopped run is far longer, so it is still training when SIGTERM comes however the two
    # processes share the CPU (a run that has finished and is exiting dies of SIGTERM instead).
    killed, stopped = start(*ranking_args(task, killed_dir)), start(*ranking_args(task, stopped_dir, epochs=200))
    first_ck = read_until_checkpoint(killed)[-1]["step"]
    killed.kill()
    killed.wait()
    seen = read_until_checkpoint(stopped)[-1]["step"]
    stopped.send_signal(signal.SIGTERM)
    code, events, err = finish(stopped)

    # SIGTERM: a checkpoint of the current step, exit 0, done with interrupted.
    assert code == 0, err
    done = events[-1]
    assert done["event"] == "done" and done["interrupted"] is True and done["steps"] >= seen
    assert Path(done["checkpoint"]).name == f"step-{done['steps']}" and Path(done["checkpoint"]).is_dir()
    assert not (stopped_dir / "model").exists()

    # SIGKILL: re-running continues from the last complete checkpoint.
    steps = sorted(int(p.name[5:]) for p in (killed_dir / "checkpoints").iterdir() if p.name.startswith("step-"))
    resume_from = steps[-1]
    assert resume_from >= first_ck and not (killed_dir / "model").exists()
    code, events, err = finish(start(*ranking_args(task, killed_dir)))
    assert code == 0, err
    resumed = losses(events)
    assert min(resumed) == resume_from + 1
    # Weights, Adam moments, RNG and data order all restored: the same losses as without the kill.
    base_code, base_events, _ = baseline["rankings"]
    base = losses(base_events)
    assert max(abs(resumed[s] - base[s]) for s in resumed) < 1e-4
    assert events[-1]["interrupted"] is False
    assert abs(events[-1]["best_eval_accuracy"] - base_events[-1]["best_eval_accuracy"]) < 0.02


@pytest.fixture
def in_process(capsys):
    """Runs the CLI in this process (bad input fails before any training, no need for a subprocess)."""
    from trainer.__main__ import main

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def run(*args):
        code = main(list(args))
        return code, [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]

    yield run
    for s, h in handlers.items():
        signal.signal(s, h)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no records"),
        ('{"prompt": [{"role": "user", "content": "q"}], "responses": [{"content": "a", "rank": 0}, {"content": "b", "rank": 1}]}\n{broken\n',
         ":2: not valid JSON"),
        ('{"prompt": [{"role": "user", "content": "q"}], "responses": [{"content": "a", "rank": 0}]}\n', "at least two responses"),
        ('{"prompt": [{"role": "user", "content": "q"}], "responses": [{"content": "a", "rank": 0}, {"content": "b", "rank": 0}]}\n', "no comparison"),
        ('{"prompt": [{"role": "user", "content": "q"}], "text": "x"}\n', "cannot tell the layout"),
    ],
)
def test_bad_snapshot_is_an_error_event_and_writes_nothing(task, tmp_path, in_process, content, message):
    data = tmp_path / "bad.jsonl"
    data.write_text(content)
    code, events = in_process("reward", "--data", str(data), "--model", str(task["model"]), "--output-dir", str(tmp_path / "out"))
    assert code == 2 and events[-1]["event"] == "error" and message in events[-1]["message"]
    assert not (tmp_path / "out").exists()


def test_bad_config_or_missing_model_is_an_error_event_and_writes_nothing(task, tmp_path, in_process):
    base = ["reward", "--data", str(task["rankings"]), "--output-dir", str(tmp_path / "out")]
    cases = [
        ([*base, "--model", str(tmp_path / "no-model")], "does not exist"),
        ([*base, "--model", str(tmp_path)], "no config.json"),
        ([*base, "--model", str(task["model"]), "--lerning-rate", "1"], "unknown config key"),
        ([*base, "--model", str(task["model"]), "--margin", "huge"], "margin must be"),
        ([*base, "--model", str(task["model"]), "--eval-fraction", "1.5"], "eval_fraction"),
        (["reward", "--data", str(task["rankings"]), "--model", str(task["model"])], "needs --output-dir"),
    ]
    for args, message in cases:
        code, events = in_process(*args)
        assert code == 2 and events[-1]["event"] == "error" and message in events[-1]["message"], (args, events)
        assert not (tmp_path / "out").exists()
