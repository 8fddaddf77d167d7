"""Kahneman–Tversky optimisation (KTO) of a causal LM on responses labelled desirable or undesirable
one by one, run by TRL's KTOTrainer: our data in, TRL's trainer, our events out (trl_bridge.py).

Reads a `kto` snapshot (`{"id", "prompt", "completion": [assistant turn], "label": true|false,
"safety"?, "source"?, "meta"?}`, one labelled response a record), or a `rankings` or `pairs`
snapshot, labelled by the platform's mapping (unpaired.py), the first rule that applies deciding:
rubric C → undesirable; a refusal (rubric A or B) on an allowed prompt → undesirable; an imported
thumbs up or down (a rankings response's `label`) → that label; the top rank group → desirable;
the bottom one → undesirable; other responses give no record. From pairs, one record per distinct
response of a prompt: only ever chosen → desirable, only ever rejected → undesirable (the same
rubric rules first). The summary counts the responses each rule labelled (`labels_by_rule`).

The reference is `ref_model`, else the initial policy (with LoRA: the policy with its adapters off).
`loss_type` is TRL's: `kto` compares each response's implicit reward β·log(π/π_ref) with a KL
estimate from mismatched prompt–response pairs of its batch (so at least 2 responses per rank and
step); `apo_zero_unpaired` has no KL term. TRL keeps the data order for that estimate, so the
training records are shuffled once, with the seed (every epoch then sees the same batches).
`desirable_weight` and `undesirable_weight` weigh the two kinds of response; `balance` sets them
from the training counts so that desirable_weight·n_desirable / (undesirable_weight·n_undesirable)
is 7/6, inside the [1, 4/3] the KTO paper recommends (the smaller side weighed up; 1 and 1 where
the counts are in range already); the summary reports the weights used.

Held out: the prompts `split` names (as every command holds them out), or `eval_data`. `eval` events
(before training, every `eval_every` steps and at the end) carry TRL's held-out metrics — `loss`,
`kl` (its KL estimate), `rewards/chosen` and `rewards/rejected` (the mean implicit reward of
desirable and undesirable responses), `margin` (their difference) — and `accuracy`: over every
(desirable, undesirable) pair of responses to the same held-out prompt, the share in which the
desirable one has the higher implicit reward (0 before training, when every reward is 0);
`accuracy_pairs` and `accuracy_prompts` are its n. The rewards and accuracy come from one more
scoring of every held-out response under the policy and the reference, so every response counts
alike (TRL averages its batches' means). Checkpoints and the final policy are plain Hugging Face
folders (LoRA merged, tokenizer included) in `model/`.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from accelerate.utils import gather_object, is_peft_model
from datasets import Dataset
from trl import KTOConfig, KTOTrainer
from trl.models.utils import disable_gradient_checkpointing
from trl.trainer.kto_trainer import DataCollatorForUnpairedPreference
from trl.trainer.utils import use_adapter

from ..base_config import SPLIT_NAME, PolicyConfig
from ..context import RunContext
from ..errors import TrainerError
from ..loop import finished_summary, log
from ..options import opt
from ..policy import lora_config
from ..split import train_and_held_out
from ..trl_bridge import EventsCallback, WholeEvalSet, begin, policy_tokenizer, train, training_arguments, trl_row
from ..unpaired import LAYOUTS, Labelled, read_labelled

# TRL 1.16's KTO loss types (KTOConfig.loss_type); a test checks the list against TRL's.
LOSS_TYPES = ("kto", "apo_zero_unpaired")
# desirable_weight·n_D / (undesirable_weight·n_U) that `balance` aims at: the middle of the KTO
# paper's [1, 4/3], clear of TRL's rounded bounds.
BALANCE_RATIO = 7 / 6
# The held-out prompt a response belongs to (a column of the held-out dataset only).
PROMPT = "held_out_prompt"


@dataclass(kw_only=True)
class Config(PolicyConfig):
    data: str = opt(role="input")  # snapshot file (JSON lines): kto, rankings or pairs
    model: str = opt(role="input")  # local causal LM folder (config, weights, tokenizer): the policy to train
    # local causal LM folder of the frozen reference, with the policy's tokenizer (default: the
    # initial policy; with LoRA, the policy with its adapters off)
    ref_model: str | None = opt(None, role="input")
    # auto | kto | rankings | pairs (auto: "label" in the first record → kto, "responses" → rankings, "chosen" → pairs)
    format: str = opt("auto", choices=("auto", *LAYOUTS), role="input")
    # TRL's KTO loss: kto (against a KL estimate from mismatched pairs of the batch) | apo_zero_unpaired (APO-zero, no KL term)
    loss_type: str = opt("kto", choices=LOSS_TYPES)
    beta: float = opt(0.1, gt=0)  # how closely the policy stays to the reference (the implicit reward's scale)
    desirable_weight: float = opt(1.0, gt=0, le=1000)  # multiplies the loss of desirable responses
    undesirable_weight: float = opt(1.0, gt=0, le=1000)  # multiplies the loss of undesirable responses
    # set both weights from the training counts: desirable_weight·n_desirable / (undesirable_weight·n_undesirable) = 7/6,
    # inside the KTO paper's [1, 4/3] (the smaller side weighed up)
    balance: bool = False
    eval_fraction: float = opt(0.1, ge=0, lt=1)  # share of prompts held out (by prompt, see `split`); 0 = no eval
    split: str | None = opt(None, **SPLIT_NAME)  # names the held-out split: the same name holds out the same prompts in every snapshot (default "seed-<seed>")
    # responses per optimizer step (global, over all ranks); kto needs at least 2 per rank for its KL estimate
    batch_size: int = opt(8, ge=2, le=65_536)
    lr: float = 1e-6
    eval_batch_size: int = 16  # responses per forward when evaluating
    max_length: int = 1024  # tokens of prompt + response; longer ones are cut at the end, and responses whose prompt alone fills it are dropped

    def validate(self) -> None:
        super().validate()
        if self.balance and (self.desirable_weight != 1 or self.undesirable_weight != 1):
            raise TrainerError("set balance or desirable_weight/undesirable_weight, not both")


def balanced_weights(desirable: int, undesirable: int) -> tuple[float, float]:
    """(desirable_weight, undesirable_weight) that put desirable_weight·desirable /
    (undesirable_weight·undesirable) in the KTO paper's [1, 4/3]: 1 and 1 where the counts are in
    it already, else the smaller side weighed up to the ratio 7/6."""
    if desirable == 0 or undesirable == 0:
        raise TrainerError(f"balance needs desirable and undesirable responses to train on; there are {desirable} and {undesirable}")
    ratio = desirable / undesirable
    if 1 <= ratio <= 4 / 3:
        return 1.0, 1.0
    if ratio < 1:
        return BALANCE_RATIO / ratio, 1.0
    return 1.0, ratio / BALANCE_RATIO


def preference_accuracy(prompts: list[int], labels: list[bool], rewards: list[float]) -> tuple[float | None, int, int]:
    """(share, pairs, prompts): over every (desirable, undesirable) pair of responses to the same
    prompt, the share in which the desirable one has the higher reward (None without a pair)."""
    by_prompt: dict[int, tuple[list[float], list[float]]] = {}
    for prompt, label, reward in zip(prompts, labels, rewards):
        by_prompt.setdefault(prompt, ([], []))[0 if label else 1].append(reward)
    won = pairs = scored = 0
    for desirable, undesirable in by_prompt.values():
        if desirable and undesirable:
            scored += 1
            pairs += len(desirable) * len(undesirable)
            won += sum(d > u for d in desirable for u in undesirable)
    return (won / pairs if pairs else None), pairs, scored


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def held_out_scores(prompts: list[int], labels: list[bool], logps: list[float], rewards: list[float]) -> dict[str, float]:
    """The held-out metrics every response counts in alike, under TRL's names, and `accuracy`."""
    scores: dict[str, float] = {}
    for name, wanted in (("chosen", True), ("rejected", False)):
        picked = [i for i, label in enumerate(labels) if label == wanted]
        if picked:
            scores[f"rewards/{name}"] = _mean([rewards[i] for i in picked])
            scores[f"logps/{name}"] = _mean([logps[i] for i in picked])
    if "rewards/chosen" in scores and "rewards/rejected" in scores:
        scores["rewards/margins"] = scores["rewards/chosen"] - scores["rewards/rejected"]
    accuracy = preference_accuracy(prompts, labels, rewards)[0]
    if accuracy is not None:
        scores["accuracy"] = accuracy
    return scores


def _completion_logps(model: Any, batch: dict[str, Any]) -> torch.Tensor:
    """log π(completion | prompt) of each row, as TRL's KTO scores it (its fused LM head)."""
    labels = batch["input_ids"].masked_fill(batch["completion_mask"] == 0, -100)
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels, fused_lm_head=True)
    return out.log_probs[:, -(batch["input_ids"].size(1) - 1) :].sum(-1)


class HeldOutKTOTrainer(WholeEvalSet, KTOTrainer):
    """TRL's KTOTrainer whose evaluations also score every held-out response under the policy and
    the reference: exact means of the rewards and log-probs (they replace TRL's means of batch
    means) and the held-out preference accuracy. The other held-out metrics count each batch by
    its size (WholeEvalSet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scores: dict[str, float] | None = None
        super().__init__(*args, **kwargs)

    def evaluate(self, eval_dataset: Any = None, ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval") -> dict[str, float]:
        if eval_dataset is None and self.eval_dataset is not None:
            self._scores = self._score(self.eval_dataset)
        return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        scores, self._scores = self._scores, None
        if scores is not None and not self.model.training:
            for key, value in scores.items():
                self._metrics["eval"][key] = [value]
        super().log(logs, start_time)

    @contextlib.contextmanager
    def _reference(self) -> Iterator[Any]:
        if self.ref_model is not None:
            yield self.ref_model
            return
        # LoRA without a reference model: the policy with its adapters off, as TRL scores it.
        unwrapped = self.accelerator.unwrap_model(self.model)
        if not is_peft_model(unwrapped):
            raise TrainerError("the held-out scores need a reference model")
        with use_adapter(unwrapped, adapter_name="ref" if "ref" in unwrapped.peft_config else None):
            yield self.model

    def _score(self, dataset: Dataset) -> dict[str, float]:
        """Every rank scores its share of the held-out responses; all of them get every score."""
        collate = DataCollatorForUnpairedPreference(pad_token_id=self._tokenizer.pad_token_id, max_length=self.args.max_length)
        rows = dataset.select_columns(["prompt_ids", "completion_ids", "label"]).to_list()
        mine = list(range(self.accelerator.process_index, len(rows), self.accelerator.num_processes))
        size = self.args.per_device_eval_batch_size
        scored: dict[int, tuple[float, float]] = {}
        training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(mine), size):
                index = mine[start : start + size]
                batch = {k: v.to(self.accelerator.device) for k, v in collate([rows[i] for i in index]).items()}
                with torch.no_grad(), self.accelerator.autocast(), disable_gradient_checkpointing(self.model, self.args.gradient_checkpointing_kwargs):
                    logps = _completion_logps(self.model, batch).float()
                    with self._reference() as ref:
                        ref_logps = _completion_logps(ref, batch).float()
                scored.update(zip(index, zip(logps.tolist(), (self.beta * (logps - ref_logps)).tolist())))
        finally:
            self.model.train(training)
        merged = {i: v for part in gather_object([scored]) for i, v in part.items()}
        logps_all, rewards = [merged[i][0] for i in range(len(rows))], [merged[i][1] for i in range(len(rows))]
        return held_out_scores(list(dataset[PROMPT]), [r["label"] for r in rows], logps_all, rewards)


def unpaired_dataset(records: list[Labelled], tokenizer: Any, held_out: bool = False) -> Dataset:
    """The records as TRL's unpaired preference dataset; a held-out one also numbers each record's prompt."""
    prompts: dict[str, int] = {}
    rows = [trl_row(tokenizer, r.prompt, completion=r.completion) | {"label": r.label} for r in records]
    if held_out:
        for row, r in zip(rows, records):
            row[PROMPT] = prompts.setdefault(r.key, len(prompts))
    return Dataset.from_list(rows)


def _label_counts(dataset: Dataset | None, side: str) -> dict[str, int]:
    labels = list(dataset["label"]) if dataset is not None else []
    return {f"{side}_examples": len(labels), f"{side}_desirable": sum(labels), f"{side}_undesirable": len(labels) - sum(labels)}


# --------------------------------------------------------------------------- the command


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    # Every input is read and checked before anything is written.
    records, rules = read_labelled(cfg.data, cfg.format)

    def read_eval(path: str) -> list[Labelled]:
        held, more = read_labelled(path, cfg.format)
        rules.update(more)
        return held

    train_records, held_records = train_and_held_out(records, cfg, read_eval)
    if not train_records:
        raise TrainerError(f"{cfg.data} leaves no labelled response to train on")
    ranks = ctx.runtime.world_size
    if cfg.loss_type == "kto" and cfg.batch_size // ranks < 2:
        raise TrainerError(f"loss_type kto needs 2 responses per rank and step for its KL estimate: batch_size {cfg.batch_size} over {ranks} ranks")
    desirable = sum(r.label for r in train_records)
    weights = balanced_weights(desirable, len(train_records) - desirable) if cfg.balance else (cfg.desirable_weight, cfg.undesirable_weight)
    tokenizer = policy_tokenizer(cfg, "KTO")
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done

    model, ref, latest, saved = begin(cfg, ctx)
    # The KL estimate pairs each response with its neighbour's prompt, so TRL keeps the order: shuffle it here.
    random.Random(cfg.seed).shuffle(train_records)
    args = KTOConfig(**training_arguments(cfg, ctx, bool(held_records), cfg.max_steps, cfg.epochs), beta=cfg.beta, loss_type=cfg.loss_type,
                     desirable_weight=weights[0], undesirable_weight=weights[1], max_length=cfg.max_length)
    callback = EventsCallback(ctx, saved, eval_aliases={"margin": "rewards/margins"})
    trainer = HeldOutKTOTrainer(
        model=model,
        ref_model=ref,
        args=args,
        train_dataset=unpaired_dataset(train_records, tokenizer),
        eval_dataset=unpaired_dataset(held_records, tokenizer, held_out=True) if held_records else None,
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout) if cfg.lora_r > 0 else None,
        callbacks=[callback],
    )
    held = trainer.eval_dataset if held_records else None
    counts: dict[str, Any] = {**_label_counts(trainer.train_dataset, "train"), **_label_counts(held, "eval")}
    counts["truncated_examples_dropped"] = len(train_records) + len(held_records) - counts["train_examples"] - counts["eval_examples"]
    _, pairs, prompts = preference_accuracy(list(held[PROMPT]), list(held["label"]), [0.0] * len(held)) if held is not None else (None, 0, 0)
    callback.eval_counts = {"examples": counts["eval_examples"], "accuracy_pairs": pairs, "accuracy_prompts": prompts}
    counts |= {"labels_by_rule": dict(rules), "desirable_weight": weights[0], "undesirable_weight": weights[1],
               "accuracy_pairs": pairs, "accuracy_prompts": prompts}
    log(f"kto: {counts['train_desirable']} desirable / {counts['train_undesirable']} undesirable training responses, "
        f"{counts['eval_examples']} held out ({pairs} pairs for accuracy), loss {cfg.loss_type}, beta {cfg.beta}, "
        f"weights {weights[0]:.4g} / {weights[1]:.4g}")
    return train(trainer, ctx, callback, latest, tokenizer, counts, final_results=("margin", "kl"))
