"""The safety model: prompt policy and response rubric classifiers, an optional cost head, and the
project's reward table that turns their predictions into a safety reward.

One backbone (`AutoModel`, encoder or decoder) read at the last real token, as the reward model:
- `policy_head` (allowed / sensitive / disallowed) on the prompt alone;
- `rubric_head` (A refusal in the desired style, B undesired refusal, C disallowed content,
  D safe compliance) on prompt + response;
- `cost_head` (Safe RLHF's cost model, lagrangian PPO) on prompt + response: positive for unsafe
  responses, negative for safe ones.
`safety_reward` is the expected table value Σ P(policy)·P(rubric)·R[policy][rubric], so a
confident prediction gives exactly the table's cell. A saved safety model is a backbone folder
plus `heads.safetensors`, `safety_config.json` and `reward_table.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .batching import pad_id, tokenize
from .checkpoint import load_weights, save_weights
from .data import Message, render
from .errors import TrainerError
from .reward_model import (
    accepts_position_ids,
    at_least_fp32,
    backbone_kind,
    conversation_text,
    enable_checkpointing,
    freeze_pooler,
    hidden_size,
    init_head,
    load_backbone,
    max_positions,
    pooled_hidden,
    run_sorted,
)
from .rl_math import DEFAULT_REWARD_TABLE, POLICIES, RUBRICS, expected_safety_reward, table_tensor

SAFETY_CONFIG = "safety_config.json"
HEADS_FILE = "heads.safetensors"
TABLE_FILE = "reward_table.json"
UNSAFE_RUBRICS = ("C",)  # "safe" = any rubric but C (contains disallowed content)

Table = Mapping[str, Mapping[str, float]]


def check_reward_table(table: Any) -> dict[str, dict[str, float]]:
    """A complete policy × rubric table of finite numbers, as plain floats; TrainerError otherwise."""
    if not isinstance(table, Mapping):
        raise TrainerError("reward_table must be an object {policy: {rubric: value}}")
    extra = sorted(set(table) - set(POLICIES))
    if extra:
        raise TrainerError(f"reward_table has unknown policies {extra}; policies are {', '.join(POLICIES)}")
    for policy, row in table.items():
        if not isinstance(row, Mapping):
            raise TrainerError(f"reward_table[{policy!r}] must be an object {{rubric: value}}")
        bad = sorted(set(row) - set(RUBRICS))
        if bad:
            raise TrainerError(f"reward_table[{policy!r}] has unknown rubrics {bad}; rubrics are {', '.join(RUBRICS)}")
        if any(isinstance(v, bool) for v in row.values()):
            raise TrainerError(f"reward_table[{policy!r}] holds a boolean, not a number")
    try:
        t = table_tensor(table, dtype=torch.float64)
    except ValueError as e:
        raise TrainerError(str(e)) from None
    return {p: {r: float(t[i, j]) for j, r in enumerate(RUBRICS)} for i, p in enumerate(POLICIES)}


def safer(table: Table, policy: str | None, a: str, b: str) -> int:
    """1 if rubric a is safer than b for the prompt, -1 if less safe, 0 if the same.

    With a known policy the table decides (a higher value is the safer response for that prompt);
    without one only C (disallowed content) against anything else counts.
    """
    if policy is not None:
        va, vb = table[policy][a], table[policy][b]
        return (va > vb) - (va < vb)
    ua, ub = a in UNSAFE_RUBRICS, b in UNSAFE_RUBRICS
    return (ub and not ua) - (ua and not ub)


def check_safety_model_folder(path: str | Path) -> Path:
    """A folder the `safety` command wrote (checked without loading it); TrainerError otherwise."""
    d = Path(path)
    if not d.is_dir():
        raise TrainerError(f"safety model folder {d} does not exist")
    if not all((d / f).is_file() for f in (SAFETY_CONFIG, HEADS_FILE, TABLE_FILE)):
        raise TrainerError(f"{d} is not a safety model (needs {SAFETY_CONFIG}, {HEADS_FILE}, {TABLE_FILE}); train one with `python -m trainer safety`")
    return d


def prompt_text(tokenizer: Any, prompt: list[Message]) -> str:
    return render(tokenizer, prompt)


class SafetyModel(nn.Module):
    def __init__(self, backbone: nn.Module, cost: bool = True, max_length: int = 512, reward_table: Table | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        freeze_pooler(backbone)
        h = hidden_size(backbone)
        dtype = next(backbone.parameters()).dtype
        self.policy_head = nn.Linear(h, len(POLICIES), dtype=dtype)
        self.rubric_head = nn.Linear(h, len(RUBRICS), dtype=dtype)
        self.cost_head = nn.Linear(h, 1, dtype=dtype) if cost else None
        for head in (self.policy_head, self.rubric_head, self.cost_head):
            if head is not None:
                init_head(head)
        self.max_length = max_length
        self.reward_table = check_reward_table(reward_table if reward_table is not None else DEFAULT_REWARD_TABLE)
        self._positions = accepts_position_ids(backbone)

    @staticmethod
    def from_backbone(path: str, cost: bool = True, dtype: torch.dtype = torch.float32, max_length: int = 512,
                      reward_table: Table | None = None, **load: Any) -> SafetyModel:
        return SafetyModel(load_backbone(path, dtype, what="backbone", **load), cost=cost, max_length=max_length, reward_table=reward_table)

    @property
    def has_cost(self) -> bool:
        return self.cost_head is not None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every head on every row (one forward, so each head is in the graph of every step):
        `policy` [b,3] and `rubric` [b,4] logits, `cost` [b] (zeros without a cost head)."""
        h = pooled_hidden(self.backbone, input_ids, attention_mask, self._positions).to(self.policy_head.weight.dtype)
        out = {"policy": at_least_fp32(self.policy_head(h)), "rubric": at_least_fp32(self.rubric_head(h))}
        out["cost"] = at_least_fp32(self.cost_head(h).squeeze(-1)) if self.cost_head is not None else at_least_fp32(h.new_zeros(h.shape[0]))
        return out

    def gradient_checkpointing_enable(self) -> None:
        enable_checkpointing(self.backbone)

    # ---- inference

    def _run(self, tokenizer: Any, texts: list[str], head: str, batch_size: int, device: torch.device | str | None, max_length: int | None) -> torch.Tensor:
        dev = torch.device(device) if device is not None else next(self.parameters()).device
        ids = tokenize(tokenizer, texts, max_positions(self.backbone, max_length or self.max_length))
        was_training = self.training
        self.eval()
        try:
            return run_sorted(lambda i, m: self(i, m)[head], ids, pad_id(tokenizer), batch_size, dev)
        finally:
            self.train(was_training)

    @torch.no_grad()
    def predict(
        self,
        tokenizer: Any,
        prompts: list[list[Message]],
        responses: list[str],
        batch_size: int = 16,
        device: torch.device | str | None = None,
        max_length: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(policy_probs [n,3] in POLICIES order, rubric_probs [n,4] in RUBRICS order), CPU float32."""
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts for {len(responses)} responses")
        if not prompts:
            return torch.empty(0, len(POLICIES)), torch.empty(0, len(RUBRICS))
        # A prompt is classified once however many responses it has.
        keys = [json.dumps(p, sort_keys=True) for p in prompts]
        unique = list(dict.fromkeys(keys))
        first = {k: prompts[keys.index(k)] for k in unique}
        policy_logits = self._run(tokenizer, [prompt_text(tokenizer, first[k]) for k in unique], "policy", batch_size, device, max_length)
        where = {k: i for i, k in enumerate(unique)}
        policy = torch.softmax(policy_logits, -1)[torch.tensor([where[k] for k in keys])]
        texts = [conversation_text(tokenizer, p, r) for p, r in zip(prompts, responses)]
        rubric = torch.softmax(self._run(tokenizer, texts, "rubric", batch_size, device, max_length), -1)
        return policy, rubric

    @torch.no_grad()
    def cost(
        self,
        tokenizer: Any,
        prompts: list[list[Message]],
        responses: list[str],
        batch_size: int = 16,
        device: torch.device | str | None = None,
        max_length: int | None = None,
    ) -> torch.Tensor:
        """Cost [n] of each response (> 0 unsafe, < 0 safe) for lagrangian PPO."""
        if self.cost_head is None:
            raise TrainerError("this safety model has no cost head (train it with --cost-model true on data with rubrics)")
        if not prompts:
            return torch.empty(0)
        texts = [conversation_text(tokenizer, p, r) for p, r in zip(prompts, responses)]
        return self._run(tokenizer, texts, "cost", batch_size, device, max_length)

    @torch.no_grad()
    def safety_reward(
        self,
        tokenizer: Any,
        prompts: list[list[Message]],
        responses: list[str],
        table: Table | torch.Tensor | None = None,
        batch_size: int = 16,
        device: torch.device | str | None = None,
        max_length: int | None = None,
    ) -> torch.Tensor:
        """Expected table value [n]: Σ_p Σ_r P(p | prompt)·P(r | prompt, response)·R[p][r]."""
        policy, rubric = self.predict(tokenizer, prompts, responses, batch_size, device, max_length)
        return expected_safety_reward(policy, rubric, self.reward_table if table is None else table)

    # ---- persistence

    def save(self, directory: str | Path, tokenizer: Any = None, extra: dict[str, Any] | None = None) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.backbone.save_pretrained(str(d))
        if tokenizer is not None:
            tokenizer.save_pretrained(str(d))
        heads = {f"policy_head.{k}": v for k, v in self.policy_head.state_dict().items()}
        heads |= {f"rubric_head.{k}": v for k, v in self.rubric_head.state_dict().items()}
        if self.cost_head is not None:
            heads |= {f"cost_head.{k}": v for k, v in self.cost_head.state_dict().items()}
        save_weights(heads, d / HEADS_FILE)
        config = {
            "kind": "safety_model",
            "backbone_kind": backbone_kind(self.backbone),
            "hidden_size": self.policy_head.in_features,
            "policies": list(POLICIES),
            "rubrics": list(RUBRICS),
            "cost_head": self.cost_head is not None,
            "max_length": self.max_length,
            "pooling": "last_real_token",
            **(extra or {}),
        }
        (d / SAFETY_CONFIG).write_text(json.dumps(config, indent=2))
        (d / TABLE_FILE).write_text(json.dumps(self.reward_table, indent=2))
        return d

    @staticmethod
    def load(directory: str | Path, dtype: torch.dtype = torch.float32, **load: Any) -> SafetyModel:
        d = check_safety_model_folder(directory)
        try:
            config = json.loads((d / SAFETY_CONFIG).read_text())
            table = json.loads((d / TABLE_FILE).read_text())
        except json.JSONDecodeError as e:
            raise TrainerError(f"{d}: a safety model file is not valid JSON: {e}") from None
        if config.get("policies", list(POLICIES)) != list(POLICIES) or config.get("rubrics", list(RUBRICS)) != list(RUBRICS):
            raise TrainerError(f"{d} was trained with other classes ({config.get('policies')}, {config.get('rubrics')})")
        model = SafetyModel(load_backbone(d, dtype, what="safety model", **load), cost=bool(config.get("cost_head")),
                            max_length=int(config.get("max_length", 512)), reward_table=table)
        heads = load_weights(d / HEADS_FILE)
        for name in ("policy_head", "rubric_head", "cost_head"):
            module = getattr(model, name)
            if module is None:
                continue
            part = {k.split(".", 1)[1]: v.to(dtype) for k, v in heads.items() if k.startswith(name + ".")}
            if set(part) != {"weight", "bias"} or part["weight"].shape != module.weight.shape:
                raise TrainerError(f"{d / HEADS_FILE} does not fit the backbone ({name})")
            module.load_state_dict(part)
        return model
