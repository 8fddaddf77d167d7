"""Reward-model training throughput: the trainer's step against a plain transformers loop.

Both sides train the same randomly initialised Llama-shaped model on the same synthetic rankings
(K=4 responses per prompt, log-normal lengths), with the trainer's runtime choices (bf16 autocast
on a GPU and fp32 on CPU unless `--precision` says otherwise, the `--attention` kernel, AdamW fused
on a GPU and foreach on CPU, optionally `--compile`), the same number of sequences per forward and
the same comparisons per optimizer step:
- trainer: `trainer.commands.reward`'s step: length-bucketed prompts, each response scored once
  (sequences sorted by length into forwards of at most `tokens_per_forward` padded tokens), all
  C(K,2) pairs of a prompt in one loss term (`kwise_bt_loss`);
- baseline: `LlamaForSequenceClassification` on (chosen, rejected) pairs in random order, padded to
  the longest in the batch, gradient accumulation to the same pairs per step (the usual hand loop).

Prints pairs/s, real (non-padding) tokens/s, padding share, MFU against the device's peak (6·N per
token, N = non-embedding parameters; "n/a" on a CPU) and peak memory, and the ratios trainer / baseline.

    .venv/bin/python bench/trainer/reward_throughput.py --size tiny --seconds 20        # CPU
    .venv/bin/python bench/trainer/reward_throughput.py --size 0.5b --seconds 60        # GPU
    .venv/bin/python bench/trainer/reward_throughput.py --size 1.5b --seconds 60 --compile
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from common import Clock, args_parser, device_peak, llama_config, non_embedding_params, peak_memory_gib, reset_peak, synthetic_rankings

from trainer.batching import length_buckets
from trainer.commands.reward import Config as RewardConfig
from trainer.commands.reward import Group, flatten
from trainer.loop import make_optimizer
from trainer.losses import kwise_bt_loss
from trainer.reward_model import RewardModel, forward_sorted, sorted_chunks
from trainer.runtime import attention_for, make_runtime

K = 4


def random_model(model_class, cfg, rt):
    """`model_class` randomly initialised from `cfg`, with the attention kernel the trainer would load it with."""
    return model_class._from_config(cfg, attn_implementation=attention_for(rt.attention, model_class, rt.device.type == "cuda"))


def trainer_side(cfg, data, rt, prompts_per_step, seconds):
    tokens_per_forward = RewardConfig.tokens_per_forward  # the command's default
    from transformers import LlamaModel

    device = str(rt.device)
    torch.manual_seed(0)
    model = RewardModel(random_model(LlamaModel, cfg, rt)).to(device)
    model.train()
    rt.compiled(model.backbone)
    opt = make_optimizer(model, 1e-5, 0.0)
    groups = []
    for p in data:
        ids = [p.prompt + r for r in p.responses]
        pairs = [(i, j, 0.0) for i, j in itertools.combinations(range(K), 2)]  # rank = index: all distinct
        groups.append(Group(prompt=[], responses=[""] * K, pairs=pairs, ids=ids))
    lengths = [sum(len(x) for x in g.ids) for g in groups]
    rng = np.random.default_rng(0)

    def batches():
        while True:
            yield from length_buckets(lengths, prompts_per_step, rng)

    def step(idx):
        batch = flatten([groups[i] for i in idx], None, cfg.pad_token_id, torch.device(device))
        scores = forward_sorted(model, batch["ids"], cfg.pad_token_id, rt.device, tokens_per_forward, rt.autocast)
        loss = kwise_bt_loss(scores, batch["better"], batch["worse"], batch["prompt"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        ids = batch["ids"]
        padded = sum(len(c) * len(ids[c[0]]) for c in sorted_chunks(ids, tokens_per_forward)) if tokens_per_forward > 0 else len(ids) * max(map(len, ids))
        return int(batch["better"].numel()), sum(map(len, ids)), padded

    return model, run_timed(step, batches(), device, seconds)


def baseline_side(cfg, data, rt, prompts_per_step, seconds):
    from transformers import LlamaForSequenceClassification

    device = str(rt.device)
    torch.manual_seed(0)
    labelled = cfg.__class__(**{**cfg.to_dict(), "id2label": {0: "score"}, "label2id": {"score": 0}})
    model = random_model(LlamaForSequenceClassification, labelled, rt).to(device)
    model.train()
    rt.compiled(model)
    opt = make_optimizer(model, 1e-5, 0.0)
    pairs = [(p.prompt + p.responses[i], p.prompt + p.responses[j]) for p in data for i, j in itertools.combinations(range(K), 2)]
    pairs_per_step = prompts_per_step * math.comb(K, 2)
    # Same sequences per forward as the trainer (K per prompt): 2 per pair.
    micro = max(1, prompts_per_step * K // 2)
    rnd = random.Random(0)

    def batches():
        while True:
            order = list(range(len(pairs)))
            rnd.shuffle(order)
            for s in range(0, len(order) - pairs_per_step + 1, pairs_per_step):
                yield order[s : s + pairs_per_step]

    def step(idx):
        real = total = 0
        for m in range(0, len(idx), micro):
            chunk = [pairs[i] for i in idx[m : m + micro]]
            seqs = [c for c, _ in chunk] + [r for _, r in chunk]
            width = max(len(s) for s in seqs)
            ids = torch.full((len(seqs), width), cfg.pad_token_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for i, s in enumerate(seqs):
                ids[i, : len(s)] = torch.tensor(s)
                mask[i, : len(s)] = 1
            ids, mask = ids.to(device), mask.to(device)
            with rt.autocast():
                logits = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1).float()
            n = len(chunk)
            loss = -F.logsigmoid(logits[:n] - logits[n:]).mean() * (n / len(idx))
            loss.backward()
            real += int(mask.sum())
            total += mask.numel()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return len(idx), real, total

    return model, run_timed(step, batches(), device, seconds)


def run_timed(step, batches, device, seconds):
    for _ in range(2):  # warm-up (allocator, kernels)
        step(next(batches))
    reset_peak(device)
    clock = Clock(device)
    clock.start()
    pairs = real = total = steps = 0
    while clock.elapsed() < seconds:
        p, r, t = step(next(batches))
        pairs, real, total, steps = pairs + p, real + r, total + t, steps + 1
    elapsed = clock.elapsed()
    return {
        "steps": steps,
        "pairs_per_s": pairs / elapsed,
        "tokens_per_s": real / elapsed,
        "padding": 1 - real / max(1, total),
        "peak_gib": peak_memory_gib(device),
    }


def main() -> None:
    parser = args_parser(__doc__.splitlines()[0])
    parser.add_argument("--prompts-per-step", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=512)
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    parser.add_argument("--attention", default="auto", choices=("auto", "sdpa", "eager", "flash_attention_2"))
    parser.add_argument("--compile", action="store_true", help="torch.compile both sides' forward")
    args = parser.parse_args()
    rt = make_runtime(args.device, args.precision, args.attention, args.compile)
    cfg = llama_config(args.size, max_positions=args.max_len)
    data = synthetic_rankings(args.prompts, K, args.max_len, cfg.vocab_size)
    peak = device_peak(args.device, args.peak_tflops)
    from transformers import LlamaModel

    kernel = attention_for(args.attention, LlamaModel, rt.device.type == "cuda")
    print(f"reward-model training · {args.size} · {args.device} · {str(rt.dtype).removeprefix('torch.')} · attention {kernel}"
          f"{' · compiled' if args.compile else ''} · {args.prompts_per_step} prompts (K={K}) per step · {args.seconds:.0f} s per side")
    results = {}
    for name, side in (("baseline", baseline_side), ("trainer", trainer_side)):
        model, r = side(cfg, data, rt, args.prompts_per_step, args.seconds)
        n = non_embedding_params(model)
        r["mfu"] = 6 * n * r["tokens_per_s"] / (peak * 1e12) if peak else None
        results[name] = r
        del model
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
        mfu = f"{r['mfu'] * 100:.1f}%" if r["mfu"] is not None else "n/a"
        print(
            f"{name:9s} steps {r['steps']:5d}  pairs/s {r['pairs_per_s']:9.1f}  tokens/s {r['tokens_per_s']:10.0f}"
            f"  padding {r['padding'] * 100:4.1f}%  MFU {mfu:>6s}  peak {r['peak_gib']:.2f} GiB"
        )
    t, b = results["trainer"], results["baseline"]
    print(f"ratio trainer/baseline: pairs/s {t['pairs_per_s'] / b['pairs_per_s']:.2f}  tokens/s {t['tokens_per_s'] / b['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()
