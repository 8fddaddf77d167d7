"""Generation tokens/s: vLLM (the `generate` command's and PPO's backend on a GPU) against plain `generate`.

A randomly initialised Llama-shaped policy (synthetic word tokenizer, saved to a temporary folder
so vLLM can load it) samples one response per prompt for a batch of synthetic prompts:
- plain generate: `model.generate` on the left-padded batch (the baseline);
- transformers backend: `trainer.sampling.TransformersSampler` (what `use_vllm no` runs);
- vLLM backend: `trainer.sampling.VLLMSampler`, only where the `vllm` package is installed and a GPU
  is there; otherwise the line says "vLLM: not installed" (or "no GPU").
Tokens are counted up to and including each response's EOS.

    .venv/bin/python bench/trainer/generation_throughput.py --size tiny --seconds 10             # CPU
    .venv/bin/python bench/trainer/generation_throughput.py --size 0.5b --batch 64 --seconds 30  # GPU
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from common import args_parser, per_second
from ppo_iteration import build_policy, prompts, rollout

from trainer.runtime import make_runtime
from trainer.sampling import TransformersSampler, VLLMSampler, vllm_installed


def main() -> None:
    parser = args_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="prompts per call")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.5)
    args = parser.parse_args()
    rt = make_runtime(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "policy"
        model, tok = build_policy(args.size, folder, args.device)
        model.eval()
        print(f"generation · {args.size} · {args.device} · {args.batch} prompts × {args.new_tokens} new tokens · {args.seconds:.0f} s per side")
        results = {"plain generate": rollout(model, tok, args.batch, args.new_tokens, args.device, args.seconds)["plain generate"]}
        ps = prompts(args.batch)

        def sample(sampler):
            return lambda: int(sampler.sample(ps, 1, 1.0, 1.0, args.new_tokens, 512).response_mask.sum())

        results["transformers backend"] = per_second(sample(TransformersSampler(model, tok, rt)), args.device, args.seconds)
        if not vllm_installed():
            print("vLLM: not installed")
        elif rt.device.type != "cuda":
            print("vLLM: no GPU")
        else:
            del model
            torch.cuda.empty_cache()
            vllm = VLLMSampler(folder, tok, rt, args.gpu_memory_utilization, 512 + args.new_tokens, seed=0)
            results["vLLM backend"] = per_second(sample(vllm), args.device, args.seconds)
        base = results["plain generate"]
        for name, value in results.items():
            print(f"{name:21s} {value:10.0f} tokens/s   ratio to plain generate {value / base:.2f}")


if __name__ == "__main__":
    main()
