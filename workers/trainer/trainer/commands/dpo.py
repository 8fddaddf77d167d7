"""Direct preference optimisation (DPO) of a causal LM on a `pairs` or `rankings` snapshot, run by
TRL's DPOTrainer: our data in, TRL's trainer, our events out (trl_bridge.py).

Rankings give every pair the record carries (RankingRecord.pairs); pairs files one pair a record.
The reference is `ref_model`, else the initial policy (with LoRA: the policy with its adapters off,
as TRL does). `loss_type` is any of TRL's DPO losses; `rpo_alpha` adds RPO's SFT term (TRL's `sft`
loss on the chosen responses, with that weight).

Strength: TRL 1.16's DPOTrainer has no per-pair margin or weight. `strength: weight` multiplies each
pair's loss by 0.5 + margin/2 (the labelled strength on 0–1: negligible 0.5 … strong 1). TRL
averages the pairs' losses inside its loss function, so a minimal subclass applies the weight to
the gradient: each pair's chosen and rejected log-probs pass their gradient on times the pair's
weight, which is the gradient of mean(weight × pair loss) for every loss type made of per-pair
terms (RPO's SFT term is weighted per token of the chosen response). `aot` and `aot_unpaired` sort
the batch and take no weights. `train/loss` is TRL's unweighted loss. `unsafe_chosen_weight` is
applied the same way. Safety options (drop or down-weight unsafe chosen responses, refusal pairs
on disallowed prompts): see preferences.py; the summary counts what each changed.

Held out: the prompts `split` names (as the reward model holds them out), or `eval_data`, with the
same options applied. `eval` events (before training, every `eval_every` steps and at the end)
carry TRL's held-out metrics and `accuracy` (rewards/accuracies: the share of pairs whose implicit
reward β·log(π/π_ref) is higher for the chosen response; 0 before training, when every reward is
0), `margin` (rewards/margins, the mean reward difference) and `pairs`, every pair counting alike
(TRL averages the batches' means; the subclass weighs each batch by its pairs). Checkpoints and
the final policy are plain Hugging Face folders (LoRA merged, tokenizer included) in `model/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset
from trl import DPOConfig, DPOTrainer
from trl.trainer.dpo_trainer import DataCollatorForPreference

from ..base_config import BATCH, SPLIT_NAME, PolicyConfig
from ..context import RunContext
from ..errors import TrainerError
from ..loop import finished_summary, log
from ..options import opt
from ..policy import lora_config
from ..preferences import STRENGTHS, Pair, preference_pairs, read_judgements
from ..split import train_and_held_out
from ..trl_bridge import EventsCallback, WholeEvalSet, begin, policy_tokenizer, train, training_arguments, trl_row

# TRL 1.16's DPO loss types (DPOConfig.loss_type); a test checks the list against TRL's.
LOSS_TYPES = ("sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot", "aot_unpaired",
              "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm")
# Losses that sort the batch: a per-pair weight would land on another pair.
UNWEIGHTABLE = ("aot", "aot_unpaired")
WEIGHT = "weight"


@dataclass(kw_only=True)
class Config(PolicyConfig):
    data: str = opt(role="input")  # snapshot file (JSON lines): pairs or rankings
    model: str = opt(role="input")  # local causal LM folder (config, weights, tokenizer): the policy to train
    # local causal LM folder of the frozen reference, with the policy's tokenizer (default: the
    # initial policy; with LoRA, the policy with its adapters off)
    ref_model: str | None = opt(None, role="input")
    # auto | rankings | pairs (auto: "responses" in the first record → rankings, "chosen" → pairs)
    format: str = opt("auto", choices=("auto", "rankings", "pairs"), role="input")
    # TRL's DPO loss: sigmoid | hinge | ipo | exo_pair | nca_pair | robust | bco_pair | sppo_hard | aot |
    # aot_unpaired | apo_zero | apo_down | discopop | sft | sigmoid_norm
    loss_type: str = opt("sigmoid", choices=LOSS_TYPES)
    beta: float = opt(0.1, gt=0)  # how closely the policy stays to the reference (the implicit reward's scale; IPO's τ)
    label_smoothing: float = opt(0.0, ge=0, lt=0.5)  # share of labels assumed flipped (robust, exo_pair, aot); below 0.5
    rpo_alpha: float = opt(0.0, ge=0)  # weight of RPO's SFT term (NLL of the chosen responses) added to the loss; 0 = none
    strength: str = opt("none", choices=STRENGTHS)  # none | weight: multiply each pair's loss by 0.5 + margin/2 (its labelled strength, 0–1)
    drop_unsafe_chosen: bool = False  # drop pairs whose chosen response annotators rubric'd C (disallowed content)
    unsafe_chosen_weight: float = opt(1.0, gt=0, le=1)  # multiply the loss of pairs whose chosen response is rubric C by this (0–1; 1 = as any pair)
    refusal_pairs: bool = False  # on disallowed prompts, add pairs preferring each A response (a refusal) over each C response of the same judgement
    eval_fraction: float = opt(0.1, ge=0, lt=1)  # share of prompts held out (by prompt, see `split`); 0 = no eval
    split: str | None = opt(None, **SPLIT_NAME)  # names the held-out split: the same name holds out the same prompts in every snapshot (default "seed-<seed>")
    batch_size: int = opt(8, **BATCH)  # pairs per optimizer step (global, over all ranks)
    lr: float = 1e-6
    eval_batch_size: int = 16  # pairs per forward when evaluating (two sequences each)
    max_length: int = 1024  # tokens of prompt + response; longer ones are cut at the end, and pairs whose prompt alone fills it are dropped

    def validate(self) -> None:
        super().validate()
        if self.loss_type == "exo_pair" and self.label_smoothing == 0:
            raise TrainerError("loss_type exo_pair needs label_smoothing > 0 (the EXO paper uses 1e-3)")
        if self.loss_type == "sft" and self.rpo_alpha > 0:
            raise TrainerError("rpo_alpha adds an SFT term to a preference loss; loss_type sft is that term alone")
        if self.drop_unsafe_chosen and self.unsafe_chosen_weight != 1:
            raise TrainerError("set drop_unsafe_chosen or unsafe_chosen_weight, not both")
        if self.loss_type in UNWEIGHTABLE and (self.strength == "weight" or self.unsafe_chosen_weight != 1):
            raise TrainerError(f"loss_type {self.loss_type} sorts the batch, so pairs cannot be weighted: use strength none and unsafe_chosen_weight 1")


# --------------------------------------------------------------------------- per-pair weights on TRL


@dataclass
class WeightedPreferenceCollator(DataCollatorForPreference):
    """TRL's collator, with the pairs' weights as `weight` when the examples have them."""

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = super().torch_call(examples)
        if WEIGHT in examples[0]:
            batch[WEIGHT] = torch.tensor([float(e[WEIGHT]) for e in examples])
        return batch


class WeightedDPOTrainer(WholeEvalSet, DPOTrainer):
    """TRL's DPOTrainer; a batch's `weight` scales the gradient each pair passes through its chosen
    and rejected log-probs (the module docstring says why there), and the held-out metrics count
    every pair alike."""

    def eval_batch_size(self, inputs: dict[str, Any]) -> int:
        return int(inputs["input_ids"].shape[0]) // 2  # the batch is [chosen; rejected]

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        if WEIGHT not in self._signature_columns:
            self._signature_columns.append(WEIGHT)

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None) -> Any:
        inputs = dict(inputs)
        weight = inputs.pop(WEIGHT, None)
        if weight is None or not torch.is_grad_enabled():
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        rows = torch.cat([weight, weight])[:, None]  # the batch is [chosen; rejected]

        def scale(_module: Any, _args: Any, output: Any) -> None:
            # The reference's forward runs without gradients and is left alone.
            if output.log_probs.requires_grad:
                output.log_probs.register_hook(lambda grad: grad * rows.to(grad))

        handle = self.accelerator.unwrap_model(model).register_forward_hook(scale)
        try:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        finally:
            handle.remove()


def preference_dataset(pairs: list[Pair], tokenizer: Any, weighted: bool) -> Any:
    """The pairs as TRL's preference dataset, with their weights when `weighted`."""
    rows = [trl_row(tokenizer, p.prompt, chosen=p.chosen, rejected=p.rejected) | ({WEIGHT: p.weight} if weighted else {}) for p in pairs]
    return Dataset.from_list(rows)


# --------------------------------------------------------------------------- the command


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    # Every input is read and checked before anything is written.
    pairs, counts = preference_pairs(read_judgements(cfg.data, cfg.format), cfg)

    def read_eval(path: str) -> list[Pair]:
        held, more = preference_pairs(read_judgements(path, cfg.format), cfg)
        for k, v in more.items():
            counts[k] += v
        return held

    train_pairs, held_pairs = train_and_held_out(pairs, cfg, read_eval)
    if not train_pairs:
        raise TrainerError(f"{cfg.data} leaves no preference pair to train on")
    tokenizer = policy_tokenizer(cfg, "DPO")
    done = finished_summary(ctx.output_dir)
    if done is not None:
        return done

    model, ref, latest, saved = begin(cfg, ctx)
    losses, loss_weights = [cfg.loss_type], [1.0]
    if cfg.rpo_alpha > 0:
        losses, loss_weights = [cfg.loss_type, "sft"], [1.0, cfg.rpo_alpha]
    args = DPOConfig(**training_arguments(cfg, ctx, bool(held_pairs), cfg.max_steps, cfg.epochs), beta=cfg.beta, loss_type=losses, loss_weights=loss_weights,
                     label_smoothing=cfg.label_smoothing, max_length=cfg.max_length)
    callback = EventsCallback(ctx, saved, eval_aliases={"accuracy": "rewards/accuracies", "margin": "rewards/margins"})
    trainer = WeightedDPOTrainer(
        model=model,
        ref_model=ref,
        args=args,
        data_collator=WeightedPreferenceCollator(pad_token_id=tokenizer.pad_token_id, max_length=cfg.max_length),
        train_dataset=preference_dataset(train_pairs, tokenizer, weighted=any(p.weight != 1.0 for p in train_pairs)),
        eval_dataset=preference_dataset(held_pairs, tokenizer, weighted=False) if held_pairs else None,
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout) if cfg.lora_r > 0 else None,
        callbacks=[callback],
    )
    n_train, n_eval = len(trainer.train_dataset), len(trainer.eval_dataset) if held_pairs else 0
    counts |= {"train_pairs": n_train, "eval_pairs": n_eval, "truncated_pairs_dropped": len(train_pairs) + len(held_pairs) - n_train - n_eval}
    callback.eval_counts = {"pairs": n_eval}
    log(f"dpo: {n_train} train / {n_eval} held-out pairs, loss {'+'.join(losses)}, beta {cfg.beta}")
    return train(trainer, ctx, callback, latest, tokenizer, counts, final_results=("margin",))
