"""Shared pieces of the trainer benchmarks: model sizes, synthetic data, timing and memory."""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

# The trainer package lives in workers/trainer; the benchmarks import it from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workers" / "trainer"))

from transformers import LlamaConfig  # noqa: E402

# Dense bf16 peak of the GPUs we rent, TFLOP/s (no sparsity).
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0}

SIZES = {
    # name: hidden, layers, heads, kv heads, intermediate, vocab
    "tiny": (64, 2, 4, 2, 128, 1000),
    "small": (256, 4, 4, 2, 688, 8000),
    "0.5b": (896, 24, 14, 2, 4864, 151936),  # Qwen2-0.5B's shape
    "1.5b": (1536, 28, 12, 2, 8960, 151936),  # Qwen2-1.5B's shape
}


def llama_config(size: str, max_positions: int = 4096) -> LlamaConfig:
    hidden, layers, heads, kv, inter, vocab = SIZES[size]
    return LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv, intermediate_size=inter, max_position_embeddings=max_positions,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=True,
    )


def non_embedding_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if "embed" not in n and "lm_head" not in n)


@dataclass
class Prompt:
    prompt: list[int]
    responses: list[list[int]]


def synthetic_rankings(n_prompts: int, k: int, max_len: int, vocab: int, seed: int = 0) -> list[Prompt]:
    """Prompts with K responses of realistic, uneven lengths (log-normal), as random token ids."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_prompts):
        p_len = int(np.clip(rng.lognormal(4.0, 0.6), 8, max_len // 2))
        prompt = rng.integers(3, vocab, p_len).tolist()
        responses = []
        for _ in range(k):
            r_len = int(np.clip(rng.lognormal(4.5, 0.7), 4, max_len - p_len))
            responses.append(rng.integers(3, vocab, r_len).tolist() + [2])
        out.append(Prompt(prompt, responses))
    return out


def args_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", choices=SIZES, default="tiny")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seconds", type=float, default=20.0, help="timed seconds per side (after warm-up)")
    p.add_argument("--max-len", type=int, default=512)
    p.add_argument("--peak-tflops", type=float, default=None, help="device peak for MFU (default: known GPUs)")
    return p


def device_peak(device: str, override: float | None) -> float | None:
    if override:
        return override
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name()
        for key, value in PEAK_TFLOPS.items():
            if key in name:
                return value
    return None


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak_memory_gib(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**30
    # Process-wide high-water mark on CPU (both sides share it: read it per side in separate runs).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class Clock:
    def __init__(self, device: str) -> None:
        self.device = device
        self.t0 = 0.0

    def start(self) -> None:
        sync(self.device)
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        sync(self.device)
        return time.perf_counter() - self.t0


def per_second(fn, device: str, seconds: float) -> float:
    """What `fn()` returns (tokens, say) per second over at least `seconds`, after one warm-up call."""
    fn()  # warm-up (allocator, kernels, caches)
    clock = Clock(device)
    clock.start()
    total = calls = 0
    while clock.elapsed() < seconds or calls == 0:
        total += fn()
        calls += 1
    return total / clock.elapsed()
