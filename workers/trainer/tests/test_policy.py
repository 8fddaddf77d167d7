import pytest
import torch

from trainer.batching import collate
from trainer.policy import (
    PolicyWithValue,
    Reference,
    TrainableState,
    export_policy,
    generate,
    is_refusal,
    load_causal_lm,
    load_policy,
    load_policy_tokenizer,
    sequence_logprobs,
)
from trainer.tiny import make_tiny_causal_lm

WORDS = ["red", "green", "blue", "cat", "dog", "sure", "sorry", "good", "bad"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("policy") / "m", WORDS, seed=1)


def _batch(rows, pad, side):
    """rows: (prompt ids, response ids) → input_ids, attention_mask, response_mask."""
    full = [p + r for p, r in rows]
    b = collate(full, pad, padding_side=side)
    resp = torch.zeros_like(b["attention_mask"])
    width = b["input_ids"].shape[1]
    for i, (p, r) in enumerate(rows):
        start = (width - len(p) - len(r) if side == "left" else 0) + len(p)
        resp[i, start : start + len(r)] = 1
    return b["input_ids"], b["attention_mask"], resp


def _response_values(x, mask):
    return [x[i][mask[i].bool()] for i in range(x.shape[0])]


def test_logprobs_do_not_depend_on_padding_side_or_batch_mates(folder):
    model, tok = load_policy(folder)
    model.eval()
    ids = lambda s: tok(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    a = (ids("<s> user : red cat </s> <s> assistant :"), ids("sure good </s>"))
    b = (ids("<s> user : blue dog green green red cat dog </s> <s> assistant :"), ids("sorry"))
    c = (ids("<s> user : bad </s> <s> assistant :"), ids("dog cat red blue green </s>"))
    single = _batch([a], tok.pad_token_id, "left")
    alone = _response_values(sequence_logprobs(model, *single)[0], single[2])[0]
    for side in ("left", "right"):
        for rows in ([a, b, c], [c, a], [b, a]):
            input_ids, attention_mask, resp = _batch(rows, tok.pad_token_id, side)
            logprobs, entropy = sequence_logprobs(model, input_ids, attention_mask, resp)
            got = _response_values(logprobs, resp)[rows.index(a)]
            assert logprobs.dtype == torch.float32
            assert torch.allclose(got, alone, atol=1e-4), (side, got, alone)
            assert (logprobs[resp == 0] == 0).all() and (entropy[resp == 1] > 0).all()
    # Sanity: the log-probs are those of the full model's logits.
    input_ids, attention_mask, resp = _batch([a], tok.pad_token_id, "right")
    with torch.no_grad():
        logits = model(input_ids=input_ids).logits.float()
    ref = torch.log_softmax(logits[0, :-1], -1).gather(-1, input_ids[0, 1:, None]).squeeze(-1)[resp[0, 1:].bool()]
    assert torch.allclose(ref, alone, atol=1e-5)


def test_lora_reference_is_the_base_with_adapters_off(folder):
    torch.manual_seed(0)
    model, tok = load_policy(folder, lora_r=4)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.5)  # adapters that change the output
    base, _ = load_policy(folder)
    base.eval()
    model.eval()
    ids = lambda s: tok(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    rows = [(ids("<s> user : red cat </s> <s> assistant :"), ids("sure good </s>")), (ids("<s> user : dog </s> <s> assistant :"), ids("sorry"))]
    batch = _batch(rows, tok.pad_token_id, "left")
    ref = Reference(model)
    assert ref.copy is None  # no second copy of the weights with LoRA
    expected, _ = sequence_logprobs(base, *batch)
    assert torch.allclose(ref.logprobs(*batch), expected, atol=1e-5)
    with torch.no_grad():
        adapted, _ = sequence_logprobs(model, *batch)
    assert not torch.allclose(adapted, expected, atol=1e-3)
    # Checkpoints of a LoRA policy hold only the trainable tensors (adapters and value head).
    wrapped = PolicyWithValue(model)
    state = TrainableState(wrapped, only_trainable=True).state_dict()
    assert state and all("lora_" in k or k.startswith("value_head") for k in state)
    missing, unexpected = TrainableState(wrapped, only_trainable=True).load_state_dict(state)
    assert not missing and not unexpected


def _lora_with_trained_adapters(folder, seed=0):
    torch.manual_seed(seed)
    model, tok = load_policy(folder, lora_r=4)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.5)  # adapters that change the output
    return model, tok


def _logits(model, ids):
    model.eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits.float()


def test_lora_export_is_a_plain_merged_model_and_leaves_the_live_model_untouched(folder, tmp_path):
    model, tok = _lora_with_trained_adapters(folder)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = tok("<s> user : red cat </s> <s> assistant : sure", add_special_tokens=False)["input_ids"]
    live = _logits(model, ids)
    export_policy(model, tok, tmp_path / "m")
    # Bit for bit the same weights afterwards (no merge/unmerge round trip), still a LoRA model.
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert any("lora_A" in k for k in after)
    assert tok.padding_side == "left"
    plain = load_causal_lm(tmp_path / "m")
    assert not any("lora" in k for k in plain.state_dict())
    assert torch.allclose(_logits(plain, ids), live, atol=1e-5)
    # Tied embeddings survive the round trip, and it is what merge_and_unload would have written.
    assert plain.lm_head.weight.data_ptr() == plain.model.embed_tokens.weight.data_ptr()
    reference = model.merge_and_unload().state_dict()
    assert all(torch.equal(reference[k], v) for k, v in plain.state_dict().items())
    saved = load_policy_tokenizer(tmp_path / "m")
    assert saved("red cat")["input_ids"] == tok("red cat")["input_ids"]
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(str(tmp_path / "m")).padding_side == "right"


def test_full_model_export_round_trips(folder, tmp_path):
    model, tok = load_policy(folder)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    export_policy(model, tok, tmp_path / "m")
    plain = load_causal_lm(tmp_path / "m")
    assert all(torch.equal(model.state_dict()[k], v) for k, v in plain.state_dict().items())


def test_frozen_copy_reference_without_lora(folder):
    model, tok = load_policy(folder)
    ref = Reference(model)
    assert ref.copy is not None and not any(p.requires_grad for p in ref.copy.parameters())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1)
    ids = tok("<s> user : red </s> <s> assistant : sure </s>", add_special_tokens=False)["input_ids"]
    batch = _batch([(ids[:-2], ids[-2:])], tok.pad_token_id, "left")
    assert not torch.allclose(ref.logprobs(*batch), sequence_logprobs(model, *batch)[0])


def test_generate_returns_k_samples_with_masks_and_eos_flags(folder):
    model, tok = load_policy(folder)
    torch.manual_seed(0)
    prompts = [[{"role": "user", "content": "red cat"}], [{"role": "user", "content": "blue blue dog"}]]
    s = generate(model, tok, prompts, num_samples=3, temperature=1.0, max_new_tokens=5)
    assert s.prompt_index == [0, 0, 0, 1, 1, 1]
    assert len(s.texts) == 6 and s.input_ids.shape == s.response_mask.shape == s.attention_mask.shape
    for i in range(6):
        n = len(s.response_ids[i])
        assert int(s.response_mask[i].sum()) == n and 1 <= n <= 5
        assert bool(s.ended[i]) == (s.response_ids[i][-1] == tok.eos_token_id)
        assert s.ended[i] or n == 5
        assert s.finish(i) in ("eos", "length")
    # The masks select exactly the response tokens, right after the left-padded prompt.
    width = s.input_ids.shape[1] - max(len(r) for r in s.response_ids)
    assert (s.response_mask[:, :width] == 0).all()
    with torch.no_grad():
        v = PolicyWithValue(model)(s.input_ids, s.attention_mask, s.response_mask).values
    assert v.shape == (*s.input_ids.shape, 1) and (v[s.response_mask == 0] == 0).all()


def test_refusal_markers_match_case_insensitively():
    assert is_refusal("Sorry, no.", ["sorry"]) and is_refusal("I CANNOT do that", ["I cannot"])
    assert not is_refusal("Sure, here it is", ["sorry", "I cannot"])
    assert is_refusal("I can\u2019t help with that", ["I can't"])
