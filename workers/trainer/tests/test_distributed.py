"""Data-parallel training through torchrun (gloo on CPU): the same code path as several GPUs."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from trainer.reward_model import forward_sorted
from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder

TRAINER_DIR = Path(__file__).resolve().parents[1]


WORDS = ["good", "bad", "x", "y", "z", "q"]


def _good_over_bad_pairs(tmp_path: Path, n: int, filler_words: int, numbered_prompts: bool = False) -> Path:
    """A pairs snapshot where "good …" beats "bad …" after the same filler words."""
    rows = []
    for i in range(n):
        filler = " ".join(WORDS[2 + (i + j) % 4] for j in range(filler_words))
        prompt = f"q {filler} {i}" if numbered_prompts else f"q {filler}"
        rows.append({
            "id": str(i),
            "prompt": [{"role": "user", "content": prompt}],
            "chosen": [{"role": "assistant", "content": f"good {filler}"}],
            "rejected": [{"role": "assistant", "content": f"bad {filler}"}],
            "margin": 1,
        })
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def test_sorted_micro_forwards_give_the_same_scores_and_gradients_as_one_forward(tmp_path):
    from trainer.reward_model import RewardModel

    torch.manual_seed(0)
    model = RewardModel.from_backbone(str(make_tiny_encoder(tmp_path / "enc", ["a", "b", "c"])), dtype=torch.float64)
    model.eval()
    ids = [[2, 5, 6, 7, 3], [2, 5, 3], [2, 6, 6, 6, 6, 6, 6, 3], [2, 7, 3], [2, 5, 6, 3]]
    grads = []
    outs = []
    for budget in (0, 10):
        model.zero_grad()
        scores = forward_sorted(model, ids, 0, torch.device("cpu"), budget)
        (scores * torch.arange(1, 6, dtype=scores.dtype)).sum().backward()
        outs.append(scores.detach())
        grads.append(model.head.weight.grad.clone())
    torch.testing.assert_close(outs[0], outs[1], atol=1e-10, rtol=0)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-10, rtol=0)


def test_reward_trains_on_two_processes_and_only_rank_zero_reports(tmp_path):
    backbone = make_tiny_encoder(tmp_path / "enc", WORDS)
    data = _good_over_bad_pairs(tmp_path, 24, filler_words=3)
    out = tmp_path / "out"
    torchrun = Path(sys.executable).with_name("torchrun")
    proc = subprocess.run(
        [str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "trainer", "reward",
         "--data", str(data), "--model", str(backbone), "--output-dir", str(out), "--device", "cpu",
         "--batch-size", "4", "--epochs", "2", "--lr", "1e-3", "--eval-every", "5",
         # Several forwards per step (sorted by length), as long conversations would need.
         "--tokens-per-forward", "16"],
        cwd=TRAINER_DIR, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    done = [e for e in events if e["event"] == "done"]
    assert len(done) == 1, "one process reports"
    steps = [e["step"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert steps == sorted(set(steps)), "no step reported twice"
    assert (out / "model" / "head.safetensors").is_file()


def test_dpo_trains_on_two_processes_through_accelerate_and_only_rank_zero_reports(tmp_path):
    """The worker starts the commands on TRL's trainers with `accelerate launch` on several GPUs; the
    same launch on two CPU processes (gloo) checks the bridge under data parallelism."""
    policy = make_tiny_causal_lm(tmp_path / "policy", WORDS)
    data = _good_over_bad_pairs(tmp_path, 16, filler_words=2, numbered_prompts=True)
    out = tmp_path / "out"
    accelerate = Path(sys.executable).with_name("accelerate")
    proc = subprocess.run(
        [str(accelerate), "launch", "--cpu", "--num_machines", "1", "--num_processes", "2", "--mixed_precision", "no", "--dynamo_backend", "no",
         "-m", "trainer", "dpo", "--data", str(data), "--model", str(policy), "--output-dir", str(out), "--device", "cpu",
         "--batch-size", "4", "--max-steps", "3", "--checkpoint-every", "2", "--eval-fraction", "0", "--lr", "1e-3", "--max-length", "32"],
        cwd=TRAINER_DIR, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    done = [e for e in events if e["event"] == "done"]
    assert len(done) == 1, "one process reports"
    assert done[0]["steps"] == 3
    steps = [e["step"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert steps == [1, 2, 3], "each step reported once"
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [2, 3]
    assert (out / "model" / "config.json").is_file()
