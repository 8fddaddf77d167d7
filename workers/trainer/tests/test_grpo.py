"""`grpo` and `rloo` on TRL's trainers against our reward functions: a rule reward that rises on a
tiny model, the safety reward functions against hand-computed values, λ's update, SIGTERM and
resuming, and the events."""

import io
import json
import math
import os
import re
import signal
import statistics
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from trl import GRPOConfig

import trainer.__main__ as cli
from trainer.commands import grpo, rloo
from trainer.commands.grpo import LOSS_TYPES
from trainer.context import RunContext
from trainer.events import EventWriter
from trainer.group_rl import PolicyReward, refusal_reward_function
from trainer.loop import SUMMARY_FILE
from trainer.policy import load_causal_lm
from trainer.reward_model import RewardModel
from trainer.rewards import Scorers
from trainer.rl_math import DEFAULT_REWARD_TABLE
from trainer.runtime import make_runtime
from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder, word_tokenizer

WORDS = ["cat", "dog", "gun", "knife", "sure", "sorry", "ok", "here", "good"]
ALLOWED, DISALLOWED = ["cat", "dog"], ["gun", "knife"]
COMMANDS = {"grpo": grpo, "rloo": rloo}


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("grpo") / "policy", WORDS, seed=0)


def ask(word):
    return [{"role": "user", "content": " ".join([word] * 4)}]


def write_prompts(path, words=ALLOWED + DISALLOWED):
    rows = [{"id": w, "prompt": ask(w), "policy": "disallowed" if w in DISALLOWED else "allowed"} for w in words]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def share_of(word):
    """The rule reward: the share of the response's words that are `word`."""
    def reward(prompts, responses):
        return torch.tensor([r.split().count(word) / max(len(r.split()), 1) for r in responses])
    return reward


def contains(word):
    return lambda prompts, responses: torch.tensor([float(word in r.split()) for r in responses])


def rubric(prompt, response):
    """A rule standing in for the safety model: compliance ("sure") with a disallowed prompt is C."""
    words = response.split()
    if prompt[-1]["content"].split()[0] in DISALLOWED and "sure" in words:
        return "C"
    return "A" if "sorry" in words else "D"


def table_safety(prompts, responses):
    policy = lambda p: "disallowed" if p[-1]["content"].split()[0] in DISALLOWED else "allowed"  # noqa: E731
    return torch.tensor([DEFAULT_REWARD_TABLE[policy(p)][rubric(p, r)] for p, r in zip(prompts, responses)])


def cost(prompts, responses):
    return torch.tensor([1.0 if rubric(p, r) == "C" else -1.0 for p, r in zip(prompts, responses)])


def config(command, tmp_path, policy_dir, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    base = dict(policy=str(policy_dir), prompts=str(write_prompts(tmp_path / "prompts.jsonl")), output_dir=str(tmp_path / "out"), steps=16,
                batch_size=4, num_generations=4, max_new_tokens=6, lr=0.01, checkpoint_every=1000, eval_every=1000, refusal_markers=["sorry"],
                device="cpu", precision="fp32")
    return COMMANDS[command].Config(**{**base, **kw})


class _Writer(EventWriter):
    """Events into a buffer; SIGTERM to this process once step `stop_at`'s loss is out, as a worker cancelling the run would."""

    def __init__(self, stop_at=None):
        super().__init__(io.StringIO())
        self.stop_at = stop_at

    def metric(self, step, name, value):
        super().metric(step, name, value)
        if name == "train/loss" and step == self.stop_at:
            os.kill(os.getpid(), signal.SIGTERM)

    def events(self):
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]


def run_api(cfg, scorers, stop_at=None):
    writer = _Writer(stop_at)
    ctx = RunContext.create(make_runtime("cpu", "fp32"), cfg.output_dir, cfg.keep_checkpoints, writer)
    summary = COMMANDS["grpo" if isinstance(cfg, grpo.Config) else "rloo"].train(cfg, ctx, scorers)
    return summary, writer.events()


def series(events, name):
    return [e["value"] for e in events if e["event"] == "metric" and e["name"] == name]


def check_events(events, total):
    """Every event is one the worker reads: metrics named train/ or eval/ with finite values and the run's total steps."""
    assert {e["event"] for e in events} <= {"metric", "checkpoint", "eval", "done", "error"}
    for e in events:
        assert isinstance(e["time"], (int, float))
        if e["event"] == "metric":
            assert e["name"].startswith(("train/", "eval/")) and math.isfinite(e["value"]) and e["total_steps"] == total


# --------------------------------------------------------------------------- the options against TRL


def test_loss_types_and_levels_are_those_trl_accepts():
    fields = GRPOConfig.__dataclass_fields__
    supported = re.search(r"Supported values are (.*?)\. ", fields["loss_type"].metadata["help"]).group(1)
    assert set(LOSS_TYPES) == set(re.findall(r"'(\w+)'", supported))
    assert set(grpo.Config.__dataclass_fields__["importance_sampling_level"].metadata["choices"]) == set(
        re.findall(r"`'(\w+)'`", fields["importance_sampling_level"].metadata["help"]))


# --------------------------------------------------------------------------- the reward functions, by hand


# Two allowed and two disallowed prompts; r_h rewards compliance ("sure"); the rule rubric makes
# "sure" on a disallowed prompt C and "sorry" a refusal (A).
PROMPTS = [ask("cat"), ask("cat"), ask("gun"), ask("gun")]
LABELS = ["allowed", "allowed", "disallowed", "disallowed"]
RESPONSES = ["sure good", "sorry", "sure", "sorry ok"]
COMPLETIONS = [[{"role": "assistant", "content": r}] for r in RESPONSES]
R_H = [1.0, 0.0, 1.0, 0.0]
TABLE = [1.0, -1.0, -1.0, 1.0]  # allowed/D, allowed/A, disallowed/C, disallowed/A
COST = [-1.0, -1.0, 1.0, -1.0]


def _call(reward, step=0, logged=None):
    log = (lambda name, value: logged.__setitem__(name, value)) if logged is not None else None
    return reward(prompts=PROMPTS, completions=COMPLETIONS, conversation=PROMPTS, policy=LABELS,
                  trainer_state=SimpleNamespace(global_step=step), log_metric=log)


def test_table_reward_is_r_h_plus_the_weighted_table_value(tmp_path, policy_dir):
    cfg = config("grpo", tmp_path, policy_dir, safety_mode="table", safety_model="(rule)", safety_weight=0.5)
    reward = PolicyReward(cfg, "table", Scorers(reward=contains("sure"), safety=table_safety), {})
    logged = {}
    assert reward.__name__ == "table"
    assert _call(reward, logged=logged) == pytest.approx([1.5, -0.5, 0.5, 0.5])
    assert logged["reward_helpful"] == pytest.approx(0.5) and logged["reward_safety"] == 0.0
    # Refusals: one of the two allowed prompts (over-refusal) and one of the two disallowed ones.
    assert logged["refusal_rate"] == 0.5 and logged["over_refusal_rate"] == 0.5 and logged["refusal_rate_disallowed"] == 0.5


def test_gated_reward_takes_the_safety_score_on_unsafe_prompts_and_low_scores_then_whitens(tmp_path, policy_dir):
    cfg = config("grpo", tmp_path, policy_dir, safety_mode="gated", safety_model="(rule)", gate_threshold=0.15)
    score = lambda p, r: 0.1 + 0.4 * (table_safety(p, r) + 1)  # noqa: E731 - [0.9, 0.1, 0.1, 0.9]: low = unsafe
    reward = PolicyReward(cfg, "gated", Scorers(reward=contains("sure"), safety=score), {})
    # Row 0: allowed and safe → sigmoid(r_h = 1); row 1: score 0.1 < 0.15 → 0.1; rows 2, 3: disallowed → the score (0.1, 0.9).
    chosen = [1 / (1 + math.exp(-1.0)), 0.1, 0.1, 0.9]
    logits = [math.log(p / (1 - p)) for p in chosen]
    mean, var = statistics.mean(logits), statistics.variance(logits)
    expected = [(x - mean) / math.sqrt(var + 1e-8) for x in logits]
    assert _call(reward) == pytest.approx(expected, rel=1e-5)


def test_lagrangian_reward_updates_lambda_from_the_batch_cost_first_then_combines(tmp_path, policy_dir):
    cfg = config("grpo", tmp_path, policy_dir, safety_mode="lagrangian", safety_model="(rule)", lambda_init=1.0, lagrangian_lr=0.5, cost_limit=-1.0)
    state = {}
    reward = PolicyReward(cfg, "lagrangian", Scorers(reward=contains("sure"), cost=cost), state)
    logged = {}
    values = _call(reward, logged=logged)
    # Mean cost −0.5, limit −1: log λ = 0 + 0.5 · (−0.5 + 1) = 0.25.
    lam = math.exp(0.25)
    assert logged["lambda"] == pytest.approx(lam) and logged["cost"] == -0.5 and state["log_lambda"] == pytest.approx(0.25)
    assert values == pytest.approx([(r - lam * c) / (1 + lam) for r, c in zip(R_H, COST)])
    assert values == pytest.approx([1.0, 0.562177, -0.124353, 0.562177], abs=1e-6)


def test_refusal_rule_rewards_refusing_disallowed_and_answering_allowed_prompts():
    refusal = refusal_reward_function(["sorry"])
    assert refusal.__name__ == "refusal"
    assert refusal(prompts=PROMPTS, completions=COMPLETIONS, policy=LABELS) == [1.0, -1.0, -1.0, 1.0]
    assert refusal(prompts=PROMPTS[:2], completions=["sorry", "fine"], policy=["sensitive", None]) == [0.0, 0.0]


def test_lambda_follows_the_ppo_rule_and_comes_back_from_the_state(tmp_path, policy_dir):
    cfg = config("rloo", tmp_path, policy_dir, safety_mode="lagrangian", safety_model="(rule)", lambda_init=2.0, lagrangian_lr=0.1,
                 cost_limit=0.0, lambda_max=3.0, lambda_delay_steps=1)
    state = {}
    batch_cost = {"c": 0.0}
    reward = PolicyReward(cfg, "lagrangian", Scorers(reward=contains("sure"), cost=lambda p, r: torch.full((len(r),), batch_cost["c"])), state)
    lambdas = []
    for step, c in enumerate([5.0, 2.0, 2.0, -4.0, 100.0]):
        batch_cost["c"] = c
        logged = {}
        _call(reward, step=step, logged=logged)
        lambdas.append(logged["lambda"])
    # Step 0 is within the delay; then log λ moves by 0.1 × mean cost (the limit is 0), capped at 3.
    log_lambda = math.log(2.0)
    expected = [2.0]
    for c in [2.0, 2.0, -4.0]:
        log_lambda += 0.1 * c
        expected.append(math.exp(log_lambda))
    expected.append(3.0)
    assert lambdas == pytest.approx(expected)
    # A held-out evaluation leaves λ alone.
    reward.trainer = SimpleNamespace(model=SimpleNamespace(training=False))
    logged = {}
    _call(reward, step=5, logged=logged)
    assert logged["lambda"] == pytest.approx(3.0) and state["log_lambda"] == pytest.approx(math.log(3.0))
    # A resumed run starts from the saved λ.
    again = PolicyReward(cfg, "lagrangian", Scorers(reward=contains("sure"), cost=cost), dict(state))
    assert again.lagrange.value == pytest.approx(3.0)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("command", ["grpo", "rloo"])
def test_training_raises_a_rule_reward(tmp_path, policy_dir, command):
    eval_prompts = write_prompts(tmp_path / "eval.jsonl")
    cfg = config(command, tmp_path, policy_dir, steps=16, eval_every=16, eval_prompts=str(eval_prompts), seed=0)
    summary, events = run_api(cfg, Scorers(reward=share_of("good")))
    check_events(events, 16)
    reward = series(events, "train/rewards/helpful/mean")
    assert len(reward) == 16 and summary["steps"] == 16 and not summary["interrupted"]
    first, last = sum(reward[:4]) / 4, sum(reward[-4:]) / 4
    assert last > first + 0.2, reward
    assert series(events, "train/reward_helpful") == pytest.approx(reward)
    assert len(series(events, "train/kl")) == 16 and len(series(events, "train/refusal_rate")) == 16
    # Held-out: before training and at the end, with the reward and the refusal rates.
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 16]
    assert {"reward", "rewards/helpful/mean", "refusal_rate", "over_refusal_rate", "refusal_rate_disallowed"} <= set(evals[0])
    assert evals[-1]["reward"] > evals[0]["reward"]
    assert summary["final_eval"]["reward"] == evals[-1]["reward"] and summary["last_train"]["rewards/helpful/mean"] == reward[-1]
    out = Path(cfg.output_dir)
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [16]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "model"]
    assert json.loads((out / "model" / SUMMARY_FILE).read_text())["steps"] == 16
    print(f"{command} (seed 0): rule reward {first:.3f} over steps 1-4, {last:.3f} over steps 13-16", file=sys.stderr)


def test_sigterm_leaves_a_checkpoint_and_the_rerun_resumes_at_its_step_with_lambda(tmp_path, policy_dir):
    kw = dict(steps=8, safety_mode="lagrangian", safety_model="(rule)", lagrangian_lr=0.5, cost_limit=-1.0, keep_checkpoints=1)
    scorers = Scorers(reward=contains("sure"), cost=cost)
    cfg = config("grpo", tmp_path / "a", policy_dir, **kw)
    summary, events = run_api(cfg, scorers, stop_at=3)
    check_events(events, 8)
    # The flag is seen at the end of the next step: step 4 is saved and the run ends there.
    assert summary["interrupted"] and summary["steps"] == 4 and summary["checkpoint"] == str(Path(cfg.output_dir) / "checkpoints" / "step-4")
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [4]
    lambdas = series(events, "train/lambda")
    assert len(lambdas) == 4 and summary["lambda"] == pytest.approx(lambdas[-1])
    state = json.loads((Path(cfg.output_dir) / "checkpoints" / "step-4" / "state.json").read_text())
    assert math.exp(state["log_lambda"]) == pytest.approx(lambdas[-1])
    assert not (Path(cfg.output_dir) / "model").exists()

    summary, resumed = run_api(cfg, scorers)
    assert not summary["interrupted"] and summary["steps"] == 8
    assert sorted({e["step"] for e in resumed if e["event"] == "metric"}) == [5, 6, 7, 8]
    assert [p.name for p in (Path(cfg.output_dir) / "checkpoints").iterdir()] == ["step-8"]
    # The same run without the stop: the resumed steps repeat its λ (weights, optimizer, data order, RNG and λ restored).
    _, whole = run_api(config("grpo", tmp_path / "b", policy_dir, **kw), scorers)
    assert series(resumed, "train/lambda") == pytest.approx(series(whole, "train/lambda")[4:], rel=1e-5)
    assert series(resumed, "train/cost") == pytest.approx(series(whole, "train/cost")[4:])


# --------------------------------------------------------------------------- the command line


def _reward_model(path):
    enc = make_tiny_encoder(path / "enc", WORDS)
    return RewardModel.from_backbone(str(enc)).save(path / "rm", word_tokenizer(WORDS))


def _events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_cli_trains_rloo_with_a_reward_model_and_the_refusal_rule_and_lora(tmp_path, policy_dir, capsys):
    out = tmp_path / "out"
    args = ["rloo", "--policy", str(policy_dir), "--reward-model", str(_reward_model(tmp_path)), "--prompts", str(write_prompts(tmp_path / "p.jsonl")),
            "--output-dir", str(out), "--steps", "2", "--batch-size", "2", "--num-generations", "2", "--max-new-tokens", "4", "--lr", "0.01",
            "--refusal-weight", "0.5", "--lora-r", "4", "--checkpoint-every", "1", "--device", "cpu"]
    assert cli.main(args) == 0
    events = _events(capsys)
    check_events(events, 2)
    done = events[-1]
    assert done["event"] == "done" and done["command"] == "rloo" and done["steps"] == 2 and done["generation"] == "transformers"
    assert done["safety_mode"] == "none" and done["prompts"] == 4 and done["long_prompts_dropped"] == 0
    for name in ("train/rewards/helpful/mean", "train/rewards/refusal/mean", "train/reward", "train/loss"):
        assert len(series(events, name)) == 2, name
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [1, 2]
    files = {p.name for p in (out / "model").iterdir()}
    assert "config.json" in files and "adapter_config.json" not in files
    base, tuned = load_causal_lm(policy_dir).state_dict(), load_causal_lm(out / "model").state_dict()
    assert base.keys() == tuned.keys() and any(not torch.equal(base[k], tuned[k]) for k in base)


@pytest.mark.parametrize(("flags", "message"), [
    (["--loss-type", "ppo"], "loss_type must be one of"),
    (["--loss-type", "luspo"], "needs importance_sampling_level sequence"),
    (["--num-generations", "1"], "num_generations must be >= 2"),
    (["--safety-mode", "lagrangian"], "needs --safety-model"),
    (["--use-vllm", "yes"], "use_vllm yes: the vllm package is not installed"),
    (["--max-prompt-length", "3"], "longer than max_prompt_length"),
    (["--refusal-weight", "0"], "nothing to reward"),
])
def test_bad_options_are_an_error_event_and_write_nothing(tmp_path, policy_dir, capsys, flags, message):
    args = ["grpo", "--policy", str(policy_dir), "--prompts", str(write_prompts(tmp_path / "p.jsonl")), "--output-dir", str(tmp_path / "out"),
            "--device", "cpu", "--refusal-weight", "1", *flags]
    assert cli.main(args) == 2
    assert message in _events(capsys)[-1]["message"]
    assert not (tmp_path / "out").exists()
