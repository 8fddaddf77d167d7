"""Our `ppo` step against our `grpo` step on the same policy, prompts, samples per step and lengths.

Both commands train the same policy folder (full fine-tuning, their default), rewarded by the same
rule (longer answers score higher, up to 20 words; `Scorers`, so no reward-model forward), with
the same number of sampled responses per step: PPO samples one response for each of `--samples`
prompts, GRPO `--generations` responses for each of `--samples / --generations` prompts. Everything
else is each command's default: PPO runs 2 epochs over mini-batches of 4 (4 optimizer steps a
step) with a value head and the reference's forward; GRPO one optimizer step with the reference's
forward (β 0.04). Each runs in a fresh subprocess for `--warmup` + `--steps` steps.

Seconds per step: the median over the timed steps, end of one step to the end of the next (PPO:
between its per-step metric events; GRPO: TrainerCallback timestamps), sampling included. Peak
memory: the process's peak RSS on CPU, max_memory_allocated on CUDA, after the last step (before
the final checkpoint).

    .venv/bin/python bench/trainer/ppo_vs_grpo.py --steps 3                 # CPU, SmolLM2-135M
    .venv/bin/python bench/trainer/ppo_vs_grpo.py --device cuda --samples 64 --generations 8 --new-tokens 128 --steps 10
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from common import peak_memory_gib, reset_peak, sync
from trl_overhead import (
    DEFAULT_POLICY,
    REWARDS,
    StepTimer,
    length_reward,
    our_context,
    our_grpo,
    policy_folder,
    prompt_messages,
    run_side,
    token_counter,
    write_jsonl,
)

from trainer.events import EventWriter


class TimedEvents(EventWriter):
    """Our events, each metric kept with the time it was emitted; the peak memory at each PPO step's end."""

    def __init__(self, device: str) -> None:
        super().__init__(io.StringIO())
        self.device = device
        self.metrics: list[tuple[float, str, float]] = []
        self.peak = 0.0

    def metric(self, step: int, name: str, value: float) -> None:
        if name == "train/reward":  # PPO's first metric of a step, written once the step is done
            sync(self.device)
            self.peak = peak_memory_gib(self.device)
        self.metrics.append((time.perf_counter(), name, value))
        super().metric(step, name, value)

    def values(self, name: str) -> list[float]:
        return [v for _, n, v in self.metrics if n == name]

    def times(self, name: str) -> list[float]:
        return [t for t, n, _ in self.metrics if n == name]


def run_ppo(a: argparse.Namespace, root: Path, model: str, events: TimedEvents) -> dict[str, Any]:
    from trainer.commands import ppo
    from trainer.rewards import Scorers

    prompts = write_jsonl(root / "prompts.jsonl", [{"prompt": p, "policy": "allowed"} for p in prompt_messages(a.samples * (a.warmup + a.steps), 16, a.seed)])
    cfg = ppo.Config(policy=model, reward_model=model, prompts=prompts, output_dir=str(root / "run"), device=a.device, seed=a.seed,
                     steps=a.warmup + a.steps, batch_size=a.samples, max_new_tokens=a.new_tokens, checkpoint_every=10**6, eval_every=10**6,
                     lora_r=a.lora_r)
    ppo.train(cfg, our_context(a.device, root / "run", events), Scorers(reward=lambda ps, rs: torch.tensor(length_reward(rs))))
    ends = events.times("train/reward")
    intervals = [ends[i] - ends[i - 1] for i in range(max(1, a.warmup), len(ends))]
    return {"s_per_step": statistics.median(intervals), "peak_gib": events.peak, "response_length": statistics.mean(events.values("train/response_length")),
            "optimizer_steps": 2 * -(-a.samples // 4)}


def run_grpo(a: argparse.Namespace, root: Path, model: str, events: TimedEvents) -> dict[str, Any]:
    timers: list[StepTimer] = []

    def timer_for(trainer: Any) -> StepTimer:
        timers.append(StepTimer(a.device, token_counter(trainer)))
        return timers[-1]

    g = argparse.Namespace(**vars(a), prompts=a.samples // a.generations)
    g.grpo_data = (g.prompts * (a.warmup + a.steps), 16, a.seed)
    our_grpo(g, root, model, timer_for, events)
    f = timers[0].figures(a.warmup)
    return {"s_per_step": f["s_per_step"], "peak_gib": f["peak_gib"], "response_length": statistics.mean(events.values("train/completions/mean_length")),
            "optimizer_steps": 1}


def child(a: argparse.Namespace) -> None:
    from trainer.trl_bridge import quiet

    quiet()
    events = TimedEvents(a.device)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = policy_folder(a.model, root)
        reset_peak(a.device)
        start = time.perf_counter()
        figures = (run_ppo if a.algo == "ppo" else run_grpo)(a, root, model, events)
        figures |= {"run_s": time.perf_counter() - start, "mean_reward": statistics.mean(REWARDS)}
    Path(a.result).write_text(json.dumps(figures))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(DEFAULT_POLICY), help="a local causal LM folder, or 'tiny' (default: SmolLM2-135M-Instruct)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--samples", type=int, default=8, help="responses sampled per step (PPO: prompts; GRPO: prompts × generations)")
    p.add_argument("--generations", type=int, default=4, help="GRPO: samples per prompt")
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--steps", type=int, default=3, help="timed steps per side")
    p.add_argument("--warmup", type=int, default=1, help="steps before the timed ones")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lora-r", type=int, default=0, help="LoRA rank on both sides (0: full fine-tuning, the commands' default)")
    p.add_argument("--algo", choices=("ppo", "grpo"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.samples % a.generations:
        p.error("--samples must be a multiple of --generations")
    if a.algo:
        child(a)
        return
    rows = {algo: run_side(__file__, [*sys.argv[1:], "--algo", algo]) for algo in ("ppo", "grpo")}
    where = f"{a.device}, {torch.get_num_threads()} threads" if a.device == "cpu" else torch.cuda.get_device_name()
    model = "tiny random Llama" if a.model == "tiny" else Path(a.model).name
    print(f"PPO vs GRPO · {model} · {where} · {a.samples} samples/step (PPO {a.samples} prompts × 1, GRPO {a.samples // a.generations} × {a.generations})"
          f" · {a.new_tokens} new tokens · {a.steps} timed steps after {a.warmup}")
    print(f"{'':6s} {'s/step':>8s} {'opt steps':>9s} {'resp len':>9s} {'peak GiB':>9s} {'run s':>7s} {'reward':>7s}")
    for name, r in rows.items():
        print(f"{name:6s} {r['s_per_step']:8.2f} {r['optimizer_steps']:9d} {r['response_length']:9.1f} {r['peak_gib']:9.2f}"
              f" {r['run_s']:7.1f} {r['mean_reward']:7.3f}")
    ppo, grpo = rows["ppo"], rows["grpo"]
    print(f"ratio PPO/GRPO: s/step {ppo['s_per_step'] / grpo['s_per_step']:.2f}, peak {ppo['peak_gib'] / grpo['peak_gib']:.2f}")


if __name__ == "__main__":
    main()
