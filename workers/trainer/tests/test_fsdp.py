"""`reward --distributed fsdp` (FSDP2) on two CPU processes (gloo) against the same run under DDP."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_distributed import WORDS, _good_over_bad_pairs

from trainer.reward_model import RewardModel, load_tokenizer, score
from trainer.tiny import make_tiny_causal_lm

TRAINER_DIR = Path(__file__).resolve().parents[1]


def _command(task: dict, mode: str, out: Path) -> list[str]:
    torchrun = Path(sys.executable).with_name("torchrun")
    return [str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "trainer", "reward", "--distributed", mode,
            "--data", str(task["data"]), "--model", str(task["backbone"]), "--output-dir", str(out), "--device", "cpu",
            "--batch-size", "4", "--epochs", "3", "--lr", "1e-3", "--eval-every", "5", "--early-stopping-patience", "0"]


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["value"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"}


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    d = tmp_path_factory.mktemp("fsdp")
    task = {"dir": d, "backbone": make_tiny_causal_lm(d / "llama", WORDS), "data": _good_over_bad_pairs(d, 24, filler_words=3, numbered_prompts=True)}
    for mode in ("ddp", "fsdp"):
        proc = subprocess.run(_command(task, mode, d / mode), cwd=TRAINER_DIR, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        task[mode] = _events(proc.stdout)
    return task


def test_fsdp_follows_the_loss_trajectory_of_ddp_and_exports_a_model_that_loads(task):
    ddp, fsdp = _losses(task["ddp"]), _losses(task["fsdp"])
    assert sorted(ddp) == sorted(fsdp) and len(fsdp) > 10
    assert max(abs(ddp[s] - fsdp[s]) for s in ddp) < 1e-4, (ddp, fsdp)
    assert sum(e["event"] == "done" for e in task["fsdp"]) == 1, "one process reports"
    final = task["fsdp"][-1]
    assert final["event"] == "done" and final["distributed"] == "fsdp" and final["best_eval_accuracy"] == 1.0

    prompts = [[{"role": "user", "content": "q x y z"}]] * 2
    responses = ["good x y z", "bad x y z"]
    scores = {}
    for mode in ("ddp", "fsdp"):
        out = task["dir"] / mode
        for folder in (out / "model", *sorted((out / "checkpoints").glob("step-*/model"))):
            model = RewardModel.load(folder)
            scores.setdefault(mode, []).append(score(model, load_tokenizer(folder), prompts, responses, normalise=False))
    assert len(scores["fsdp"]) == len(scores["ddp"]) >= 2, "the final model and the checkpoints' models"
    for a, b in zip(scores["ddp"], scores["fsdp"]):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)


def test_a_stopped_fsdp_run_resumes_from_its_gathered_checkpoint_with_the_same_losses(task):
    out = task["dir"] / "stopped"
    proc = subprocess.Popen(_command(task, "fsdp", out), cwd=TRAINER_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith("{") and json.loads(line)["event"] == "checkpoint":
            break
    proc.send_signal(signal.SIGTERM)  # torchrun passes it on to both ranks
    stopped = _events(proc.stdout.read())
    proc.wait(timeout=120)
    assert stopped[-1]["event"] == "done" and stopped[-1]["interrupted"] is True and not (out / "model").exists()

    again = subprocess.run(_command(task, "fsdp", out), cwd=TRAINER_DIR, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    resumed, full = _losses(_events(again.stdout)), _losses(task["fsdp"])
    assert min(resumed) == stopped[-1]["steps"] + 1 and max(resumed) == max(full)
    # Weights, AdamW moments (gathered by parameter name), RNG and data order all restored.
    assert max(abs(resumed[s] - full[s]) for s in resumed) < 1e-6
