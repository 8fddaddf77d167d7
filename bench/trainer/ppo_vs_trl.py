"""Our `ppo` step next to TRL's PPOTrainer on the same policy, reward model, prompts and batch.

TRL 1.13 removed PPOTrainer (the pinned TRL, 1.16, has none); TRL 1.12.0 is its last release that
has one, as `trl.experimental.ppo`. This benchmark installs that release on its own into
`.data/bench/trl-1.12.0` (`pip install --no-deps --target`, once) and puts it first on the path of
the TRL side's process only: the trainer keeps its pinned TRL.

Both sides, each in a fresh process (so that its peak memory is its own):
- the policy (default SmolLM2-135M-Instruct, fp32 weights, full fine-tuning; `--model tiny` for a
  2-layer random Llama), its frozen copy as the reference, the same prompts in the same order;
- the same reward model: a sequence-classification copy of the policy with a seeded random score
  head (TRL scores the sampled token ids, ours the decoded text: one reward-model forward each);
- `--batch` prompts sampled once each per step, `--new-tokens` new tokens at temperature 1 with EOS
  as the stop token, `--epochs` PPO epochs over mini-batches of `--mini-batch` (one optimizer step
  per mini-batch), the same learning rate held constant, clip ranges, value coefficient, γ, λ and
  KL estimator; a fixed KL coefficient (TRL has no adaptive one, so ours is set to fixed) and no
  missing-EOS penalty (TRL's default; ours is turned off to match).

What stays different, because it is how each is built: TRL trains a separate value network (a
second copy of the model, with its own optimizer state), ours a value head on the policy's last
hidden state; TRL samples with `model.generate`, ours with its own sampler (the same one `generate`
jobs use); TRL scores token ids, ours text. TRL's side gets a pad token other than EOS (the
tokenizer's unknown token), because PPOTrainer treats every token equal to the pad token as
padding, and SmolLM2's pad token is its EOS, `<|im_end|>`, which also ends each turn of the prompt.

Reported per side: seconds per PPO step (median, end of one step to the end of the next, after
`--warmup` steps), response tokens per second, peak memory (CPU: the process's peak RSS; CUDA:
max_memory_allocated) and the mean reward of the samples (that both sides did comparable work).

    .venv/bin/python bench/trainer/ppo_vs_trl.py --steps 3                       # CPU, SmolLM2-135M
    .venv/bin/python bench/trainer/ppo_vs_trl.py --device cuda --batch 64 --mini-batch 16 --new-tokens 128 --steps 5 --rounds 3   # GPU
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from common import peak_memory_gib, reset_peak
from trl_overhead import DEFAULT_POLICY, StepTimer, merge, our_context, policy_folder, precision, prompt_messages, run_side, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
TRL_PPO_VERSION = "1.12.0"
TRL_PPO_DIR = ROOT / ".data" / "bench" / f"trl-{TRL_PPO_VERSION}"
REWARDS: list[float] = []  # every sample's reward in this process
TOKENS: list[int] = []  # response tokens sampled, per step


def ensure_trl_ppo() -> None:
    """TRL 1.12.0 in its own folder (the trainer's venv supplies its dependencies)."""
    if (TRL_PPO_DIR / "trl" / "experimental" / "ppo" / "ppo_trainer.py").exists():
        return
    print(f"installing TRL {TRL_PPO_VERSION} (the last release with PPOTrainer) into {TRL_PPO_DIR.relative_to(ROOT)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(TRL_PPO_DIR), f"trl=={TRL_PPO_VERSION}"],
                   check=True)


def reward_folder(policy: str, root: Path, seed: int) -> str:
    """A sequence-classification copy of the policy with a seeded random score head."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(policy, num_labels=1, dtype=torch.float32, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(policy, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    out = root / "reward"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


# --------------------------------------------------------------------------- the two sides


def ours(a: argparse.Namespace, root: Path, policy: str, reward: str, timer: StepTimer) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from trainer.commands import ppo
    from trainer.rewards import Scorers

    prompts = write_jsonl(root / "prompts.jsonl", [{"prompt": p, "policy": "allowed"} for p in prompt_messages(*a.data)])
    cfg = ppo.Config(policy=policy, reward_model=reward, prompts=prompts, output_dir=str(root / "run"), device=a.device, seed=a.seed, steps=a.warmup + a.steps,
                     batch_size=a.batch, mini_batch_size=a.mini_batch, ppo_epochs=a.epochs, max_new_tokens=a.new_tokens, lr=a.lr,
                     adaptive_kl=False, init_kl_coef=a.kl_coef, missing_eos_penalty=None, reward_clip=None, checkpoint_every=10**6,
                     eval_every=10**6, use_vllm="no")
    cfg.validate()
    tokenizer = AutoTokenizer.from_pretrained(reward, local_files_only=True)
    tokenizer.padding_side = "right"
    rm = AutoModelForSequenceClassification.from_pretrained(reward, dtype=torch.float32, local_files_only=True).to(a.device).eval()

    @torch.no_grad()
    def score(prompts: list[Any], responses: list[str]) -> torch.Tensor:
        texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) + r for p, r in zip(prompts, responses)]
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(a.device)
        with torch.autocast(a.device.split(":")[0], dtype=torch.bfloat16, enabled=a.device.startswith("cuda")):
            values = rm(**enc).logits[:, 0].float().cpu()
        REWARDS.extend(values.tolist())
        return values

    events = StepEvents(timer, a.batch)
    ppo.train(cfg, our_context(a.device, root / "run", events), Scorers(reward=score))


class StepEvents:
    """Our event stream, with a StepTimer told of each step's end (the `train/reward` metric is the
    first one written after a step's updates)."""

    def __init__(self, timer: StepTimer, batch: int) -> None:
        import io

        from trainer.events import EventWriter

        self.writer = EventWriter(io.StringIO())
        self.timer, self.batch = timer, batch
        self.timer.on_train_begin()

    def metric(self, step: int, name: str, value: float) -> None:
        if name == "train/reward":
            self.timer.on_step_end()
        if name == "train/response_length":
            TOKENS.append(round(value * self.batch))
        self.writer.metric(step, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)


def trl(a: argparse.Namespace, root: Path, policy: str, reward: str, timer: StepTimer) -> None:
    import trl as trl_package
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer, set_seed
    from trl.experimental.ppo import PPOConfig, PPOTrainer

    assert trl_package.__version__ == TRL_PPO_VERSION, trl_package.__version__
    tokenizer = AutoTokenizer.from_pretrained(policy, local_files_only=True, padding_side="left")
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        # PPOTrainer takes every token equal to the pad token for padding: with pad = EOS (SmolLM2's
        # <|im_end|>) it would mask the chat template's own end-of-turn tokens out of each prompt.
        tokenizer.pad_token = tokenizer.unk_token if tokenizer.unk_token not in (None, tokenizer.eos_token) else tokenizer.bos_token
    set_seed(a.seed)
    load = {"dtype": torch.float32, "local_files_only": True}
    model = AutoModelForCausalLM.from_pretrained(policy, **load)
    ref = AutoModelForCausalLM.from_pretrained(policy, **load)
    rm = AutoModelForSequenceClassification.from_pretrained(reward, num_labels=1, **load)
    value = AutoModelForSequenceClassification.from_pretrained(reward, num_labels=1, **load)
    rows = [{"input_ids": tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=False)}
            for p in prompt_messages(*a.data)]
    args = PPOConfig(output_dir=str(root / "trl"), report_to="none", seed=a.seed, data_seed=a.seed, **precision(a.device),
                     per_device_train_batch_size=a.batch, gradient_accumulation_steps=1, num_mini_batches=a.batch // a.mini_batch,
                     num_ppo_epochs=a.epochs, local_rollout_forward_batch_size=a.batch, total_episodes=a.batch * (a.warmup + a.steps),
                     response_length=a.new_tokens, temperature=1.0, stop_token="eos", missing_eos_penalty=None, kl_coef=a.kl_coef,
                     kl_estimator="k1", learning_rate=a.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                     max_grad_norm=1.0, cliprange=0.2, cliprange_value=0.2, vf_coef=0.1, gamma=1.0, lam=0.95, whiten_rewards=False,
                     num_sample_generations=0, save_strategy="no", logging_steps=10**6, gradient_checkpointing=False)
    trainer = PPOTrainer(args=args, processing_class=tokenizer, model=model, ref_model=ref, reward_model=rm, value_model=value,
                         train_dataset=Dataset.from_list(rows))

    original = trainer.callback_handler.on_step_end

    def step_end(*x: Any, **k: Any) -> Any:
        timer.on_step_end()
        return original(*x, **k)

    trainer.callback_handler.on_step_end = step_end
    timer.on_train_begin()
    scores: list[float] = []
    import trl.experimental.ppo.ppo_trainer as ppo_module

    get_reward = ppo_module.get_reward

    def recorded(*x: Any, **k: Any) -> Any:
        out = get_reward(*x, **k)  # (logits, scores, sequence lengths) of query + response; x[3] is the query length
        if x[0] is rm:
            scores.extend(out[1].float().cpu().tolist())
            TOKENS.append(int((out[2] - x[3] + 1).sum()))
        return out

    ppo_module.get_reward = recorded
    trainer.train()
    REWARDS.extend(scores)


# --------------------------------------------------------------------------- one side per process


def child(a: argparse.Namespace) -> None:
    if a.side == "trl":
        sys.path.insert(0, str(TRL_PPO_DIR))
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trainer.trl_bridge import quiet

    quiet()
    timer = StepTimer(a.device, lambda: 0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        policy = policy_folder(a.model, root)
        reward = reward_folder(policy, root, a.seed)
        reset_peak(a.device)
        start = time.perf_counter()
        (ours if a.side == "ours" else trl)(a, root, policy, reward, timer)
        timer.on_train_end()
        total = time.perf_counter() - start
    intervals = [timer.end[i] - timer.end[i - 1] for i in range(max(1, a.warmup), len(timer.end))]
    tokens = TOKENS[max(1, a.warmup):len(timer.end)]
    step = statistics.median(intervals)
    figures = {"s_per_step": step, "tokens_per_step": statistics.mean(tokens), "tokens_per_s": sum(tokens) / sum(intervals),
               "peak_gib": peak_memory_gib(a.device), "run_s": total, "mean_reward": statistics.mean(REWARDS)}
    Path(a.result).write_text(json.dumps(figures))


def report(title: str, rows: dict[str, dict[str, Any]], base: str) -> None:
    print(title)
    print(f"{'':12s} {'s/step':>8s} {'tokens/s':>9s} {'tok/step':>9s} {'peak GiB':>9s} {'run s':>7s} {'reward':>8s}")
    for name, r in rows.items():
        print(f"{name:12s} {r['s_per_step']:8.3f} {r['tokens_per_s']:9.0f} {r['tokens_per_step']:9.0f} {r['peak_gib']:9.2f} {r['run_s']:7.1f}"
              f" {r['mean_reward']:8.4f}")
    b, o = rows[base], rows["ours"]
    print(f"ratio ours/{base}: s/step {o['s_per_step'] / b['s_per_step']:.3f}, tokens/s {o['tokens_per_s'] / b['tokens_per_s']:.3f},"
          f" peak {o['peak_gib'] / b['peak_gib']:.3f}, run {o['run_s'] / b['run_s']:.3f}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(DEFAULT_POLICY), help="a local causal LM folder, or 'tiny' (default: SmolLM2-135M-Instruct)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--steps", type=int, default=3, help="timed PPO steps per side")
    p.add_argument("--warmup", type=int, default=1, help="steps before the timed ones")
    p.add_argument("--rounds", type=int, default=1, help="runs per side, alternating (the median of each figure is reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8, help="prompts per PPO step (one sample each)")
    p.add_argument("--mini-batch", type=int, default=4, help="samples per optimizer step")
    p.add_argument("--epochs", type=int, default=2, help="PPO epochs over each step's samples")
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--kl-coef", type=float, default=0.05)
    p.add_argument("--side", choices=("ours", "trl"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    return p


def main() -> None:
    a = parser().parse_args()
    if a.batch % a.mini_batch:
        sys.exit("--batch must be a multiple of --mini-batch")
    a.data = (a.batch * (a.warmup + a.steps), 16, a.seed)  # prompts, prompt words, seed
    if a.side:
        child(a)
        return
    ensure_trl_ppo()
    argv = sys.argv[1:]
    results: dict[str, list[dict[str, Any]]] = {f"TRL {TRL_PPO_VERSION}": [], "ours": []}
    for _ in range(a.rounds):
        results[f"TRL {TRL_PPO_VERSION}"].append(run_side(__file__, [*argv, "--side", "trl"]))
        results["ours"].append(run_side(__file__, [*argv, "--side", "ours"]))
    where = f"{a.device}, {torch.get_num_threads()} threads" if a.device == "cpu" else torch.cuda.get_device_name()
    model = "tiny random Llama" if a.model == "tiny" else Path(a.model).name
    report(f"PPO · {model} · {where} · {a.batch} prompts × ≤{a.new_tokens} new tokens, {a.epochs} epochs of mini-batches of {a.mini_batch}"
           f" · {a.steps} timed steps after {a.warmup} · {a.rounds} round(s)", {k: merge(v) for k, v in results.items()}, f"TRL {TRL_PPO_VERSION}")


if __name__ == "__main__":
    main()
