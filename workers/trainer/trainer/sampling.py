"""Where the `generate` command's and PPO's samples come from: vLLM or transformers' `generate`.

`use_vllm`: auto (vLLM when the `vllm` package is installed and the run is on a GPU), yes (vLLM,
an error when it cannot run), no (transformers). Both backends take the same prompts (rendered
and cut by `policy.prompt_ids`), sample the model's plain distribution (temperature, top-p; no
top-k, no repetition penalty) and end in `policy.samples_from`, so their `Samples` have one layout.
Seeding is the same rule on both: a call given a seed draws from that seed alone, so the same
options give the same responses on the same backend and machine; the two backends (different
kernels, different random streams) draw different responses from the same seed.

The vLLM engine is colocated on the training GPU (as TRL's `vllm_mode="colocate"`) and loads the
policy folder once; PPO pushes the policy's current weights into it before every rollout (`sync`,
the same `load_weights` call TRL makes), LoRA adapters merged. The vLLM path is not exercised by
the CPU test suite.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from .batching import collate
from .data import Message
from .errors import TrainerError
from .policy import Samples, eos_ids, generate, is_lora, merged_state_dict, prompt_ids, samples_from
from .runtime import Runtime

USE_VLLM = ("auto", "yes", "no")


def vllm_installed() -> bool:
    return importlib.util.find_spec("vllm") is not None


def use_vllm(choice: str, rt: Runtime) -> bool:
    """Whether this run samples with vLLM; `yes` where it cannot is an error."""
    available = rt.device.type == "cuda" and vllm_installed()
    if choice == "yes" and not available:
        why = "the vllm package is not installed" if not vllm_installed() else "the run is not on a GPU (device cuda)"
        raise TrainerError(f"use_vllm yes: {why}; install requirements-gpu.txt on a GPU machine, or set use_vllm auto or no")
    if choice not in USE_VLLM:
        raise TrainerError(f"use_vllm must be one of {', '.join(USE_VLLM)}, not {choice!r}")
    return available and choice != "no"


class Sampler(Protocol):
    name: str

    def sample(self, prompts: Sequence[list[Message]], num_samples: int, temperature: float, top_p: float, max_new_tokens: int,
               max_prompt_length: int, seed: int | None = None) -> Samples: ...

    def sync(self, model: nn.Module) -> None: ...


class TransformersSampler:
    """transformers' `generate` on the live model (nothing to sync: it samples the training weights)."""

    name = "transformers"

    def __init__(self, model: nn.Module, tokenizer: Any, rt: Runtime) -> None:
        self.model, self.tokenizer, self.rt = model, tokenizer, rt

    def sample(self, prompts: Sequence[list[Message]], num_samples: int, temperature: float, top_p: float, max_new_tokens: int,
               max_prompt_length: int, seed: int | None = None) -> Samples:
        if seed is not None:
            torch.manual_seed(seed)
        return generate(self.model, self.tokenizer, prompts, num_samples, temperature, top_p, max_new_tokens, max_prompt_length,
                        self.rt.device, self.rt.autocast)

    def sync(self, model: nn.Module) -> None:
        return None


def vllm_weights(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """(name, tensor) of the plain causal LM, LoRA merged, under the names of its Hugging Face folder."""
    state = merged_state_dict(model) if is_lora(model) else model.state_dict()
    return [(name, tensor.detach()) for name, tensor in state.items()]


class VLLMSampler:
    """A colocated vLLM engine on the policy folder (unmeasured here: needs vllm and a GPU)."""

    name = "vllm"

    def __init__(self, path: str | Path, tokenizer: Any, rt: Runtime, gpu_memory_utilization: float, max_model_len: int, seed: int) -> None:
        from vllm import LLM

        self.tokenizer = tokenizer
        self.rt = rt
        self.eos = eos_ids(_GenerationConfigOf(path), tokenizer)
        self.llm = LLM(
            model=str(path),
            dtype="bfloat16" if rt.dtype == torch.bfloat16 else "float32",
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            seed=seed,
            # One engine per training process, as TRL's colocate mode: no extra processes of its own.
            distributed_executor_backend="external_launcher" if rt.distributed else None,
        )

    def sample(self, prompts: Sequence[list[Message]], num_samples: int, temperature: float, top_p: float, max_new_tokens: int,
               max_prompt_length: int, seed: int | None = None) -> Samples:
        from vllm import SamplingParams

        ids = prompt_ids(self.tokenizer, prompts, max_prompt_length)
        params = SamplingParams(n=num_samples, temperature=temperature, top_p=top_p, top_k=0, repetition_penalty=1.0,
                                max_tokens=max_new_tokens, seed=seed, stop_token_ids=self.eos, detokenize=False)
        outputs = self.llm.generate([{"prompt_token_ids": x} for x in ids], sampling_params=params, use_tqdm=False)
        pad = int(self.tokenizer.pad_token_id)
        rows = []
        for out in outputs:
            for o in out.outputs:
                tokens = list(o.token_ids)
                if o.finish_reason == "stop" and (not tokens or tokens[-1] not in self.eos):
                    tokens.append(self.eos[0])  # the EOS ends the response in both backends' layout
                rows.append(tokens)
        width = max((len(r) for r in rows), default=0)
        response = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.long, device=self.rt.device).reshape(len(rows), width)
        batch = collate(ids, pad, padding_side="left")
        return samples_from(self.tokenizer, batch["input_ids"].to(self.rt.device), batch["attention_mask"].to(self.rt.device), response,
                            self.eos, num_samples)

    def sync(self, model: nn.Module) -> None:
        """The policy's current weights into the engine (TRL's colocate `sync_weights`), then a fresh prefix cache."""
        runner = self.llm.llm_engine.model_executor.driver_worker.model_runner
        runner.model.load_weights(vllm_weights(model))
        self.llm.reset_prefix_cache()


class _GenerationConfigOf:
    """What `eos_ids` reads of a model (its generation config), from the folder vLLM loads."""

    def __init__(self, path: str | Path) -> None:
        from transformers import GenerationConfig

        try:
            self.generation_config = GenerationConfig.from_pretrained(str(path), local_files_only=True)
        except OSError:
            self.generation_config = None


def make_sampler(choice: str, rt: Runtime, model: Callable[[], nn.Module], tokenizer: Any, path: str | Path, gpu_memory_utilization: float,
                 max_model_len: int, seed: int) -> Sampler:
    """The run's sampler: vLLM by `use_vllm(choice, rt)`, else transformers on `model()` (called
    only then, so a vLLM run does not also hold the model for transformers)."""
    if use_vllm(choice, rt):
        return VLLMSampler(path, tokenizer, rt, gpu_memory_utilization, max_model_len, seed)
    return TransformersSampler(model(), tokenizer, rt)
