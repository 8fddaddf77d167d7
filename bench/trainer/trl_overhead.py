"""Our `dpo` and `grpo` commands against the same TRL trainer called directly: wrapper overhead.

One model, one synthetic data set, one batch size, one seed. Each side runs in a fresh subprocess
(so its peak memory is its own), for `--warmup` steps then `--steps` timed steps:
- ours: the command as the CLI runs it, in-process: `dpo.run(cfg, ctx)` (pairs file → our pairs →
  WeightedDPOTrainer with our collator, EventsCallback, checkpoint hook, final `model/`) or
  `grpo.train(cfg, ctx, scorers)` (our prompt data set and reward functions on GRPOTrainer). The
  only thing added is a TrainerCallback that timestamps the steps;
- TRL: DPOTrainer / GRPOTrainer built by hand on the same model folder, rows, batch, lengths,
  seed and the arguments that change the math (learning rate and schedule, warm-up, weight decay,
  clipping, β, loss type, generations, temperature, dropout off, precision, gradient checkpointing:
  TRL turns it on by default, our commands leave it off); everything else at TRL's defaults (a
  log every 10 steps, a checkpoint at the end).

The GRPO reward on both sides is one rule (longer answers score higher, up to 20 words), given to
ours as its helpfulness scorer (`Scorers`) and to TRL as a plain reward function.

Reported per side: seconds per step (median of the timed steps, end of one step to the end of the
next: data, forward/backward, optimizer, logs and our events), the part inside the step
(on_step_begin → on_step_end), real tokens per second (TRL's own token count: non-pad tokens for
DPO, prompt + completion tokens for GRPO), peak memory (CPU: the process's peak RSS; CUDA:
max_memory_allocated) after the last step and after the final checkpoint, the whole run (setup,
steps, the final checkpoint, our final `model/`), and a check that both sides did the same work:
the mean training loss (DPO) or the mean reward of the samples (GRPO).

    .venv/bin/python bench/trainer/trl_overhead.py --algo dpo --steps 3            # CPU, SmolLM2-135M
    .venv/bin/python bench/trainer/trl_overhead.py --algo grpo --steps 3
    .venv/bin/python bench/trainer/trl_overhead.py --algo both --device cuda --batch 16 --steps 10   # GPU
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from common import peak_memory_gib, reset_peak, sync

from trainer.tiny import make_tiny_causal_lm

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / ".data" / "models" / "smollm2-135m-instruct"
WORDS = ("the a of to and in is it that for on with as was at by this from or be are not have but they one all we can "
         "time people water day part sound work place year back thing name good sentence man line right mean old any same "
         "tell boy follow came want show also around form three small set put end does another well large must big even "
         "such because turn here why ask went men read need land different home us move try kind hand picture again change "
         "off play spell air away animal house point page letter mother answer found study still learn should world").split()


# --------------------------------------------------------------------------- data and the reward


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def prompt_messages(n: int, words: int, seed: int = 0) -> list[list[dict[str, str]]]:
    rng = random.Random(seed)
    return [[{"role": "user", "content": f"Question {i}: " + sentence(rng, words)}] for i in range(n)]


def pair_rows(n: int, prompt_words: int, response_words: int, seed: int = 0) -> list[dict[str, Any]]:
    """n preference pairs with uneven response lengths (half to one and a half times `response_words`)."""
    rng = random.Random(seed + 1)

    def response() -> str:
        return sentence(rng, rng.randint(response_words // 2, response_words * 3 // 2))

    return [{"prompt": p, "chosen": response(), "rejected": response()} for p in prompt_messages(n, prompt_words, seed)]


REWARDS: list[float] = []  # every reward given in this process: their mean shows both sides sampled the same


def length_reward(responses: list[str]) -> list[float]:
    """The rule both sides are rewarded by: longer answers score higher, up to 20 words."""
    values = [min(len(r.split()), 20) / 20 for r in responses]
    REWARDS.extend(values)
    return values


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def policy_folder(model: str, root: Path) -> str:
    """The policy to train: a local folder, or `tiny` (a 2-layer random Llama over WORDS)."""
    if model == "tiny":
        return str(make_tiny_causal_lm(root / "tiny", [*WORDS, "Question", *(f"{i}:" for i in range(4096))], hidden=64, layers=2))
    return model


# --------------------------------------------------------------------------- timing


class StepTimer:
    """A TrainerCallback (duck-typed, so it can be added to any trainer) that timestamps the run:
    each step's begin and end, TRL's token count at each step's end, the training's end, and the
    mean loss TRL logs then."""

    def __init__(self, device: str, tokens: Callable[[], int]) -> None:
        self.device, self.tokens = device, tokens
        self.begin: list[float] = []
        self.end: list[float] = []
        self.seen: list[int] = []
        self.train_begin = self.train_end = 0.0
        self.train_loss: float | None = None
        self.peak = self.steps_peak = 0.0

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)

    def on_train_begin(self, *a: Any, **k: Any) -> None:
        self.train_begin = time.perf_counter()

    def on_step_begin(self, *a: Any, **k: Any) -> None:
        sync(self.device)
        self.begin.append(time.perf_counter())

    def on_step_end(self, *a: Any, **k: Any) -> None:
        sync(self.device)
        self.end.append(time.perf_counter())
        self.seen.append(int(self.tokens()))
        self.steps_peak = peak_memory_gib(self.device)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **k: Any) -> None:
        if logs and "train_loss" in logs:
            self.train_loss = float(logs["train_loss"])

    def on_train_end(self, *a: Any, **k: Any) -> None:
        sync(self.device)
        self.train_end = time.perf_counter()
        self.peak = peak_memory_gib(self.device)

    def figures(self, warmup: int) -> dict[str, Any]:
        """Medians over the steps after `warmup` (interval i: end of step i-1 to end of step i)."""
        intervals = [self.end[i] - self.end[i - 1] for i in range(max(1, warmup), len(self.end))]
        inside = [e - b for b, e in zip(self.begin[warmup:], self.end[warmup:])]
        tokens = [self.seen[i] - self.seen[i - 1] for i in range(max(1, warmup), len(self.seen))]
        step = statistics.median(intervals)
        return {
            "s_per_step": step,
            "s_inside_step": statistics.median(inside),
            "tokens_per_step": statistics.mean(tokens),
            "tokens_per_s": sum(tokens) / sum(intervals),
            "steps_timed": len(intervals),
            "steps_s": self.end[-1] - self.train_begin,
            "final_save_s": self.train_end - self.end[-1],
            "peak_gib": self.steps_peak,
            "end_peak_gib": self.peak,
            "train_loss": self.train_loss,
        }


def token_counter(trainer: Any) -> Callable[[], int]:
    """TRL's running count of the tokens trained on: DPO's non-pad tokens, GRPO's prompt + completion tokens."""
    from trl import DPOTrainer

    if isinstance(trainer, DPOTrainer):
        return lambda: trainer._total_train_tokens
    return lambda: trainer.state.num_input_tokens_seen


def hook_our_trainer(timer_for: Callable[[Any], StepTimer]) -> None:
    """Adds a StepTimer to the trainer our command builds, just before it trains (trl_bridge.run_trainer)."""
    from trainer import group_rl, trl_bridge

    original = trl_bridge.run_trainer

    def run_trainer(trainer: Any, *args: Any, **kwargs: Any) -> Any:
        trainer.add_callback(timer_for(trainer))
        return original(trainer, *args, **kwargs)

    trl_bridge.run_trainer = run_trainer
    group_rl.train_with_trl = run_trainer


def our_context(device: str, out: Path, events: Any = None) -> Any:
    import io

    from trainer.context import RunContext
    from trainer.events import EventWriter
    from trainer.runtime import make_runtime

    return RunContext.create(make_runtime(device), str(out), 1, events or EventWriter(io.StringIO()))


# --------------------------------------------------------------------------- the two sides


def our_dpo(a: argparse.Namespace, root: Path, model: str, timer_for: Callable[[Any], StepTimer]) -> None:
    from trainer.commands import dpo

    data = write_jsonl(root / "pairs.jsonl", [{**r, "chosen": [{"role": "assistant", "content": r["chosen"]}],
                                                "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in pair_rows(*a.dpo_data)])
    cfg = dpo.Config(data=data, model=model, output_dir=str(root / "run"), device=a.device, seed=a.seed, batch_size=a.batch,
                     eval_fraction=0.0, max_steps=a.warmup + a.steps, checkpoint_every=10**6, max_length=a.max_length, lora_r=a.lora_r)
    cfg.validate()
    hook_our_trainer(timer_for)
    dpo.run(cfg, our_context(a.device, root / "run"))


def trl_dpo(a: argparse.Namespace, root: Path, model: str, timer_for: Callable[[Any], StepTimer]) -> None:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from trainer.commands import dpo

    ours = dpo.Config(data="", model="", output_dir="")  # our defaults for the arguments that change the math
    tokenizer, policy = load(model, a.seed)
    rows = [{**r, "chosen": [{"role": "assistant", "content": r["chosen"]}], "rejected": [{"role": "assistant", "content": r["rejected"]}]}
            for r in pair_rows(*a.dpo_data)]
    args = DPOConfig(output_dir=str(root / "trl"), report_to="none", seed=a.seed, data_seed=a.seed, **precision(a.device),
                     per_device_train_batch_size=a.batch, max_steps=a.warmup + a.steps, learning_rate=ours.lr, weight_decay=ours.weight_decay,
                     warmup_steps=ours.warmup_steps, lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": 0.1},
                     max_grad_norm=ours.grad_clip, beta=ours.beta, loss_type=[ours.loss_type], max_length=a.max_length,
                     gradient_checkpointing=ours.gradient_checkpointing)
    trainer = DPOTrainer(model=policy, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=lora(a.lora_r))
    trainer.add_callback(timer_for(trainer))
    trainer.train()


def our_grpo(a: argparse.Namespace, root: Path, model: str, timer_for: Callable[[Any], StepTimer], events: Any = None) -> None:
    from trainer.commands import grpo
    from trainer.rewards import Scorers

    prompts = write_jsonl(root / "prompts.jsonl", [{"prompt": p, "policy": "allowed"} for p in prompt_messages(*a.grpo_data)])
    cfg = grpo_config(a, model, prompts, str(root / "run"))
    hook_our_trainer(timer_for)
    grpo.train(cfg, our_context(a.device, root / "run", events), Scorers(reward=lambda ps, rs: torch.tensor(length_reward(rs))))


def grpo_config(a: argparse.Namespace, model: str, prompts: str, out: str) -> Any:
    from trainer.commands import grpo

    return grpo.Config(policy=model, prompts=prompts, output_dir=out, device=a.device, seed=a.seed, steps=a.warmup + a.steps,
                       batch_size=a.prompts, num_generations=a.generations, max_new_tokens=a.new_tokens, checkpoint_every=10**6,
                       lora_r=a.lora_r, use_vllm="no")


def trl_grpo(a: argparse.Namespace, root: Path, model: str, timer_for: Callable[[Any], StepTimer]) -> None:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from trainer.group_rl import completion_texts

    ours = grpo_config(a, "", "", "")  # our defaults for the arguments that change the math
    tokenizer, policy = load(model, a.seed)

    def reward(prompts: list[Any], completions: list[Any], **_: Any) -> list[float]:
        return length_reward(completion_texts(completions))

    args = GRPOConfig(output_dir=str(root / "trl"), report_to="none", seed=a.seed, data_seed=a.seed, **precision(a.device),
                      per_device_train_batch_size=a.prompts * a.generations, num_generations=a.generations, max_steps=a.warmup + a.steps,
                      max_completion_length=a.new_tokens, temperature=ours.temperature, top_p=ours.top_p, beta=ours.beta,
                      loss_type=ours.loss_type, scale_rewards=ours.scale_rewards, importance_sampling_level=ours.importance_sampling_level,
                      disable_dropout=True, learning_rate=ours.lr, weight_decay=ours.weight_decay, warmup_steps=ours.warmup_steps,
                      lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": 0.1}, max_grad_norm=ours.grad_clip,
                      gradient_checkpointing=ours.gradient_checkpointing)
    rows = [{"prompt": p} for p in prompt_messages(*a.grpo_data)]
    trainer = GRPOTrainer(model=policy, reward_funcs=[reward], args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                          peft_config=lora(a.lora_r))
    trainer.add_callback(timer_for(trainer))
    trainer.train()


def load(model: str, seed: int) -> tuple[Any, Any]:
    """The tokenizer and the fp32 policy, as a user of TRL loads them."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    set_seed(seed)
    return tokenizer, AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32, local_files_only=True)


def precision(device: str) -> dict[str, Any]:
    cuda = device.startswith("cuda")
    return {"use_cpu": not cuda, "bf16": cuda and torch.cuda.is_bf16_supported()}


def lora(r: int) -> Any:
    from trainer.policy import lora_config

    return lora_config(r) if r > 0 else None


SIDES = {("dpo", "ours"): our_dpo, ("dpo", "trl"): trl_dpo, ("grpo", "ours"): our_grpo, ("grpo", "trl"): trl_grpo}


# --------------------------------------------------------------------------- one side per process


def child(a: argparse.Namespace) -> None:
    """Runs one side and writes its figures to `--result`."""
    from trainer.trl_bridge import quiet

    quiet()
    timers: list[StepTimer] = []

    def timer_for(trainer: Any) -> StepTimer:
        timers.append(StepTimer(a.device, token_counter(trainer)))
        return timers[-1]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = policy_folder(a.model, root)
        reset_peak(a.device)
        start = time.perf_counter()
        SIDES[a.algo, a.side](a, root, model, timer_for)
        total = time.perf_counter() - start
    timer = timers[0]
    figures = timer.figures(a.warmup)
    figures |= {"run_s": total, "setup_s": timer.train_begin - start, "after_s": start + total - timer.train_end,
                "mean_reward": statistics.mean(REWARDS) if REWARDS else None}
    Path(a.result).write_text(json.dumps(figures))


def run_side(script: str, argv: list[str]) -> dict[str, Any]:
    """Runs `script argv --result FILE` in a fresh process; the figures it wrote."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        proc = subprocess.run([sys.executable, script, *argv, "--result", f.name], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr[-4000:]}")
        return json.loads(Path(f.name).read_text())


def report(title: str, rows: dict[str, dict[str, Any]], base: str, goal: float | None = None) -> None:
    print(title)
    check = "reward" if rows[base].get("mean_reward") is not None else "loss"
    print(f"{'':12s} {'s/step':>8s} {'in step':>8s} {'tokens/s':>9s} {'tok/step':>9s} {'peak GiB':>9s} {'at end':>7s}"
          f" {'run s':>7s} {'(setup':>7s} {'steps':>6s} {'save':>6s} {'after)':>7s} {check:>8s}")
    for name, r in rows.items():
        value = r["mean_reward"] if check == "reward" else r.get("train_loss")
        loss = f"{value:.4f}" if value is not None else "-"
        print(f"{name:12s} {r['s_per_step']:8.3f} {r['s_inside_step']:8.3f} {r['tokens_per_s']:9.0f} {r['tokens_per_step']:9.0f}"
              f" {r['peak_gib']:9.2f} {r['end_peak_gib']:7.2f} {r['run_s']:7.1f} {r['setup_s']:7.1f} {r['steps_s']:6.1f} {r['final_save_s']:6.1f}"
              f" {r['after_s']:7.1f} {loss:>8s}")
    names = list(rows)
    other = next(n for n in names if n != base)
    b, o = rows[base], rows[other]
    goal_text = f"   (goal ≤ {goal:.2f}: {'met' if o['s_per_step'] / b['s_per_step'] <= goal else 'NOT met'})" if goal else ""
    print(f"ratio {other}/{base}: s/step {o['s_per_step'] / b['s_per_step']:.3f}{goal_text}, in step {o['s_inside_step'] / b['s_inside_step']:.3f},"
          f" tokens/s {o['tokens_per_s'] / b['tokens_per_s']:.3f}, peak {o['peak_gib'] / b['peak_gib']:.3f}, run {o['run_s'] / b['run_s']:.3f}")


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several rounds of one side: the median of each figure."""
    return {k: statistics.median(r[k] for r in runs) if runs[0][k] is not None else None for k in runs[0]}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--algo", choices=("dpo", "grpo", "both"), default="both")
    p.add_argument("--model", default=str(DEFAULT_POLICY), help="a local causal LM folder, or 'tiny' (default: SmolLM2-135M-Instruct)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--steps", type=int, default=4, help="timed optimizer steps per side")
    p.add_argument("--warmup", type=int, default=1, help="steps before the timed ones")
    p.add_argument("--rounds", type=int, default=1, help="runs per side, alternating (the median of each figure is reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lora-r", type=int, default=0, help="LoRA rank on both sides (0: full fine-tuning, the commands' default)")
    p.add_argument("--batch", type=int, default=8, help="DPO: pairs per step")
    p.add_argument("--max-length", type=int, default=256, help="DPO: tokens of prompt + response")
    p.add_argument("--response-words", type=int, default=40, help="DPO: mean words per response")
    p.add_argument("--prompts", type=int, default=2, help="GRPO: prompts per step")
    p.add_argument("--generations", type=int, default=4, help="GRPO: samples per prompt")
    p.add_argument("--new-tokens", type=int, default=32, help="GRPO: max new tokens")
    p.add_argument("--side", choices=("ours", "trl"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    return p


def with_data_sizes(a: argparse.Namespace) -> argparse.Namespace:
    steps = a.warmup + a.steps
    a.dpo_data = (a.batch * steps, 16, a.response_words, a.seed)  # pairs, prompt words, response words, seed
    a.grpo_data = (a.prompts * steps, 16, a.seed)  # prompts, prompt words, seed
    return a


def main() -> None:
    a = with_data_sizes(parser().parse_args())
    if a.side:
        child(a)
        return
    argv = sys.argv[1:]
    if "--algo" in argv:
        i = argv.index("--algo")
        del argv[i : i + 2]
    where = f"{a.device}, {torch.get_num_threads()} threads" if a.device == "cpu" else torch.cuda.get_device_name()
    model = "tiny random Llama" if a.model == "tiny" else Path(a.model).name
    for algo in ("dpo", "grpo") if a.algo == "both" else (a.algo,):
        results: dict[str, list[dict[str, Any]]] = {"TRL direct": [], "ours": []}
        for _ in range(a.rounds):
            results["TRL direct"].append(run_side(__file__, [*argv, "--algo", algo, "--side", "trl"]))
            results["ours"].append(run_side(__file__, [*argv, "--algo", algo, "--side", "ours"]))
        size = f"{a.batch} pairs/step, max_length {a.max_length}" if algo == "dpo" else \
            f"{a.prompts} prompts × {a.generations} samples/step, {a.new_tokens} new tokens"
        report(f"{algo.upper()} · {model} · {where} · {size} · {a.steps} timed steps after {a.warmup} · {a.rounds} round(s)",
               {k: merge(v) for k, v in results.items()}, "TRL direct", goal=1.05)
        print()


if __name__ == "__main__":
    main()
