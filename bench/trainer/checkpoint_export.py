"""What a checkpoint's loadable model costs: `Checkpoints.save` with and without `export_policy`.

A LoRA policy (PPO's default setup) is checkpointed the way `ppo` does it: adapters, value head,
optimizer and RNG to resume from, then `model/`, the step's policy with the adapters merged. The
baseline for the merge is the usual way to get a plain model out of a LoRA one without touching
the live model: a deep copy, `merge_and_unload`, `save_pretrained`.

    .venv/bin/python bench/trainer/checkpoint_export.py              # the default policy (make models)
    .venv/bin/python bench/trainer/checkpoint_export.py --model DIR  # any local policy folder
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import common  # noqa: F401 - puts the trainer package on the path
import torch

from trainer.checkpoint import Checkpoints
from trainer.loop import make_optimizer
from trainer.policy import PolicyWithValue, TrainableState, export_policy, load_policy

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / ".data" / "models" / "smollm2-135m-instruct"


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(DEFAULT_POLICY), help="a local policy folder (default: the built-in one)")
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--runs", type=int, default=3, help="timed repetitions per side (the best is reported)")
    args = p.parse_args()
    torch.manual_seed(0)
    policy, tokenizer = load_policy(args.model, torch.float32, lora_r=args.lora_r)
    model = PolicyWithValue(policy)
    opt = make_optimizer(model, 1e-4)
    # One update, so the optimizer has state and the adapters are not zero.
    ids = torch.randint(3, 1000, (2, 32))
    out = model(ids, torch.ones_like(ids), torch.ones_like(ids))
    (out.logprobs.sum() + out.values.sum()).backward()
    opt.step()
    weights = TrainableState(model, only_trainable=True)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        resume_only = Checkpoints(root / "resume-only", keep=1)
        with_model = Checkpoints(root / "with-model", keep=1)
        t_resume = best_of(args.runs, lambda: resume_only.save(1, {"policy": weights}, {"optimizer": opt}, {}))
        t_model = best_of(args.runs, lambda: with_model.save(1, {"policy": weights}, {"optimizer": opt}, {},
                                                              export=lambda d: export_policy(model.policy, tokenizer, d)))
        size_resume = folder_mb(resume_only.latest())
        size_model = folder_mb(with_model.latest())

        def copy_merge_save() -> None:
            d = root / "copy-merge"
            copy.deepcopy(model.policy).merge_and_unload().save_pretrained(str(d))
            tokenizer.save_pretrained(str(d))

        t_copy = best_of(args.runs, copy_merge_save)
        t_export = best_of(args.runs, lambda: export_policy(model.policy, tokenizer, root / "export"))

    print(f"policy: {Path(args.model).name}, LoRA r={args.lora_r}, {torch.get_num_threads()} threads, best of {args.runs}")
    print(f"checkpoint, resume state only : {t_resume:6.2f} s  {size_resume:8.1f} MB")
    print(f"checkpoint, with model/       : {t_model:6.2f} s  {size_model:8.1f} MB   ({t_model / t_resume:.1f}x the time)")
    print(f"merged model: deep copy + merge_and_unload + save_pretrained {t_copy:.2f} s; export_policy {t_export:.2f} s "
          f"(ratio {t_export / t_copy:.2f})")


if __name__ == "__main__":
    main()
