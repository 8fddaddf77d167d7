"""PPO: rollout tokens/s against plain `generate`, seconds per PPO iteration, peak memory.

A randomly initialised Llama-shaped policy (with a synthetic word tokenizer of the same vocabulary
size) samples responses to synthetic prompts:
- rollout: `trainer.policy.generate` (what a PPO step samples with: left-padded batch, the plain
  distribution, EOS bookkeeping) next to `model.generate` on the same batch, in tokens/s;
- iteration: `trainer.commands.ppo.train` with a rule reward (no reward-model forward, so the time
  is the policy side: rollout, reference and value passes, PPO updates), seconds per step.

    .venv/bin/python bench/trainer/ppo_iteration.py --size tiny --steps 4              # CPU
    .venv/bin/python bench/trainer/ppo_iteration.py --size 0.5b --batch 64 --steps 5   # GPU
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import torch
from common import args_parser, llama_config, peak_memory_gib, per_second, reset_peak

from trainer.checkpoint import Checkpoints, StopFlag
from trainer.commands.ppo import Config as PpoConfig
from trainer.commands.ppo import Scorers, train
from trainer.context import RunContext
from trainer.events import EventWriter
from trainer.policy import generate
from trainer.runtime import Runtime
from trainer.tiny import word_tokenizer


def build_policy(size: str, folder: Path, device: str):
    from transformers import LlamaForCausalLM

    cfg = llama_config(size)
    tok = word_tokenizer([f"w{i}" for i in range(cfg.vocab_size - 16)])
    cfg.vocab_size, cfg.pad_token_id, cfg.bos_token_id, cfg.eos_token_id = len(tok), tok.pad_token_id, tok.bos_token_id, tok.eos_token_id
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model.to(device), tok


def prompts(n: int, words: int = 24) -> list[list[dict]]:
    return [[{"role": "user", "content": " ".join(f"w{(i * 7 + j) % 500}" for j in range(words))}] for i in range(n)]


def rollout(model, tok, batch, new_tokens, device, seconds):
    dtype_ctx = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.startswith("cuda") else None
    ps = prompts(batch)
    out = {}

    def ours():
        s = generate(model, tok, ps, num_samples=1, temperature=1.0, max_new_tokens=new_tokens, device=device, autocast=dtype_ctx)
        return int(s.response_mask.sum())

    tok.padding_side = "left"
    enc = tok([tok.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in ps], return_tensors="pt", padding=True, add_special_tokens=False)

    def plain():
        with torch.no_grad(), (dtype_ctx() if dtype_ctx else torch.autocast("cpu", enabled=False)):
            g = model.generate(
                input_ids=enc["input_ids"].to(device),
                attention_mask=enc["attention_mask"].to(device),
                do_sample=True,
                top_k=0,
                max_new_tokens=new_tokens,
                pad_token_id=tok.pad_token_id,
            )
        new = g[:, enc["input_ids"].shape[1]:]
        # Tokens up to and including the first EOS, as the trainer counts them.
        ended = (new == tok.eos_token_id).int().cumsum(1)
        return int(((ended == 0) | ((ended == 1) & (new == tok.eos_token_id))).sum())

    for name, fn in (("plain generate", plain), ("trainer rollout", ours)):
        out[name] = per_second(fn, device, seconds)
    return out


def iteration(folder: Path, batch: int, new_tokens: int, steps: int, device: str, out_dir: Path):
    prompts_file = out_dir / "prompts.jsonl"
    prompts_file.write_text("".join(json.dumps({"prompt": p, "policy": "allowed"}) + "\n" for p in prompts(batch * 2)))
    cfg = PpoConfig(
        policy=str(folder), reward_model=str(folder), prompts=str(prompts_file), output_dir=str(out_dir / "run"),
        steps=steps, batch_size=batch, mini_batch_size=max(1, batch // 4), max_new_tokens=new_tokens,
        eval_every=10**6, checkpoint_every=10**6, device=device,
    )
    buf = io.StringIO()
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    ctx = RunContext(EventWriter(buf), Runtime(torch.device(device), dtype), Path(cfg.output_dir), Checkpoints(Path(cfg.output_dir)), StopFlag())
    # A rule reward: longer answers score higher (bounded), so PPO has something to follow.
    scorers = Scorers(reward=lambda ps, rs: torch.tensor([min(len(r.split()), 20) / 20 for r in rs]))
    reset_peak(device)
    train(cfg, ctx, scorers)
    times = [json.loads(line)["time"] for line in buf.getvalue().splitlines() if '"name":"train/reward"' in line]
    per_step = (times[-1] - times[0]) / max(1, len(times) - 1) if len(times) > 1 else float("nan")
    return per_step, peak_memory_gib(device)


def main() -> None:
    parser = args_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="prompts per rollout")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="PPO iterations to time (the first is not counted)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "policy"
        model, tok = build_policy(args.size, folder, args.device)
        print(f"PPO · {args.size} · {args.device} · {args.batch} prompts × {args.new_tokens} new tokens")
        reset_peak(args.device)
        r = rollout(model, tok, args.batch, args.new_tokens, args.device, args.seconds)
        gen_peak = peak_memory_gib(args.device)
        for name, value in r.items():
            print(f"{name:16s} {value:10.0f} tokens/s")
        print(f"ratio rollout/plain generate: {r['trainer rollout'] / r['plain generate']:.2f}   (peak {gen_peak:.2f} GiB)")
        del model
        per_step, peak = iteration(folder, args.batch, args.new_tokens, args.steps, args.device, Path(tmp))
        print(f"PPO iteration: {per_step:.2f} s/step over {args.steps - 1} steps   peak {peak:.2f} GiB")


if __name__ == "__main__":
    main()
