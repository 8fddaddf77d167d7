"""The reward model: a Hugging Face backbone plus a scalar head read at the last real token.

Works for encoders (BERT, MiniLM) and decoders (Llama, SmolLM) alike: `AutoModel` gives the base
model without its LM head, and the score is taken from the hidden state of the last position whose
attention mask is 1, so left padding, right padding and pad == eos all give the same score.

A saved reward model is a folder that is also an ordinary backbone folder (config, weights,
tokenizer at its root, so a PPO value model can start from it) plus `head.safetensors` and
`reward_config.json` with the normalisation statistics (mean/std of the raw scores on the
training responses: `normalise` centres rewards so the reference set's mean reward is 0).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .batching import collate, last_token_index, pad_id, tokenize
from .checkpoint import load_weights, save_weights
from .data import Message, render
from .errors import TrainerError
from .runtime import attention_for

REWARD_CONFIG = "reward_config.json"
HEAD_FILE = "head.safetensors"


# --------------------------------------------------------------------------- loading helpers


def check_model_folder(path: str | Path, what: str = "model") -> Path:
    p = Path(path)
    if not p.is_dir():
        raise TrainerError(f"{what} folder {p} does not exist")
    if not (p / "config.json").is_file():
        raise TrainerError(f"{what} folder {p} has no config.json: it is not a Hugging Face model folder")
    return p


def check_reward_model_folder(path: str | Path) -> Path:
    """A folder the `reward` command wrote (checked without loading it); TrainerError otherwise."""
    d = Path(path)
    if not d.is_dir():
        raise TrainerError(f"reward model folder {d} does not exist")
    if not (d / REWARD_CONFIG).is_file() or not (d / HEAD_FILE).is_file():
        raise TrainerError(f"{d} is not a reward model (no {REWARD_CONFIG} / {HEAD_FILE}); train one with `python -m trainer reward`")
    return d


def from_pretrained(auto_class: Any, path: Path, dtype: torch.dtype, attention: str, cuda: bool) -> nn.Module:
    """`auto_class.from_pretrained` of a local folder with the attention kernel `attention_for` picks
    for the class the folder's config maps to."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    model_class = auto_class._model_mapping[type(config)]
    return auto_class.from_pretrained(str(path), config=config, dtype=dtype, local_files_only=True,
                                      attn_implementation=attention_for(attention, model_class, cuda))


def load_backbone(path: str | Path, dtype: torch.dtype = torch.float32, what: str = "model", attention: str = "auto",
                  cuda: bool = False) -> nn.Module:
    """`AutoModel.from_pretrained` from a local folder, failing with a TrainerError that says why."""
    from transformers import AutoModel

    p = check_model_folder(path, what)
    try:
        return from_pretrained(AutoModel, p, dtype, attention, cuda)
    except (OSError, ValueError, KeyError) as e:
        raise TrainerError(f"cannot load the {what} in {p}: {e}") from None


def load_tokenizer(path: str | Path, what: str = "model") -> Any:
    from transformers import AutoTokenizer

    p = check_model_folder(path, what)
    try:
        return AutoTokenizer.from_pretrained(str(p), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise TrainerError(f"cannot load the tokenizer in {p}: {e}") from None


def hidden_size(backbone: nn.Module) -> int:
    config = backbone.config
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    for name in ("hidden_size", "d_model", "n_embd", "dim"):
        value = getattr(text, name, None)
        if isinstance(value, int):
            return value
    raise TrainerError(f"cannot tell the hidden size of {type(backbone).__name__}")


def max_positions(backbone: nn.Module, max_length: int) -> int:
    """`max_length` capped at what the backbone's position embeddings allow."""
    limit = getattr(backbone.config, "max_position_embeddings", None)
    return min(max_length, int(limit)) if isinstance(limit, int) and limit > 0 else max_length


def conversation_text(tokenizer: Any, prompt: list[Message], response: str) -> str:
    return render(tokenizer, [*prompt, {"role": "assistant", "content": response}])


# --------------------------------------------------------------------------- pooling


def pooled_hidden(backbone: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, accepts_positions: bool) -> torch.Tensor:
    """The backbone's last hidden state at each row's last real token, `[batch, hidden]`."""
    kwargs: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask}
    if accepts_positions:
        # Positions count real tokens only, so a left-padded row sees the same positions as a
        # right-padded one (absolute position embeddings such as BERT's need this).
        kwargs["position_ids"] = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    out = backbone(**kwargs)
    hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, last_token_index(attention_mask).to(hidden.device)]


def accepts_position_ids(backbone: nn.Module) -> bool:
    try:
        return "position_ids" in inspect.signature(backbone.forward).parameters
    except (TypeError, ValueError):
        return False


def freeze_pooler(backbone: nn.Module) -> None:
    """Encoders such as BERT carry a [CLS] pooler the score never reads: frozen, it gets no
    optimizer state and DDP does not wait for its (absent) gradients."""
    pooler = getattr(backbone, "pooler", None)
    if isinstance(pooler, nn.Module):
        pooler.requires_grad_(False)


def turn_off_dropout(model: nn.Module) -> None:
    """Dropout off (as TRL's reward trainer): the two sides of a comparison see the same network."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    config = getattr(getattr(model, "backbone", None), "config", None)
    for name in ("attention_dropout", "attention_probs_dropout_prob", "hidden_dropout_prob", "dropout"):
        if config is not None and isinstance(getattr(config, name, None), float):
            setattr(config, name, 0.0)


def enable_checkpointing(backbone: nn.Module) -> None:
    """Activation (gradient) checkpointing under whichever name this transformers version uses."""
    kwargs = {"use_reentrant": False}
    if hasattr(backbone, "activation_checkpointing_enable"):
        backbone.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        backbone.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def init_head(head: nn.Linear) -> None:
    # Small init (as TRL's value head) so early scores are near 0 and the BT loss starts at log 2.
    nn.init.normal_(head.weight, std=1.0 / math.sqrt(head.in_features + 1))
    nn.init.zeros_(head.bias)


def at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """bf16/fp16 scores as fp32 (the losses need the precision); fp32/fp64 as they are."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def backbone_kind(backbone: nn.Module) -> str:
    return str(getattr(backbone.config, "model_type", type(backbone).__name__))


# --------------------------------------------------------------------------- the model


class RewardModel(nn.Module):
    def __init__(self, backbone: nn.Module, max_length: int = 512) -> None:
        super().__init__()
        self.backbone = backbone
        freeze_pooler(backbone)
        dtype = next(backbone.parameters()).dtype
        self.head = nn.Linear(hidden_size(backbone), 1, dtype=dtype)
        init_head(self.head)
        self.register_buffer("reward_mean", torch.tensor(0.0))
        self.register_buffer("reward_std", torch.tensor(1.0))
        self.max_length = max_length
        self._positions = accepts_position_ids(backbone)

    @staticmethod
    def from_backbone(path: str, dtype: torch.dtype = torch.float32, max_length: int = 512, **load: Any) -> RewardModel:
        """`load`: the loader's attention options (`Runtime.load_options()`)."""
        return RewardModel(load_backbone(path, dtype, what="backbone", **load), max_length=max_length)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Raw scores `[batch]` (at least float32) at each row's last real token."""
        h = pooled_hidden(self.backbone, input_ids, attention_mask, self._positions)
        return at_least_fp32(self.head(h.to(self.head.weight.dtype)).squeeze(-1))

    def normalise(self, scores: torch.Tensor) -> torch.Tensor:
        mean = self.reward_mean.to(scores.device, scores.dtype)
        std = self.reward_std.to(scores.device, scores.dtype)
        return (scores - mean) / std

    def set_normalisation(self, mean: float, std: float) -> None:
        self.reward_mean.fill_(float(mean))
        self.reward_std.fill_(max(float(std), 1e-6))

    def gradient_checkpointing_enable(self) -> None:
        enable_checkpointing(self.backbone)

    # ---- persistence

    def save(self, directory: str | Path, tokenizer: Any = None, extra: dict[str, Any] | None = None) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.backbone.save_pretrained(str(d))
        if tokenizer is not None:
            tokenizer.save_pretrained(str(d))
        save_weights(self.head.state_dict(), d / HEAD_FILE)
        config = {
            "kind": "reward_model",
            "backbone_kind": backbone_kind(self.backbone),
            "hidden_size": self.head.in_features,
            "mean": float(self.reward_mean),
            "std": float(self.reward_std),
            "max_length": self.max_length,
            "pooling": "last_real_token",
            **(extra or {}),
        }
        (d / REWARD_CONFIG).write_text(json.dumps(config, indent=2))
        return d

    @staticmethod
    def load(directory: str | Path, dtype: torch.dtype = torch.float32, **load: Any) -> RewardModel:
        d = check_reward_model_folder(directory)
        try:
            config = json.loads((d / REWARD_CONFIG).read_text())
        except json.JSONDecodeError as e:
            raise TrainerError(f"{d / REWARD_CONFIG} is not valid JSON: {e}") from None
        model = RewardModel(load_backbone(d, dtype, what="reward model", **load), max_length=int(config.get("max_length", 512)))
        head = load_weights(d / HEAD_FILE)
        if head.get("weight") is None or tuple(head["weight"].shape) != tuple(model.head.weight.shape):
            raise TrainerError(f"{d / HEAD_FILE} does not fit the backbone in {d}")
        model.head.load_state_dict({k: v.to(dtype) for k, v in head.items()})
        model.set_normalisation(config.get("mean", 0.0), config.get("std", 1.0))
        return model


# --------------------------------------------------------------------------- inference


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def run_sorted(
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    ids: Sequence[Sequence[int]],
    pad: int,
    batch_size: int,
    device: torch.device,
    autocast: Callable[[], Any] | None = None,
) -> torch.Tensor:
    """`fn(input_ids, attention_mask)` over pre-tokenized rows in length-sorted batches (little
    padding); the per-row results come back in input order, float32 on the CPU."""
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    out: torch.Tensor | None = None
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = collate([ids[i] for i in idx], pad)
        with autocast() if autocast is not None else contextlib.nullcontext():
            result = fn(batch["input_ids"].to(device), batch["attention_mask"].to(device)).float().cpu()
        if out is None:
            out = torch.empty((len(ids), *result.shape[1:]), dtype=torch.float32)
        out[torch.tensor(idx)] = result
    return out if out is not None else torch.empty(0)


def sorted_chunks(ids: Sequence[Sequence[int]], tokens_per_forward: int) -> list[list[int]]:
    """Row indexes sorted longest first and cut so each chunk pads to at most `tokens_per_forward`."""
    chunks: list[list[int]] = []
    for i in sorted(range(len(ids)), key=lambda i: -len(ids[i])):
        # Longest first, so a chunk's first row sets its padded width.
        if chunks and (len(chunks[-1]) + 1) * len(ids[chunks[-1][0]]) <= tokens_per_forward:
            chunks[-1].append(i)
        else:
            chunks.append([i])
    return chunks


def forward_sorted(
    model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    ids: Sequence[Sequence[int]],
    pad: int,
    device: torch.device,
    tokens_per_forward: int,
    autocast: Callable[[], Any] | None = None,
) -> torch.Tensor:
    """Scores `[n]` of pre-tokenized rows WITH gradients, in input order, padding little.

    Rows are sorted by length and cut into forwards of at most `tokens_per_forward` padded tokens
    (at least one row each), so a short response is never padded to the batch's longest one.
    `tokens_per_forward <= 0` scores everything in one forward.
    """
    if tokens_per_forward <= 0:
        batch = collate(ids, pad)
        with autocast() if autocast is not None else contextlib.nullcontext():
            return model(batch["input_ids"].to(device), batch["attention_mask"].to(device)).float()
    chunks = sorted_chunks(ids, tokens_per_forward)
    parts = []
    for chunk in chunks:
        batch = collate([ids[i] for i in chunk], pad)
        with autocast() if autocast is not None else contextlib.nullcontext():
            parts.append(model(batch["input_ids"].to(device), batch["attention_mask"].to(device)).float())
    inverse = torch.empty(len(ids), dtype=torch.long)
    inverse[torch.tensor([i for c in chunks for i in c])] = torch.arange(len(ids))
    return torch.cat(parts)[inverse.to(parts[0].device)]


@torch.no_grad()
def score_ids(model: RewardModel, ids: Sequence[Sequence[int]], pad: int, batch_size: int = 16, device: torch.device | str | None = None,
              autocast: Callable[[], Any] | None = None) -> torch.Tensor:
    """Raw scores `[n]` of pre-tokenized rows (model switched to eval mode for the call)."""
    dev = torch.device(device) if device is not None else _device_of(model)
    was_training = model.training
    model.eval()
    try:
        return run_sorted(model, ids, pad, batch_size, dev, autocast)
    finally:
        model.train(was_training)


def score_texts(model: RewardModel, tokenizer: Any, texts: Sequence[str], batch_size: int = 16, max_length: int = 512,
                device: torch.device | str | None = None) -> torch.Tensor:
    """Raw scores of already-rendered texts, `[n]` float32 on the CPU, in input order."""
    ids = tokenize(tokenizer, texts, max_positions(model.backbone, max_length))
    return score_ids(model, ids, pad_id(tokenizer), batch_size, device)


def score(
    model: RewardModel,
    tokenizer: Any,
    prompts: list[list[Message]],
    responses: list[str],
    batch_size: int = 16,
    max_length: int = 512,
    normalise: bool = True,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Rewards `[n]` of (prompt, response) pairs; normalised by the saved mean/std unless told not to."""
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts for {len(responses)} responses")
    if not responses:
        return torch.empty(0)
    texts = [conversation_text(tokenizer, p, r) for p, r in zip(prompts, responses)]
    raw = score_texts(model, tokenizer, texts, batch_size, max_length, device)
    return model.normalise(raw) if normalise else raw
