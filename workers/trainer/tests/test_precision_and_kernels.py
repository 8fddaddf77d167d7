"""What the GPU path chooses, checked on the CPU: bf16 autocast, the attention kernel, torch.compile
and the AdamW implementation."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file
from test_reward_command import ENV, TRAINER_DIR, WORDS, pairs, write_jsonl
from transformers import BertModel, LlamaModel

from trainer.errors import TrainerError
from trainer.loop import make_optimizer
from trainer.policy import load_causal_lm
from trainer.reward_model import RewardModel, load_backbone
from trainer.runtime import attention_for, make_runtime
from trainer.tiny import make_tiny_causal_lm


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("kernels") / "llama", WORDS)


def _bt_step(model, rt):
    """One Bradley–Terry step on two fixed pairs (left-padded rows): the loss and the trained model's optimizer."""
    ids = torch.tensor([[2, 20, 30, 31, 3], [0, 2, 21, 32, 3], [2, 22, 33, 34, 3], [0, 0, 2, 23, 3]])
    mask = (ids != 0).long()
    opt = make_optimizer(model, 1e-3)
    with rt.autocast():
        scores = model(ids, mask)
    loss = -torch.nn.functional.logsigmoid(scores[0::2] - scores[1::2]).mean()
    loss.backward()
    opt.step()
    return loss, scores, opt


def test_bf16_autocast_keeps_weights_scores_loss_and_adam_state_in_fp32(llama):
    rt = make_runtime("cpu", "bf16")
    torch.manual_seed(0)
    model = RewardModel(load_backbone(llama))
    seen = []
    model.backbone.layers[0].mlp.down_proj.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    loss, scores, opt = _bt_step(model, rt)
    assert seen == [torch.bfloat16], "the matmuls ran in bf16"
    assert scores.dtype == torch.float32 and loss.dtype == torch.float32
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    moments = [s[k] for s in opt.state.values() for k in ("exp_avg", "exp_avg_sq")]
    assert moments and {m.dtype for m in moments} == {torch.float32}


def test_bf16_on_the_cpu_trains_a_reward_model_that_still_learns(tmp_path, llama):
    train, held_out = write_jsonl(tmp_path / "pairs.jsonl", pairs(160, 2)), write_jsonl(tmp_path / "eval.jsonl", pairs(40, 3))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "reward", "--data", str(train), "--eval-data", str(held_out), "--model", str(llama),
         "--output-dir", str(out), "--device", "cpu", "--precision", "bf16", "--epochs", "3", "--batch-size", "8", "--lr", "1e-3",
         "--eval-every", "20", "--max-length", "64", "--early-stopping-patience", "0"],
        cwd=TRAINER_DIR, env=ENV, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    losses = [e["value"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5, "the training loss went down"
    assert events[-1]["event"] == "done" and events[-1]["best_eval_accuracy"] > 0.8, "held-out accuracy well above chance (0.5)"
    saved = load_file(str(out / "model" / "model.safetensors"))
    assert {t.dtype for t in saved.values()} == {torch.float32}, "the exported weights are the fp32 master weights"


def test_sdpa_and_eager_attention_give_the_same_logits_on_a_tiny_llama(llama):
    ids = torch.tensor([[0, 0, 2, 20, 30, 31], [2, 21, 32, 33, 34, 3]])
    mask = (ids != 0).long()
    logits = {}
    for kernel in ("sdpa", "eager"):
        model = load_causal_lm(llama, attention=kernel).eval()
        assert model.config._attn_implementation == kernel
        with torch.no_grad():
            logits[kernel] = model(input_ids=ids, attention_mask=mask).logits
    real = mask.bool()
    torch.testing.assert_close(logits["sdpa"][real], logits["eager"][real], atol=1e-5, rtol=1e-5)


def test_auto_attention_is_sdpa_where_the_model_has_it_and_flash_needs_a_gpu():
    assert attention_for("auto", LlamaModel, cuda=False) == "sdpa"
    assert attention_for("auto", BertModel, cuda=False) == "sdpa"

    class NoSdpa:
        _supports_sdpa = False

    assert attention_for("auto", NoSdpa, cuda=False) == "eager"
    assert attention_for("eager", LlamaModel, cuda=False) == "eager"
    with pytest.raises(TrainerError, match="flash_attention_2 needs the flash_attn package and a GPU"):
        attention_for("flash_attention_2", LlamaModel, cuda=False)
    with pytest.raises(TrainerError, match="NoSdpa has no SDPA attention"):
        attention_for("sdpa", NoSdpa, cuda=False)


def test_adamw_is_the_foreach_implementation_on_the_cpu(llama):
    opt = make_optimizer(RewardModel(load_backbone(llama)), 1e-3)
    assert opt.defaults["foreach"] is True and not opt.defaults["fused"]


def test_a_compiled_reward_step_gives_the_loss_of_an_eager_one(llama):
    # Inductor compiles C++ kernels for the CPU here: about a minute on two busy cores.
    results = []
    for compile in (False, True):
        rt = make_runtime("cpu", "fp32", compile=compile)
        torch.manual_seed(0)
        model = RewardModel(load_backbone(llama))
        rt.compiled(model.backbone)
        loss, scores, _ = _bt_step(model, rt)
        results.append((loss.detach(), scores.detach(), model.head.weight.detach().clone()))
    (loss_e, scores_e, head_e), (loss_c, scores_c, head_c) = results
    torch.testing.assert_close(loss_c, loss_e, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores_c, scores_e, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(head_c, head_e, atol=1e-6, rtol=1e-5)
    assert "_orig_mod" not in "".join(model.state_dict()), "compiled in place: checkpoints keep their keys"
