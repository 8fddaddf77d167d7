"""Playground latency: first token and tokens/s of the serve command against plain `generate`.

The default policy (SmolLM2-135M-Instruct from MODELS_DIR, `make models`) answers a typical chat
turn, streamed, with a sampling temperature of 0.7 and at most `--max-tokens` tokens:
- plain generate: `model.generate` with a `TextIteratorStreamer` in this process (the baseline);
- serve: `python -m trainer serve` started as the worker starts it, the same turn sent to
  `/v1/chat/completions` with `stream: true` over HTTP (the hop the web app's route makes).
First token: from sending the request to the first text. Tokens/s: the tokens after the first,
over the time after the first. Each figure is the median of `--repeat` answers after one warm-up, the two alternating.

    .venv/bin/python bench/trainer/playground_latency.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workers" / "trainer"))

from transformers import TextIteratorStreamer  # noqa: E402

from trainer.policy import load_causal_lm, load_policy_tokenizer, prompt_ids  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Explain in a short paragraph why the sky is blue, for a curious ten-year-old."},
]


def plain_generate(tok, model, max_tokens: int, seed: int) -> tuple[float, float, int]:
    ids = torch.tensor([prompt_ids(tok, [MESSAGES], 2048)[0]])
    torch.manual_seed(seed)
    streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
    out: dict[str, torch.Tensor] = {}
    start = time.perf_counter()
    def run() -> None:
        out["ids"] = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_tokens, do_sample=True, temperature=0.7, top_p=1.0,
                                    streamer=streamer)

    thread = threading.Thread(target=run)
    thread.start()
    first = None
    for text in streamer:
        if text and first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    thread.join()
    tokens = out["ids"].shape[1] - ids.shape[1]
    return first - start, (tokens - 1) / (end - first), tokens


def served(url: str, max_tokens: int) -> tuple[float, float, int]:
    body = json.dumps({"messages": MESSAGES, "max_tokens": max_tokens, "temperature": 0.7, "stream": True, "stream_options": {"include_usage": True}}).encode()
    req = urllib.request.Request(f"{url}/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    first = None
    tokens = 0
    with urllib.request.urlopen(req, timeout=600) as r:
        for raw in r:
            line = raw.decode().strip()
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[len("data: "):])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            elif chunk["choices"] and chunk["choices"][0]["delta"].get("content") and first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - start, (tokens - 1) / (end - first), tokens


def medians(runs: list[tuple[float, float, int]]) -> tuple[float, float, float]:
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / os.environ.get("MODELS_DIR", ".data/models") / "smollm2-135m-instruct"))
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model_dir = Path(args.model)
    print(f"model {model_dir.name}, {torch.get_num_threads()} CPU threads, max {args.max_tokens} tokens, median of {args.repeat}")

    proc = subprocess.Popen([sys.executable, "-m", "trainer", "serve", "--model", str(model_dir), "--port", "0", "--device", "cpu"],
                            cwd=ROOT / "workers" / "trainer", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    plain_runs, served_runs = [], []
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["url"]
        # One warm-up each, then the two alternate, so load from anything else on the machine falls on both alike.
        tok, model = load_policy_tokenizer(model_dir), load_causal_lm(model_dir).eval()
        plain_generate(tok, model, args.max_tokens, 0)
        served(url, args.max_tokens)
        for i in range(args.repeat):
            plain_runs.append(plain_generate(tok, model, args.max_tokens, i + 1))
            served_runs.append(served(url, args.max_tokens))
    finally:
        proc.terminate()
        proc.wait()
    base, ours = medians(plain_runs), medians(served_runs)
    print(f"{'':16}{'first token':>14}{'tokens/s':>12}{'tokens':>9}")
    for name, (ttft, tps, n) in (("plain generate", base), ("serve (HTTP)", ours)):
        print(f"{name:16}{ttft * 1000:>11.0f} ms{tps:>12.1f}{n:>9.0f}")
    print(f"{'serve / plain':16}{ours[0] / base[0]:>13.2f}x{ours[1] / base[1]:>11.2f}x")


if __name__ == "__main__":
    main()
