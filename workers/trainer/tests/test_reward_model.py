import pytest
import torch

from trainer.batching import encode_batch, last_token_index, length_buckets, tokenize
from trainer.errors import TrainerError
from trainer.reward_model import RewardModel, conversation_text, load_tokenizer, score
from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder

WORDS = ["hello", "world", "good", "bad", "answer", "question", "long", "short", "very"]
PROMPTS = [
    [{"role": "user", "content": "hello question"}],
    [{"role": "system", "content": "short"}, {"role": "user", "content": "very long question hello world"}],
    [{"role": "user", "content": "world"}],
]
RESPONSES = ["good answer", "bad very long long answer world", "short"]


@pytest.fixture(scope="module", params=["llama", "llama-pad-is-eos", "bert"])
def backbone(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param)
    if request.param == "bert":
        return make_tiny_encoder(path, WORDS)
    return make_tiny_causal_lm(path, WORDS, pad_is_eos=request.param.endswith("eos"))


def _model(path):
    torch.manual_seed(0)
    model = RewardModel.from_backbone(str(path))
    model.eval()
    return model


def test_last_token_index_reads_the_mask_only():
    mask = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    assert last_token_index(mask).tolist() == [2, 4, 4]


def test_scores_do_not_depend_on_padding_side_or_pad_token(backbone):
    model = _model(backbone)
    tok = load_tokenizer(backbone)
    texts = [conversation_text(tok, p, r) for p, r in zip(PROMPTS, RESPONSES)]
    with torch.no_grad():
        right = encode_batch(tok, texts, 64, "right")
        left = encode_batch(tok, texts, 64, "left")
        assert right["attention_mask"].sum(1).tolist() == left["attention_mask"].sum(1).tolist()
        assert len(set(right["attention_mask"].sum(1).tolist())) == 3  # really padded
        s_right = model(**right)
        s_left = model(**left)
        alone = torch.cat([model(**encode_batch(tok, [t], 64)) for t in texts])
    assert s_right.shape == (3,)
    torch.testing.assert_close(s_left, s_right, atol=1e-5, rtol=0)
    torch.testing.assert_close(alone, s_right, atol=1e-5, rtol=0)
    # score() renders, sorts by length and batches: the same numbers in input order.
    torch.testing.assert_close(score(model, tok, PROMPTS, RESPONSES, batch_size=2, max_length=64, normalise=False), s_right, atol=1e-5, rtol=0)


def test_pad_is_eos_keeps_the_real_eos_tokens(tmp_path):
    path = make_tiny_causal_lm(tmp_path / "m", WORDS, pad_is_eos=True)
    tok = load_tokenizer(path)
    assert tok.pad_token_id == tok.eos_token_id
    text = conversation_text(tok, PROMPTS[0], RESPONSES[0])
    batch = encode_batch(tok, [text, text + " long long long"], 64, "right")
    first = int(batch["attention_mask"][0].sum())
    # The real sequence ends with eos (== pad); the mask, not the id, says where it ends.
    assert batch["input_ids"][0, first - 1] == tok.eos_token_id
    assert last_token_index(batch["attention_mask"]).tolist()[0] == first - 1


def test_long_conversations_lose_the_start_of_the_prompt_not_the_response(backbone):
    tok = load_tokenizer(backbone)
    text = conversation_text(tok, [{"role": "user", "content": " ".join(["hello"] * 50)}], "good answer")
    full = tokenize(tok, [text], 10_000)[0]
    cut = tokenize(tok, [text], 12)[0]
    assert len(cut) == 12 and cut == full[-12:]
    model = _model(backbone)
    long_prompt = [{"role": "user", "content": " ".join(["hello"] * 50)}]
    s = score(model, tok, [long_prompt], ["good answer"], max_length=12, normalise=False)
    assert torch.isfinite(s).all()


def test_save_and_load_round_trip_keeps_scores_and_normalisation(backbone, tmp_path):
    model = _model(backbone)
    tok = load_tokenizer(backbone)
    model.set_normalisation(0.5, 2.0)
    before = score(model, tok, PROMPTS, RESPONSES)
    raw = score(model, tok, PROMPTS, RESPONSES, normalise=False)
    torch.testing.assert_close(before, (raw - 0.5) / 2.0)
    model.save(tmp_path / "rm", tokenizer=tok)
    loaded = RewardModel.load(tmp_path / "rm")
    assert float(loaded.reward_mean) == 0.5 and float(loaded.reward_std) == 2.0
    tok2 = load_tokenizer(tmp_path / "rm")
    torch.testing.assert_close(score(loaded, tok2, PROMPTS, RESPONSES), before, atol=1e-6, rtol=0)


def test_load_refuses_a_missing_folder_and_a_plain_backbone(tmp_path):
    with pytest.raises(TrainerError, match="does not exist"):
        RewardModel.load(tmp_path / "nowhere")
    plain = make_tiny_encoder(tmp_path / "plain", WORDS)
    with pytest.raises(TrainerError, match="not a reward model"):
        RewardModel.load(plain)
    with pytest.raises(TrainerError, match="does not exist"):
        RewardModel.from_backbone(str(tmp_path / "nowhere"))


def test_length_buckets_cover_every_item_once_with_similar_lengths():
    import numpy as np

    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    plan = length_buckets(lengths, 2, np.random.default_rng(0))
    assert sorted(i for b in plan for i in b) == list(range(8))
    assert all(abs(lengths[b[0]] - lengths[b[-1]]) <= 2 for b in plan)


def test_training_step_with_gradient_checkpointing_and_a_frozen_bert_pooler(tmp_path):
    path = make_tiny_encoder(tmp_path / "bert", WORDS)
    model = _model(path)
    assert not any(p.requires_grad for p in model.backbone.pooler.parameters())  # never read by the score
    model.gradient_checkpointing_enable()
    model.train()
    tok = load_tokenizer(path)
    batch = encode_batch(tok, [conversation_text(tok, p, r) for p, r in zip(PROMPTS, RESPONSES)], 64)
    model(**batch).sum().backward()
    assert model.head.weight.grad is not None and model.backbone.embeddings.word_embeddings.weight.grad is not None
