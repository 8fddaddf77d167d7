"""Sample K responses per prompt from a policy, as new labelling tasks.

Writes OUTPUT_DIR/generations.jsonl, one line per prompt:
`{"id", "prompt": [messages], "responses": [{"content", "finish": "eos" | "length"}], "model",
"params", "policy"?}` (the prompt's id and policy label are kept from the prompts file), a
layout the platform imports as ranking tasks. Each batch of prompts is sampled with its own seed
(`seed` + batch number), so the output depends only on the options (and the backend: vLLM when
installed on a GPU, see `use_vllm` and sampling.py; both write the same layout, but draw different
responses from the same seed). Lines are appended to a
partial file as batches finish; a re-run with the same options continues after the last whole
line, and the complete file is renamed into place at the end.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..base_config import BATCH, TOKENS, BaseConfig
from ..context import RunContext
from ..data import read_prompts
from ..errors import TrainerError
from ..options import opt
from ..policy import load_causal_lm, load_policy_tokenizer
from ..sampling import USE_VLLM, Sampler, make_sampler

OUTPUT_FILE = "generations.jsonl"
PARTIAL_FILE = ".generations.partial.jsonl"


@dataclass(kw_only=True)
class Config(BaseConfig):
    policy: str = opt(role="input")  # local causal LM folder
    prompts: str = opt(role="input")  # prompts file (JSON lines of {"prompt": [...], "id"?, "policy"?})
    output_dir: str = opt(role="input")  # where generations.jsonl goes
    num_samples: int = opt(4, ge=1, le=64, role="input")  # responses per prompt (K)
    temperature: float = opt(1.0, ge=0)  # sampling temperature (0 = greedy)
    top_p: float = opt(1.0, gt=0, le=1)  # nucleus sampling (1 = off)
    max_new_tokens: int = opt(256, **TOKENS)  # response length limit (finish "length" when reached)
    max_prompt_length: int = opt(1024, **TOKENS)  # prompt tokens kept (cut from the left)
    batch_size: int = opt(8, **BATCH)  # prompts per generation call
    seed: int = 0  # sampling seed (batch b uses seed + b)
    # auto | yes | no: sample with vLLM; auto = when vllm is installed and the run is on a GPU (same output layout and seeding rule)
    use_vllm: str = opt("auto", choices=USE_VLLM)
    vllm_gpu_memory_utilization: float = opt(0.9, gt=0, le=1)  # share of the GPU's memory vLLM may take
    keep_checkpoints: int = 2  # unused (generation resumes from its partial file)

    def validate(self) -> None:
        super().validate()


def params_of(cfg: Config) -> dict[str, Any]:
    return {"num_samples": cfg.num_samples, "temperature": cfg.temperature, "top_p": cfg.top_p,
            "max_new_tokens": cfg.max_new_tokens, "max_prompt_length": cfg.max_prompt_length, "seed": cfg.seed,
            "batch_size": cfg.batch_size}


def _done_lines(partial: Path, params: dict[str, Any], model_name: str) -> list[str]:
    """Whole lines of an earlier run with the same options (a line cut by a kill is dropped)."""
    if not partial.is_file():
        return []
    lines = []
    for raw in partial.read_text(encoding="utf-8").splitlines(keepends=True):
        if not raw.endswith("\n"):
            break
        try:
            row = json.loads(raw)
        except json.JSONDecodeError:
            break
        if row.get("params") != params or row.get("model") != model_name:
            return []
        lines.append(raw)
    return lines


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    rt = ctx.runtime
    records = read_prompts(cfg.prompts)
    tokenizer = load_policy_tokenizer(cfg.policy)
    model_name = Path(cfg.policy).resolve().name
    params = params_of(cfg)
    out_file = ctx.output_dir / OUTPUT_FILE
    summary = {"prompts": len(records), "responses": len(records) * cfg.num_samples, "output": str(out_file), "model": model_name}
    if out_file.is_file():
        print(f"{out_file} exists; nothing to do", file=sys.stderr, flush=True)
        return {**summary, "interrupted": False}
    dtype = rt.dtype if rt.device.type == "cuda" else torch.float32
    sampler = make_sampler(cfg.use_vllm, rt, lambda: load_causal_lm(cfg.policy, dtype, **rt.load_options()).to(rt.device).eval(), tokenizer,
                           cfg.policy, cfg.vllm_gpu_memory_utilization, cfg.max_prompt_length + cfg.max_new_tokens, cfg.seed)
    result = {**summary, "interrupted": False, "generation": sampler.name}
    if rt.is_main:  # one process writes one file
        result = {**_generate(cfg, ctx, sampler, records, params, model_name, summary), "generation": sampler.name}
    rt.barrier()
    return result


def _generate(cfg: Config, ctx: RunContext, sampler: Sampler, records: list[Any], params: dict[str, Any],
              model_name: str, summary: dict[str, Any]) -> dict[str, Any]:
    out_file = ctx.output_dir / OUTPUT_FILE
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    partial = ctx.output_dir / PARTIAL_FILE
    done = _done_lines(partial, params, model_name)
    partial.write_text("".join(done), encoding="utf-8")  # drops a half-written last line
    start = len(done)
    if start % cfg.batch_size:
        raise TrainerError(f"{partial} holds {start} lines, not whole batches of {cfg.batch_size}; delete it to start over")
    with partial.open("a", encoding="utf-8") as f:
        for b, first in enumerate(range(0, len(records), cfg.batch_size)):
            if first < start:
                continue
            batch = records[first : first + cfg.batch_size]
            s = sampler.sample([r.prompt for r in batch], cfg.num_samples, cfg.temperature, cfg.top_p, cfg.max_new_tokens,
                               cfg.max_prompt_length, seed=cfg.seed + b)
            for i, r in enumerate(batch):
                responses = []
                for j in range(i * cfg.num_samples, (i + 1) * cfg.num_samples):
                    responses.append({"content": s.texts[j], "finish": s.finish(j)})
                row: dict[str, Any] = {"id": r.id, "prompt": r.prompt, "responses": responses, "model": model_name, "params": params}
                if r.policy is not None:
                    row["policy"] = r.policy
                if r.meta:
                    row["meta"] = r.meta
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            done_prompts = first + len(batch)
            ctx.events.metric(done_prompts, "train/prompts_done", float(done_prompts))
            if ctx.stop.requested and done_prompts < len(records):
                return {**summary, "interrupted": True, "prompts_done": done_prompts}
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, out_file)
    finishes = [x["finish"] for line in out_file.read_text(encoding="utf-8").splitlines() for x in json.loads(line)["responses"]]
    return {**summary, "interrupted": False, "finish_eos": finishes.count("eos"), "finish_length": finishes.count("length")}
