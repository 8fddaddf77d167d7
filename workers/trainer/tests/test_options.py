"""Option rules declared once on the Config fields (trainer/options.py): checked on load, inherited
by a redeclared field, and written out for the platform."""

from __future__ import annotations

import importlib

import pytest

from trainer.commands import COMMANDS
from trainer.config import load_config
from trainer.errors import TrainerError
from trainer.options import rules
from trainer.ts_options import module_text


def _load(command: str, *flags: str):
    module = importlib.import_module(COMMANDS[command])
    required = {"reward": ["--data", "d", "--model", "m"], "safety": ["--data", "d", "--model", "m"], "sft": ["--data", "d", "--model", "m"],
                "dpo": ["--data", "d", "--model", "m"], "kto": ["--data", "d", "--model", "m"],
                "grpo": ["--policy", "p", "--prompts", "q", "--reward-model", "r"],
                "rloo": ["--policy", "p", "--prompts", "q", "--reward-model", "r"],
                "ppo": ["--policy", "p", "--reward-model", "r", "--prompts", "q"], "generate": ["--policy", "p", "--prompts", "q"],
                "evaluate": ["--policy", "p", "--prompts", "q"], "acquire": ["--pool", "t", "--reward-models", '["a", "b"]'],
                "forecast": ["--data", "d", "--model", "m"], "serve": ["--model", "m"]}[command]
    return load_config(module.Config, command, None, ["--output-dir", "o", *required, *flags])


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        ("reward", ["--batch-size", "0"], "batch_size must be >= 1, got 0"),
        ("reward", ["--lr", "2"], "lr must be <= 1, got 2.0"),
        ("reward", ["--margin", "huge"], "margin must be one of none, small, large, not 'huge'"),
        ("reward", ["--split", "no spaces"], "split must be a name of letters"),
        ("reward", ["--device", "tpu"], "device must be auto, cpu, cuda or cuda:N"),
        # sft redeclares lr only to change its default: the base class's rule still holds.
        ("sft", ["--lr", "0"], "lr must be > 0, got 0"),
        ("ppo", ["--top-p", "0"], "top_p must be > 0, got 0"),
        ("ppo", ["--refusal-markers", "[]"], "refusal_markers must be 1 to 100 non-empty strings"),
        ("evaluate", ["--eval-fraction", "0"], "eval_fraction must be > 0, got 0"),
    ],
)
def test_out_of_range_options_are_refused_with_the_rule(command, flags, message):
    with pytest.raises(TrainerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(command, *flags)


def test_nullable_options_accept_null_and_the_defaults_pass_their_own_rules():
    for command in COMMANDS:
        _load(command)  # every default satisfies its rules
    assert _load("ppo", "--reward-clip", "null").reward_clip is None


def test_a_redeclared_field_keeps_the_rules_of_its_base():
    sft = importlib.import_module(COMMANDS["sft"]).Config
    assert rules(sft, "lr") == {"gt": 0, "le": 1, "role": "override"}


def test_the_typescript_schemas_hold_every_command():
    text = module_text()
    for command in COMMANDS:
        assert f"export const Z{command.capitalize()}Overrides" in text
