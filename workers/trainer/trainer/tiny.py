"""Tiny random models built from a config, with a word-level tokenizer: for tests and CPU benchmarks.

They are saved as ordinary Hugging Face checkpoint folders, so the commands load them exactly as
they load a real model. Never a default for real training.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL = ["<pad>", "<unk>", "<s>", "</s>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<s> assistant : {% endif %}"
)
BASE_WORDS = ["system", "user", "assistant", ":", ".", ",", "?", "!"]


def word_tokenizer(words: Iterable[str], pad_is_eos: bool = False) -> PreTrainedTokenizerFast:
    vocab: dict[str, int] = {}
    for w in [*SPECIAL, *BASE_WORDS, *words]:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit()])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="</s>" if pad_is_eos else "<pad>",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def make_tiny_causal_lm(path: str | Path, words: Iterable[str], hidden: int = 32, layers: int = 2, seed: int = 0, pad_is_eos: bool = False) -> Path:
    torch.manual_seed(seed)
    tok = word_tokenizer(words, pad_is_eos=pad_is_eos)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    out = Path(path)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def make_tiny_encoder(path: str | Path, words: Iterable[str], hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    tok = word_tokenizer(words)
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=256,
        pad_token_id=tok.pad_token_id,
    )
    model = BertModel(config)
    out = Path(path)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
