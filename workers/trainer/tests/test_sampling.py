"""The generation backend of `generate` and PPO: the option, its resolution on a machine without vLLM
or a GPU, and the one output layout every backend ends in."""

import importlib
import json

import pytest
import torch

from trainer.__main__ import main
from trainer.batching import collate
from trainer.commands import COMMANDS
from trainer.config import load_config
from trainer.errors import TrainerError
from trainer.policy import eos_ids, generate, load_causal_lm, load_policy_tokenizer, prompt_ids, samples_from
from trainer.runtime import make_runtime
from trainer.sampling import TransformersSampler, make_sampler, use_vllm
from trainer.tiny import make_tiny_causal_lm

WORDS = ["cat", "dog", "sure", "sorry"]
PROMPTS = [[{"role": "user", "content": "cat cat dog"}], [{"role": "user", "content": "dog"}]]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("sampling") / "policy", WORDS, seed=1)


@pytest.mark.parametrize("command", ["generate", "ppo", "grpo", "rloo"])
def test_use_vllm_takes_auto_yes_or_no(command):
    config = importlib.import_module(COMMANDS[command]).Config
    required = ["--policy", "p", "--prompts", "q", "--output-dir", "o"] + ([] if command == "generate" else ["--reward-model", "r"])
    assert load_config(config, command, None, required).use_vllm == "auto"
    assert load_config(config, command, None, [*required, "--use-vllm", "no"]).use_vllm == "no"
    with pytest.raises(TrainerError, match="use_vllm must be one of auto, yes, no, not 'sometimes'"):
        load_config(config, command, None, [*required, "--use-vllm", "sometimes"])


def test_auto_resolves_to_transformers_without_vllm_or_a_gpu(policy_dir):
    rt = make_runtime("cpu", "fp32")
    assert use_vllm("auto", rt) is False and use_vllm("no", rt) is False
    tokenizer = load_policy_tokenizer(policy_dir)
    sampler = make_sampler("auto", rt, lambda: load_causal_lm(policy_dir), tokenizer, policy_dir, 0.5, 64, 0)
    assert isinstance(sampler, TransformersSampler) and sampler.name == "transformers"


def test_use_vllm_yes_fails_with_what_is_missing(tmp_path, policy_dir, capsys):
    with pytest.raises(TrainerError, match="use_vllm yes: the vllm package is not installed"):
        use_vllm("yes", make_runtime("cpu", "fp32"))
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": str(i), "prompt": p}) + "\n" for i, p in enumerate(PROMPTS)))
    code = main(["generate", "--policy", str(policy_dir), "--prompts", str(prompts), "--output-dir", str(tmp_path / "out"), "--use-vllm", "yes"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 2 and events[-1]["event"] == "error" and "use_vllm yes" in events[-1]["message"]
    assert not (tmp_path / "out").exists()


def test_a_seeded_call_draws_from_its_seed_alone(policy_dir):
    rt = make_runtime("cpu", "fp32")
    model, tokenizer = load_causal_lm(policy_dir).eval(), load_policy_tokenizer(policy_dir)
    sampler = TransformersSampler(model, tokenizer, rt)
    first = sampler.sample(PROMPTS, 3, 1.0, 1.0, 6, 32, seed=11)
    torch.manual_seed(123)  # whatever the global stream did before
    again = sampler.sample(PROMPTS, 3, 1.0, 1.0, 6, 32, seed=11)
    assert first.response_ids == again.response_ids and first.texts == again.texts
    torch.manual_seed(11)
    assert generate(model, tokenizer, PROMPTS, 3, 1.0, 1.0, 6, 32).response_ids == first.response_ids, "as generate after manual_seed"


def test_token_lists_of_another_backend_give_the_samples_of_generate(policy_dir):
    """vLLM hands back one token list per sample (ending in EOS when it stopped there); padded and
    passed through samples_from they give exactly the Samples transformers' generate gives."""
    model, tokenizer = load_causal_lm(policy_dir).eval(), load_policy_tokenizer(policy_dir)
    torch.manual_seed(5)
    s = generate(model, tokenizer, PROMPTS, 2, 1.0, 1.0, 6, 32)
    pad = int(tokenizer.pad_token_id)
    width = max(len(r) for r in s.response_ids)
    response = torch.tensor([r + [pad] * (width - len(r)) for r in s.response_ids])
    query = collate(prompt_ids(tokenizer, PROMPTS, 32), pad, padding_side="left")
    rebuilt = samples_from(tokenizer, query["input_ids"], query["attention_mask"], response, eos_ids(model, tokenizer), 2)
    for field in ("input_ids", "attention_mask", "response_mask"):
        torch.testing.assert_close(getattr(rebuilt, field), getattr(s, field))
    assert rebuilt.texts == s.texts and rebuilt.response_ids == s.response_ids and rebuilt.prompt_index == s.prompt_index
    assert rebuilt.ended.tolist() == s.ended.tolist()


def test_ppo_refuses_compile():
    config = importlib.import_module(COMMANDS["ppo"]).Config
    with pytest.raises(TrainerError, match="ppo does not compile the policy"):
        load_config(config, "ppo", None, ["--policy", "p", "--prompts", "q", "--reward-model", "r", "--output-dir", "o", "--compile", "true"])
