"""From texts to padded batches: token ids, padding, length-bucketed batch plans, last real tokens.

Rows are lists of token ids; `collate` pads them with an attention mask, and everything downstream
reads real tokens from the mask alone (never from pad or EOS ids), so left padding, right padding
and pad == eos all give the same results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def _adds_specials(tokenizer: Any) -> bool:
    # A chat template already writes the model's special tokens; without one (BERT-style
    # encoders) the tokenizer adds its [CLS]/[SEP].
    return not getattr(tokenizer, "chat_template", None)


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per text, cut from the LEFT when too long so the end (the response) is kept."""
    old = tokenizer.truncation_side
    tokenizer.truncation_side = "left"
    try:
        enc = tokenizer(list(texts), truncation=True, max_length=max_length, add_special_tokens=_adds_specials(tokenizer))
    finally:
        tokenizer.truncation_side = old
    return [list(ids) for ids in enc["input_ids"]]


def pad_id(tokenizer: Any) -> int:
    for value in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if value is not None:
            return int(value)
    return 0


def collate(ids: Sequence[Sequence[int]], pad: int, padding_side: str = "right") -> dict[str, torch.Tensor]:
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be left or right, not {padding_side!r}")
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        n = len(row)
        sl = slice(0, n) if padding_side == "right" else slice(width - n, width)
        input_ids[i, sl] = torch.tensor(row, dtype=torch.long)
        mask[i, sl] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def encode_batch(tokenizer: Any, texts: Sequence[str], max_length: int, padding_side: str = "right") -> dict[str, torch.Tensor]:
    """`input_ids` and `attention_mask` for texts, left-truncated to `max_length`, padded on `padding_side`."""
    return collate(tokenize(tokenizer, texts, max_length), pad_id(tokenizer), padding_side)


def length_buckets(lengths: Sequence[int], batch_size: int, rng: np.random.Generator, group: int = 50) -> list[list[int]]:
    """Batches of indexes with similar lengths (little padding), in a random order.

    Indexes are shuffled, cut into mega-batches of `group` batches, each sorted by length and cut
    into batches; then the batch order is shuffled (as HF's LengthGroupedSampler), so each epoch
    sees different batches of similar lengths.
    """
    order = rng.permutation(len(lengths)).tolist()
    out: list[list[int]] = []
    mega = batch_size * group
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: -lengths[i])
        out.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [out[i] for i in rng.permutation(len(out)).tolist()]


class EpochBatches:
    """The batch of each step: `length_buckets` of the step's epoch, whose order depends on
    (seed, epoch) only, so a resumed run can skip exactly the batches it already trained on."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths, self.batch_size, self.seed = list(lengths), batch_size, seed
        self.per_epoch = math.ceil(len(self.lengths) / batch_size)
        self._plans: dict[int, list[list[int]]] = {}

    def at(self, step: int) -> list[int]:
        """Indexes of the rows of step `step` (counted from 0 over all epochs)."""
        epoch, index = divmod(step, self.per_epoch)
        if epoch not in self._plans:
            self._plans = {epoch: length_buckets(self.lengths, self.batch_size, np.random.default_rng([self.seed, epoch]))}
        return self._plans[epoch][index]


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position of each row's last real token, from the mask alone (never from pad/eos ids)."""
    m = attention_mask.bool()
    width = m.shape[1]
    return (width - 1) - m.flip(dims=[1]).to(torch.long).argmax(dim=1)
