import itertools
import math

import pytest
import torch

from trainer.losses import (
    MARGIN_TABLE,
    build_kwise_pairs,
    calibration_bins,
    expected_calibration_error,
    kwise_bt_loss,
    kwise_pairs,
    margin_for,
    pair_accuracy,
    pairwise_bt_loss,
    reward_normaliser,
)

D = torch.float64


def t(*xs):
    return torch.tensor(xs, dtype=D)


def test_margin_table_small_and_large_scale():
    assert MARGIN_TABLE == {"strong": 1.0, "clear": 2 / 3, "slight": 1 / 3, "negligible": 0.0}
    assert margin_for("strong") == 1.0
    assert margin_for("clear") == pytest.approx(2 / 3)
    assert margin_for("slight", "large") == pytest.approx(1.0)
    assert margin_for("clear", "large") == pytest.approx(2.0)
    assert margin_for("strong", "large") == pytest.approx(3.0)
    assert margin_for("negligible", "large") == 0.0
    assert margin_for(None) == 0.0 and margin_for(None, "large") == 0.0
    with pytest.raises(ValueError, match="unknown preference strength"):
        margin_for("huge")
    with pytest.raises(ValueError, match="unknown margin scale"):
        margin_for("strong", "medium")


def test_pairwise_bt_hand_values():
    # sigmoid(0) = 0.5 -> -log 0.5 = log 2
    assert pairwise_bt_loss(t(1.5), t(0.5), t(1.0)).item() == pytest.approx(math.log(2), abs=1e-12)
    assert pairwise_bt_loss(t(1.5), t(0.5), 1.0).item() == pytest.approx(math.log(2), abs=1e-12)
    # diff = log 3 -> log(1 + 1/3)
    assert pairwise_bt_loss(t(math.log(3)), t(0.0)).item() == pytest.approx(math.log(4 / 3), abs=1e-12)
    # mean over pairs: log 2 and log(4/3)
    loss = pairwise_bt_loss(t(1.0, math.log(3)), t(1.0, 0.0))
    assert loss.dtype == D
    assert loss.item() == pytest.approx((math.log(2) + math.log(4 / 3)) / 2, abs=1e-12)


def test_pairwise_bt_with_centring():
    chosen, rejected, margin = t(1.5, 0.2), t(0.5, 0.2), t(1.0, 0.0)
    loss = pairwise_bt_loss(chosen, rejected, margin, centring=0.01)
    # both BT terms are log 2; centring: mean(2.0^2, 0.4^2) = (4 + 0.16) / 2
    assert loss.item() == pytest.approx(math.log(2) + 0.01 * 2.08, abs=1e-12)
    assert pairwise_bt_loss(chosen, rejected, margin, centring=0.0).item() == pytest.approx(math.log(2), abs=1e-12)


def test_pairwise_bt_shape_errors():
    with pytest.raises(ValueError):
        pairwise_bt_loss(t(1.0, 2.0), t(1.0))
    with pytest.raises(ValueError):
        pairwise_bt_loss(t(), t())


def test_kwise_pairs_orders_and_ties():
    assert kwise_pairs([1, 2, 3]) == [(0, 1), (0, 2), (1, 2)]
    assert kwise_pairs([2, 1]) == [(1, 0)]
    assert kwise_pairs([1, 2, 2, 3]) == [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3)]
    assert kwise_pairs([1, 1, 1]) == []


def _reference_mean_pairwise(scores, ranks):
    losses = []
    for i, j in itertools.combinations(range(len(ranks)), 2):
        if ranks[i] == ranks[j]:
            continue
        b, w = (i, j) if ranks[i] < ranks[j] else (j, i)
        losses.append(math.log1p(math.exp(-(scores[b] - scores[w]))))
    return sum(losses) / len(losses), len(losses)


@pytest.mark.parametrize("ranks,n_pairs", [([3, 1, 4, 2], 6), ([1, 2, 2, 3], 5), ([2, 2, 1, 1], 4)])
def test_kwise_equals_mean_pairwise_of_its_pairs(ranks, n_pairs):
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(4, generator=g, dtype=D)
    p = build_kwise_pairs([ranks])
    assert p.better_idx.numel() == n_pairs and p.n_responses == 4 and p.n_prompts == 1
    loss = kwise_bt_loss(scores, p.better_idx, p.worse_idx, p.pair_prompt)
    ref, n = _reference_mean_pairwise(scores.tolist(), ranks)
    assert n == n_pairs
    assert loss.item() == pytest.approx(ref, abs=1e-12)
    pw = pairwise_bt_loss(scores[p.better_idx], scores[p.worse_idx])
    assert loss.item() == pytest.approx(pw.item(), abs=1e-12)


def test_kwise_margin_and_centring_match_pairwise():
    g = torch.Generator().manual_seed(1)
    scores = torch.randn(4, generator=g, dtype=D)
    ranks = [1, 2, 3, 4]
    margins = [[0.1 * (k + 1) for k in range(6)]]
    p = build_kwise_pairs([ranks], margins)
    loss = kwise_bt_loss(scores, p.better_idx, p.worse_idx, p.pair_prompt, p.margin, centring=0.05)
    pw = pairwise_bt_loss(scores[p.better_idx], scores[p.worse_idx], p.margin.to(D), centring=0.05)
    assert loss.item() == pytest.approx(pw.item(), abs=1e-12)
    with pytest.raises(ValueError, match="margins"):
        build_kwise_pairs([ranks], [[0.1]])


def test_kwise_averages_per_prompt_not_flat():
    # prompt 0: K=3 equal scores -> 3 pairs each log 2; prompt 1: K=2, diff log 3 -> 1 pair log(4/3)
    scores = t(0.0, 0.0, 0.0, math.log(3), 0.0)
    p = build_kwise_pairs([[1, 2, 3], [1, 2]])
    assert p.pair_prompt.tolist() == [0, 0, 0, 1]
    assert p.better_idx.tolist() == [0, 0, 1, 3] and p.worse_idx.tolist() == [1, 2, 2, 4]
    loss = kwise_bt_loss(scores, p.better_idx, p.worse_idx, p.pair_prompt).item()
    per_prompt = (math.log(2) + math.log(4 / 3)) / 2
    flat = (3 * math.log(2) + math.log(4 / 3)) / 4
    assert loss == pytest.approx(per_prompt, abs=1e-12)
    assert abs(loss - flat) > 1e-3


def test_kwise_skips_all_tie_prompts_and_has_gradients():
    scores = t(0.3, -0.2, 0.7, 0.1, 0.0).requires_grad_()
    p = build_kwise_pairs([[1, 1], [2, 1, 3]])  # first prompt is all ties
    assert set(p.pair_prompt.tolist()) == {1}
    loss = kwise_bt_loss(scores, p.better_idx, p.worse_idx, p.pair_prompt)
    ref, _ = _reference_mean_pairwise([0.7, 0.1, 0.0], [2, 1, 3])
    assert loss.item() == pytest.approx(ref, abs=1e-12)
    loss.backward()
    assert scores.grad[:2].abs().sum().item() == 0.0 and scores.grad[2:].abs().sum().item() > 0
    with pytest.raises(ValueError, match="non-tied"):
        e = build_kwise_pairs([[1, 1]])
        kwise_bt_loss(t(0.0, 0.0), e.better_idx, e.worse_idx, e.pair_prompt)


def test_reward_normaliser():
    mean, std = reward_normaliser(t(1.0, 2.0, 3.0, 4.0))
    assert mean == pytest.approx(2.5) and std == pytest.approx(math.sqrt(1.25))
    assert reward_normaliser(t(3.0, 3.0)) == (pytest.approx(3.0), 1e-6)
    assert reward_normaliser(t(5.0))[1] == 1e-6


def test_pair_accuracy_counts_ties_half():
    assert pair_accuracy(t(2.0, 1.0, 0.0, 3.0), t(1.0, 1.0, 1.0, 0.0)) == pytest.approx(0.625)


def test_calibration_bins_and_ece_hand_example():
    # diffs 0 and log 3 -> p = 0.5 and 0.75; symmetrised points:
    # (0.5, 1), (0.75, 1), (0.5, 0), (0.25, 0)
    chosen, rejected = t(1.0, math.log(3)), t(1.0, 0.0)
    bins = calibration_bins(chosen, rejected, n_bins=2)
    assert len(bins) == 2
    assert bins[0] == {"lo": 0.0, "hi": 0.5, "mean_predicted": pytest.approx(0.25), "observed": 0.0, "count": 1}
    assert bins[1]["count"] == 3
    assert bins[1]["mean_predicted"] == pytest.approx(1.75 / 3)
    assert bins[1]["observed"] == pytest.approx(2 / 3)
    # 1/4 * 0.25 + 3/4 * |2/3 - 7/12|
    assert expected_calibration_error(chosen, rejected, n_bins=2) == pytest.approx(0.125)


def test_calibration_counts_and_perfect_model():
    g = torch.Generator().manual_seed(2)
    c, r = torch.randn(50, generator=g, dtype=D), torch.randn(50, generator=g, dtype=D)
    bins = calibration_bins(c, r)
    assert sum(b["count"] for b in bins) == 100
    assert 0.0 <= expected_calibration_error(c, r) <= 1.0
    # all pairs tie: p = 0.5 everywhere, observed 0.5 -> perfectly calibrated
    assert expected_calibration_error(t(1.0, 2.0), t(1.0, 2.0)) == pytest.approx(0.0)
