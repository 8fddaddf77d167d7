"""Active learning: does labelling what the reward-model ensemble disagrees on beat labelling at random?

A simulation on a preference set whose labels are all known. Per repeat (seed): prompts are split
into a held-out set and an unlabelled pool (by prompt, `trainer.split`); a seed set of S pool
prompts is labelled; then R rounds each label B more pool prompts, chosen either
- random: uniformly from the pool, or
- acquisition: K reward models are trained on bootstrap resamples of the labelled prompts (member
  m with seed m), every pool prompt's responses are scored by each, and `trainer.acquisition`
  ranks the prompts (`score_task` + `rank`, the math of the `acquire` command: mean over the
  prompt's response pairs of the members' variance of the Bradley–Terry probability); the top B
  are labelled.
After the seed set and after each round one reward model is trained on the labelled prompts and
its held-out pair accuracy measured. Both strategies share the split, the seed set and the model
seeds of a repeat, so their difference is paired by repeat. Per number of labelled prompts the
table gives the mean over repeats with a 95 % interval from a bootstrap over repeats, and the
difference acquisition − random with a paired bootstrap interval (`trainer.stats`).

Reward models are trained in-process with the `reward` command's pieces (tokenisation, K-wise
Bradley–Terry loss over a prompt's pairs, AdamW, its learning-rate schedule), from scratch each
time, for `--steps` optimizer steps or `--max-epochs` passes over the labelled prompts, whichever
is fewer, on a tiny random word-level encoder (`trainer.tiny`: hidden 32, 2 layers, its vocabulary
the data's words) unless `--backbone` names a local encoder folder. One CPU thread: for so small a
model more threads only contend.

Data (`--data`):
- `demo`: the demo project's 44 prompts (prisma/demo/preferences-demo.jsonl, K = 4, no labels of
  their own), ranked by a scripted annotator whose rule is "the longer answer is better", and
  turned into pairs as the platform does for a strict ranking (all C(4, 2) pairs, each step
  "clear"). It is written as a pairs file to `--workdir` and read back like any other.
- `synthetic`: `--synthetic-prompts` prompts over a vocabulary of 200 words w0…w199, K = 4
  responses of 6–12 words each. A hidden weight per word (words w0…w39 drawn from N(0, 1), the
  rest 0) gives a response's true reward: the sum of its words' weights. The annotator ranks the
  responses by true reward (exact, no noise); pairs as above.
- `--pairs FILE`: any pairs or rankings JSON-lines file (the `reward` command's layouts).

    # matplotlib is for this benchmark only (not the trainer's or the tests' dependency):
    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/trainer/active_learning.py --data demo synthetic --plot docs/active-learning.png
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers.utils import logging as hf_logging

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workers" / "trainer"))

from trainer.acquisition import rank, score_task  # noqa: E402
from trainer.batching import pad_id, tokenize  # noqa: E402
from trainer.commands.reward import Group, flatten, read_groups  # noqa: E402
from trainer.loop import lr_at, make_optimizer, optimizer_step, set_lr  # noqa: E402
from trainer.losses import kwise_bt_loss  # noqa: E402
from trainer.reward_model import RewardModel, conversation_text, forward_sorted, load_backbone, load_tokenizer, score_ids, turn_off_dropout  # noqa: E402
from trainer.split import split_by_prompt  # noqa: E402
from trainer.stats import Estimate, mean, paired_difference  # noqa: E402
from trainer.tiny import make_tiny_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "prisma" / "demo" / "preferences-demo.jsonl"
CLEAR = 2 / 3  # the margin of one "clear" step, as the platform derives pairs
SYNTHETIC_VOCAB, SYNTHETIC_WEIGHTED, SYNTHETIC_K = 200, 40, 4


# --------------------------------------------------------------------------- data


def ranking_to_pairs(prompt: list[dict[str, str]], ordered: list[str]) -> list[dict]:
    """A strict ranking (best first) as the platform's pairs: every (better, worse) pair, the
    margin the sum of the steps between them ("clear" each), capped at 1."""
    return [
        {"prompt": prompt, "chosen": [{"role": "assistant", "content": ordered[i]}],
         "rejected": [{"role": "assistant", "content": ordered[j]}], "margin": min(1.0, CLEAR * (j - i))}
        for i, j in itertools.combinations(range(len(ordered)), 2)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def demo_pairs(workdir: Path) -> Path:
    """The demo tasks ranked by the scripted rule "the longer answer is better"."""
    rows = []
    for line in DEMO_FILE.read_text().splitlines():
        if not line.strip():
            continue
        task = json.loads(line)
        prompt = task["prompt"] if isinstance(task["prompt"], list) else [{"role": "user", "content": task["prompt"]}]
        texts = [r["content"] if isinstance(r, dict) else r for r in task["responses"]]
        rows += ranking_to_pairs(prompt, sorted(texts, key=len, reverse=True))
    return write_jsonl(workdir / "demo-pairs.jsonl", rows)


def synthetic_pairs(workdir: Path, prompts: int, seed: int = 0) -> Path:
    """Word-sum rewards: see the module docstring."""
    rng = np.random.default_rng(seed)
    weight = np.zeros(SYNTHETIC_VOCAB)
    weight[:SYNTHETIC_WEIGHTED] = rng.normal(0, 1, SYNTHETIC_WEIGHTED)
    rows = []
    for p in range(prompts):
        prompt = [{"role": "user", "content": f"q{p} " + " ".join(f"w{w}" for w in rng.integers(0, SYNTHETIC_VOCAB, 5))}]
        responses = []
        for _ in range(SYNTHETIC_K):
            words = rng.integers(0, SYNTHETIC_VOCAB, int(rng.integers(6, 13)))
            responses.append((float(weight[words].sum()), " ".join(f"w{w}" for w in words)))
        ordered = [text for _, text in sorted(responses, key=lambda r: -r[0])]
        if len(set(ordered)) == len(ordered):
            rows += ranking_to_pairs(prompt, ordered)
    return write_jsonl(workdir / "synthetic-pairs.jsonl", rows)


@dataclass
class Task:
    """One prompt with every response that takes part in one of its labelled pairs."""

    key: str
    group: Group  # all the prompt's pairs in one batch element, as the reward command trains rankings


def read_tasks(path: Path) -> list[Task]:
    groups, _, _ = read_groups(str(path))
    by_prompt: dict[str, Group] = {}
    for g in groups:
        merged = by_prompt.setdefault(g.key, Group(g.prompt, [], []))
        index = {}
        for i, text in enumerate(g.responses):
            if text not in merged.responses:
                merged.responses.append(text)
            index[i] = merged.responses.index(text)
        merged.pairs += [(index[b], index[w], m) for b, w, m in g.pairs]
    return [Task(k, g) for k, g in by_prompt.items()]


# --------------------------------------------------------------------------- models


@dataclass
class Setup:
    backbone: str | None  # a local encoder folder, else a tiny random encoder per seed
    workdir: Path
    words: list[str]
    steps: int
    max_epochs: int
    batch_size: int
    lr: float
    max_length: int


def backbone_path(setup: Setup, seed: int) -> Path:
    if setup.backbone:
        return Path(setup.backbone)
    path = setup.workdir / f"tiny-encoder-{seed}"
    if not path.exists():
        make_tiny_encoder(path, setup.words, hidden=32, layers=2, seed=seed)
    return path


def tokenize_tasks(tasks: list[Task], tokenizer, max_length: int) -> None:
    texts = [conversation_text(tokenizer, t.group.prompt, r) for t in tasks for r in t.group.responses]
    ids = tokenize(tokenizer, texts, max_length)
    i = 0
    for t in tasks:
        t.group.ids, i = ids[i : i + len(t.group.responses)], i + len(t.group.responses)


def train(setup: Setup, tasks: list[Task], seed: int, pad: int) -> RewardModel:
    """A reward model on `tasks` (repeats allowed): the reward command's step, `steps` optimizer
    steps but at most `max_epochs` passes over the tasks (a few labels need few steps)."""
    steps = min(setup.steps, setup.max_epochs * math.ceil(len(tasks) / setup.batch_size))
    path = backbone_path(setup, seed)  # before seeding: building a tiny encoder draws from the generator
    torch.manual_seed(seed)
    model = RewardModel(load_backbone(path, what="backbone"), max_length=setup.max_length)
    turn_off_dropout(model)
    model.train()
    opt = make_optimizer(model, setup.lr, 0.0)
    order = random.Random(seed)
    queue: list[Task] = []
    for step in range(steps):
        if len(queue) < setup.batch_size:
            more = list(tasks)
            order.shuffle(more)
            queue += more
        batch, queue = queue[: setup.batch_size], queue[setup.batch_size :]
        set_lr(opt, lr_at(step, steps, setup.lr, steps // 10))
        flat = flatten([t.group for t in batch], None, pad, torch.device("cpu"))
        scores = forward_sorted(model, flat["ids"], pad, torch.device("cpu"), 4096)
        optimizer_step(kwise_bt_loss(scores, flat["better"], flat["worse"], flat["prompt"]), model, opt, 1.0)
    return model


def response_scores(model: RewardModel, tasks: list[Task], pad: int) -> np.ndarray:
    return score_ids(model, [x for t in tasks for x in t.group.ids or []], pad, 64).double().numpy()


def held_out_accuracy(model: RewardModel, held_out: list[Task], pad: int) -> float:
    """Pair accuracy over every held-out pair (a tie counts half)."""
    r = response_scores(model, held_out, pad)
    outcomes, first = [], 0
    for t in held_out:
        for b, w, _ in t.group.pairs:
            gap = r[first + b] - r[first + w]
            outcomes.append(1.0 if gap > 0 else 0.5 if gap == 0 else 0.0)
        first += len(t.group.responses)
    return float(np.mean(outcomes))


def acquire(setup: Setup, labelled: list[Task], pool: list[Task], members: int, batch: int, seed: int, pad: int) -> list[int]:
    """Indexes into `pool` of the `batch` prompts the ensemble disagrees on most."""
    rng = np.random.default_rng(seed)
    rewards = np.empty((members, sum(len(t.group.responses) for t in pool)))
    for m in range(members):
        resample = [labelled[i] for i in rng.integers(0, len(labelled), len(labelled))]
        rewards[m] = response_scores(train(setup, resample, seed * 1000 + m, pad), pool, pad)
    scores, first = [], 0
    for i, t in enumerate(pool):
        last = first + len(t.group.responses)
        scores.append(score_task(f"{i:06d}", rewards[:, first:last]))
        first = last
    return [int(s.task_id) for s in rank(scores)[:batch]]


# --------------------------------------------------------------------------- the simulation


def simulate(setup: Setup, tasks: list[Task], args: argparse.Namespace, repeat: int, pad: int) -> dict[str, list[tuple[int, float]]]:
    """Held-out accuracy after each round, per strategy, for one repeat."""
    pool, held_out = split_by_prompt(tasks, lambda t: t.key, args.held_out, f"active-learning-{repeat}")
    rng = random.Random(repeat)
    seed_set = rng.sample(range(len(pool)), args.seed_labels)
    curves: dict[str, list[tuple[int, float]]] = {}
    for strategy in ("random", "acquisition"):
        labelled = list(seed_set)
        pick = random.Random(repeat * 7919 + 1)
        curve = []
        for rnd in range(args.rounds + 1):
            model = train(setup, [pool[i] for i in labelled], repeat, pad)
            curve.append((len(labelled), held_out_accuracy(model, held_out, pad)))
            if rnd == args.rounds:
                break
            taken = set(labelled)
            rest = [i for i in range(len(pool)) if i not in taken]
            if strategy == "random":
                labelled += pick.sample(rest, min(args.batch, len(rest)))
            else:
                chosen = acquire(setup, [pool[i] for i in labelled], [pool[i] for i in rest], args.members, args.batch, repeat * 100 + rnd, pad)
                labelled += [rest[i] for i in chosen]
        curves[strategy] = curve
    return curves


def fmt(e: Estimate, scale: float = 100.0, sign: bool = False) -> str:
    s = "+" if sign else ""
    return f"{e.value * scale:{s}.1f} ({e.lo * scale:{s}.1f} to {e.hi * scale:{s}.1f})"


def summarise(name: str, runs: list[dict[str, list[tuple[int, float]]]]) -> list[dict]:
    rows = []
    for r in range(len(runs[0]["random"])):
        labels = runs[0]["random"][r][0]
        a = [run["acquisition"][r][1] for run in runs]
        b = [run["random"][r][1] for run in runs]
        rows.append({"data": name, "labels": labels, "random": mean(b), "acquisition": mean(a), "difference": paired_difference(a, b)})
    return rows


def print_table(rows: list[dict]) -> None:
    print("| labelled prompts | random | acquisition | acquisition − random (points) |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['labels']} | {fmt(row['random'])} % | {fmt(row['acquisition'])} % | {fmt(row['difference'], sign=True)} |")


def plot(results: dict[str, list[dict]], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("the plot needs matplotlib: .venv/bin/pip install -r bench/requirements.txt") from None
    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4), squeeze=False)
    for ax, (name, rows) in zip(axes[0], results.items(), strict=True):
        x = [r["labels"] for r in rows]
        for strategy, colour in (("random", "tab:gray"), ("acquisition", "tab:blue")):
            ax.plot(x, [r[strategy].value * 100 for r in rows], marker="o", color=colour, label=strategy)
            ax.fill_between(x, [r[strategy].lo * 100 for r in rows], [r[strategy].hi * 100 for r in rows], color=colour, alpha=0.2)
        ax.set_title(name)
        ax.set_xlabel("labelled prompts")
        ax.set_ylabel("held-out pair accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["demo", "synthetic"], help="demo and/or synthetic (ignored with --pairs)")
    p.add_argument("--pairs", help="a pairs or rankings JSON-lines file instead of the built-in sets")
    p.add_argument("--synthetic-prompts", type=int, default=400)
    p.add_argument("--held-out", type=float, default=0.25, help="share of prompts held out")
    p.add_argument("--seed-labels", type=int, help="prompts labelled at the start (default: 10 %% of the pool, at least 4)")
    p.add_argument("--batch", type=int, help="prompts labelled per round (default: as --seed-labels)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--members", type=int, default=4, help="reward models in the acquisition ensemble")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=150, help="optimizer steps per reward model, at most")
    p.add_argument("--max-epochs", type=int, default=30, help="passes over the labelled prompts per reward model, at most")
    p.add_argument("--batch-size", type=int, default=8, help="prompts per optimizer step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-length", type=int, default=128, help="tokens per response with its prompt (cut from the left)")
    p.add_argument("--backbone", help="a local encoder folder (default: a tiny random encoder)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (one is fastest for so small a model)")
    p.add_argument("--plot", help="write a PNG of the curves here (needs matplotlib)")
    p.add_argument("--json", help="write the table as JSON here")
    p.add_argument("--replot", nargs="+", metavar="JSON", help="only draw --plot from tables an earlier --json wrote")
    args = p.parse_args()
    if args.replot:
        results = {name: [{k: Estimate(**v) if isinstance(v, dict) else v for k, v in row.items()} for row in rows]
                   for f in args.replot for name, rows in json.loads(Path(f).read_text()).items()}
        return plot(results, args.plot)
    torch.set_num_threads(args.threads)
    hf_logging.disable_progress_bar()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        files = {Path(args.pairs).name: Path(args.pairs)} if args.pairs else {}
        for name in [] if args.pairs else args.data:
            files[name] = demo_pairs(workdir) if name == "demo" else synthetic_pairs(workdir, args.synthetic_prompts)
        results: dict[str, list[dict]] = {}
        for name, path in files.items():
            tasks = read_tasks(path)
            (workdir / name).mkdir()  # tiny encoders per data set: their vocabulary is its words
            words = sorted({w for t in tasks for text in [*(m["content"] for m in t.group.prompt), *t.group.responses] for w in text.split()})
            setup = Setup(args.backbone, workdir / name, words, args.steps, args.max_epochs, args.batch_size, args.lr, args.max_length)
            tokenizer = load_tokenizer(backbone_path(setup, 0), what="backbone")
            tokenize_tasks(tasks, tokenizer, args.max_length)
            pad = pad_id(tokenizer)
            pool_size = len(tasks) - round(len(tasks) * args.held_out)
            seed_labels = args.seed_labels or max(4, round(pool_size * 0.1))
            run_args = argparse.Namespace(**{**vars(args), "seed_labels": seed_labels, "batch": args.batch or seed_labels})
            print(f"{name}: {len(tasks)} prompts, {sum(len(t.group.pairs) for t in tasks)} pairs; about {args.held_out:.0%} held out; "
                  f"{seed_labels} seed labels + {run_args.rounds} rounds of {run_args.batch}; {args.members} members; {args.repeats} repeats", flush=True)
            started = time.perf_counter()
            runs = []
            for repeat in range(args.repeats):
                runs.append(simulate(setup, tasks, run_args, repeat, pad))
                print(f"  repeat {repeat}: " + "  ".join(f"{s} " + " ".join(f"{a * 100:.0f}" for _, a in c) for s, c in runs[-1].items())
                      + f"  ({time.perf_counter() - started:.0f} s)", flush=True)
            results[name] = summarise(name, runs)
            print_table(results[name])
    if args.json:
        Path(args.json).write_text(json.dumps({n: [{k: (v.as_dict() if isinstance(v, Estimate) else v) for k, v in r.items()} for r in rows]
                                               for n, rows in results.items()}, indent=2))
    if args.plot:
        plot(results, args.plot)
    if any(math.isnan(r["random"].value) for rows in results.values() for r in rows):
        raise SystemExit("a held-out set was empty")


if __name__ == "__main__":
    main()
