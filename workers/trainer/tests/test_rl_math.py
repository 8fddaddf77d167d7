import math

import numpy as np
import pytest
import torch

from trainer.rl_math import (
    DEFAULT_REWARD_TABLE,
    POLICIES,
    RUBRICS,
    AdaptiveKLController,
    FixedKLController,
    LagrangeMultiplier,
    clip_rewards,
    clipped_policy_loss,
    clipped_value_loss,
    combine_gated,
    combine_table,
    compute_gae,
    entropy_from_logits,
    eos_penalty,
    expected_safety_reward,
    gated_select,
    kl_penalty,
    lagrangian_advantage,
    last_token_index,
    masked_mean,
    masked_var,
    masked_whiten,
    per_token_rewards,
    table_tensor,
)

D = torch.float64

# rows: full, right-padded, left-padded, left+right padded, single token
MASK = torch.tensor(
    [
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, 1, 0],
    ],
    dtype=D,
)


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=D)


def real_positions(row):
    return [t for t in range(MASK.shape[1]) if MASK[row, t] == 1]


# ---------------------------------------------------------------- masked statistics


@pytest.mark.parametrize("as_bool", [False, True])
def test_masked_stats_match_numpy(as_bool):
    x = rand(5, 7)
    mask = MASK.bool() if as_bool else MASK
    sel = x.numpy()[MASK.numpy() == 1]
    assert masked_mean(x, mask).item() == pytest.approx(sel.mean(), abs=1e-12)
    assert masked_var(x, mask).item() == pytest.approx(sel.var(ddof=1), abs=1e-12)
    assert masked_var(x, mask, unbiased=False).item() == pytest.approx(sel.var(ddof=0), abs=1e-12)
    row_means = masked_mean(x, mask, dim=1)
    for b in range(5):
        assert row_means[b].item() == pytest.approx(x.numpy()[b][MASK.numpy()[b] == 1].mean(), abs=1e-12)
    w = masked_whiten(x, mask)
    expected = (sel - sel.mean()) / np.sqrt(sel.var(ddof=1) + 1e-8)
    np.testing.assert_allclose(w.numpy()[MASK.numpy() == 1], expected, atol=1e-12)
    w2 = masked_whiten(x, mask, shift_mean=False)
    np.testing.assert_allclose(w2.numpy()[MASK.numpy() == 1], expected + sel.mean(), atol=1e-12)
    assert w.dtype == D


def test_masked_var_needs_two_elements():
    with pytest.raises(ValueError):
        masked_var(rand(1, 3), torch.tensor([[0, 1, 0]]))


# ---------------------------------------------------------------- KL


def test_kl_estimators_closed_form():
    lp, ref = torch.tensor([-1.0, -2.0, -0.5], dtype=D), torch.tensor([-1.5, -1.0, -0.5], dtype=D)
    np.testing.assert_allclose(kl_penalty(lp, ref, "k1").numpy(), [0.5, -1.0, 0.0], atol=1e-15)
    # r = ref - lp = [-0.5, 1.0, 0.0]
    k3 = [math.exp(-0.5) - 1 + 0.5, math.e - 1 - 1.0, 0.0]
    np.testing.assert_allclose(kl_penalty(lp, ref, "k3").numpy(), k3, atol=1e-15)
    big = kl_penalty(rand(100, seed=1) * 3, rand(100, seed=2) * 3, "k3")
    assert bool((big >= 0).all())
    with pytest.raises(ValueError):
        kl_penalty(lp, ref, "k2")


def test_adaptive_kl_controller():
    c = AdaptiveKLController(0.1, target=6.0, horizon=10000)
    assert c.update(6.6, 256) == pytest.approx(0.1 * (1 + 0.1 * 256 / 10000), rel=1e-12)
    c = AdaptiveKLController(0.1, target=6.0, horizon=10000)
    assert c.update(100.0, 1000) == pytest.approx(0.1 * 1.02, rel=1e-12)  # clipped at +0.2
    c = AdaptiveKLController(0.1, target=6.0, horizon=10000)
    c.update(0.0, 1000)
    assert c.value == pytest.approx(0.1 * 0.98, rel=1e-12)  # clipped at -0.2
    f = FixedKLController(0.05)
    assert f.update(100.0, 1000) == 0.05 and f.value == 0.05


# ---------------------------------------------------------------- rewards and GAE


def test_last_token_and_per_token_rewards():
    assert last_token_index(MASK).tolist() == [6, 3, 6, 4, 5]
    kl = rand(5, 7, seed=3)
    score = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=D)
    r = per_token_rewards(score, kl, MASK, 0.2)
    expected = -0.2 * kl * MASK
    for b, last in enumerate([6, 3, 6, 4, 5]):
        expected[b, last] += score[b]
    np.testing.assert_allclose(r.numpy(), expected.numpy(), atol=1e-15)
    with pytest.raises(ValueError):
        per_token_rewards(score[:1], kl[:1], torch.zeros(1, 7), 0.2)


def reference_gae(rewards, values, gamma, lam):
    adv = np.zeros(rewards.shape)
    for b in range(rewards.shape[0]):
        pos = real_positions(b)
        last, next_v = 0.0, 0.0
        for t in reversed(pos):
            delta = rewards[b, t] + gamma * next_v - values[b, t]
            last = delta + gamma * lam * last
            adv[b, t] = last
            next_v = values[b, t]
    ret = (adv + values) * MASK.numpy()
    return adv, ret


@pytest.mark.parametrize("gamma,lam", [(1.0, 0.95), (0.99, 0.9), (0.9, 0.0)])
def test_gae_matches_reference_loop(gamma, lam):
    rewards, values = rand(5, 7, seed=4), rand(5, 7, seed=5)
    adv, ret = compute_gae(rewards, values, MASK, gamma, lam)
    ref_adv, ref_ret = reference_gae(rewards.numpy(), values.numpy(), gamma, lam)
    np.testing.assert_allclose(adv.numpy(), ref_adv, atol=1e-12)
    np.testing.assert_allclose(ret.numpy(), ref_ret, atol=1e-12)
    # garbage at masked positions must not leak
    noisy_r = rewards + 100 * (1 - MASK)
    noisy_v = values - 100 * (1 - MASK)
    adv2, ret2 = compute_gae(noisy_r, noisy_v, MASK.bool(), gamma, lam)
    np.testing.assert_allclose(adv2.numpy(), ref_adv, atol=1e-12)
    np.testing.assert_allclose(ret2.numpy(), ref_ret, atol=1e-12)


def test_gae_single_token_is_reward_minus_value():
    adv, ret = compute_gae(torch.tensor([[0.0, 2.0]], dtype=D), torch.tensor([[9.0, 0.5]], dtype=D),
                           torch.tensor([[0, 1]]), 0.99, 0.95)
    assert adv.tolist() == [[0.0, 1.5]] and ret.tolist() == [[0.0, 2.0]]


# ---------------------------------------------------------------- PPO losses


def test_clipped_policy_loss_matches_loop():
    lp, old, adv = rand(5, 7, seed=6) * 0.3, rand(5, 7, seed=7) * 0.3, rand(5, 7, seed=8)
    eps = 0.2
    loss, clipfrac, approx_kl = clipped_policy_loss(lp, old, adv, MASK, eps)
    losses, clipped, kls = [], [], []
    for b in range(5):
        for t in real_positions(b):
            ratio = math.exp(lp[b, t].item() - old[b, t].item())
            a = adv[b, t].item()
            l1 = -a * ratio
            l2 = -a * min(max(ratio, 1 - eps), 1 + eps)
            losses.append(max(l1, l2))
            clipped.append(1.0 if l2 > l1 else 0.0)
            kls.append(0.5 * (lp[b, t].item() - old[b, t].item()) ** 2)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-12)
    assert clipfrac.item() == pytest.approx(np.mean(clipped), abs=1e-12)
    assert 0 < clipfrac.item() < 1
    assert approx_kl.item() == pytest.approx(np.mean(kls), abs=1e-12)


def test_policy_loss_gradient_zero_when_clipped():
    lp = torch.tensor([[math.log(1.5)]], dtype=D, requires_grad=True)
    loss, clipfrac, _ = clipped_policy_loss(lp, torch.zeros(1, 1, dtype=D), torch.ones(1, 1, dtype=D),
                                            torch.ones(1, 1), 0.2)
    loss.backward()
    assert loss.item() == pytest.approx(-1.2) and clipfrac.item() == 1.0 and lp.grad.item() == 0.0


def test_clipped_value_loss_matches_loop():
    v, old, ret = rand(5, 7, seed=9), rand(5, 7, seed=10), rand(5, 7, seed=11)
    eps = 0.2
    loss, clipfrac = clipped_value_loss(v, old, ret, MASK, eps)
    losses, clipped = [], []
    for b in range(5):
        for t in real_positions(b):
            vv, oo, rr = v[b, t].item(), old[b, t].item(), ret[b, t].item()
            l1 = (vv - rr) ** 2
            l2 = (min(max(vv, oo - eps), oo + eps) - rr) ** 2
            losses.append(max(l1, l2))
            clipped.append(1.0 if l2 > l1 else 0.0)
    assert loss.item() == pytest.approx(0.5 * np.mean(losses), abs=1e-12)
    assert clipfrac.item() == pytest.approx(np.mean(clipped), abs=1e-12)


def test_entropy_from_logits():
    assert entropy_from_logits(torch.zeros(2, 3, 8, dtype=D)).numpy() == pytest.approx(math.log(8), abs=1e-12)
    logits = rand(4, 6, seed=12)
    p = torch.softmax(logits, -1)
    np.testing.assert_allclose(entropy_from_logits(logits).numpy(), (-(p * p.log()).sum(-1)).numpy(), atol=1e-12)


# ---------------------------------------------------------------- safety combination


def test_table_tensor_and_validation():
    R = table_tensor(dtype=D)
    assert R.shape == (3, 4) and R.dtype == D
    for i, p in enumerate(POLICIES):
        for j, r in enumerate(RUBRICS):
            assert R[i, j].item() == DEFAULT_REWARD_TABLE[p][r]
    bad = {p: dict(v) for p, v in DEFAULT_REWARD_TABLE.items()}
    del bad["sensitive"]["B"]
    with pytest.raises(ValueError, match="sensitive/B"):
        table_tensor(bad)
    with pytest.raises(ValueError, match="allowed/A"):
        table_tensor({k: v for k, v in DEFAULT_REWARD_TABLE.items() if k != "allowed"})
    bad = {p: dict(v) for p, v in DEFAULT_REWARD_TABLE.items()}
    bad["disallowed"]["D"] = float("nan")
    with pytest.raises(ValueError, match="disallowed/D"):
        table_tensor(bad)


def test_expected_safety_reward_one_hot_is_lookup_and_mixture_matches_loop():
    pairs = [(p, r) for p in range(3) for r in range(4)]
    pp = torch.eye(3, dtype=D)[[p for p, _ in pairs]]
    rp = torch.eye(4, dtype=D)[[r for _, r in pairs]]
    out = expected_safety_reward(pp, rp)
    assert out.dtype == D
    assert out.tolist() == [DEFAULT_REWARD_TABLE[POLICIES[p]][RUBRICS[r]] for p, r in pairs]
    pp = torch.softmax(rand(6, 3, seed=13), -1)
    rp = torch.softmax(rand(6, 4, seed=14), -1)
    out = expected_safety_reward(pp, rp, table_tensor(dtype=D))
    for b in range(6):
        ref = sum(pp[b, i].item() * rp[b, j].item() * DEFAULT_REWARD_TABLE[p][r]
                  for i, p in enumerate(POLICIES) for j, r in enumerate(RUBRICS))
        assert out[b].item() == pytest.approx(ref, abs=1e-12)


def test_combine_table():
    out = combine_table(torch.tensor([1.0, 0.0], dtype=D), torch.tensor([-1.0, 0.5], dtype=D), 0.5)
    assert out.tolist() == [0.5, 0.25]


def test_gated_truth_table_and_whitening():
    help_r = torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=D)
    safe_r = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=D)
    unsafe = torch.tensor([False, False, True, True])
    score = torch.tensor([0.5, 0.1, 0.5, 0.1], dtype=D)  # high, low, high, low vs threshold 0.15
    chosen = gated_select(help_r, safe_r, unsafe, score, 0.15)
    # safe&high -> help, safe&low -> safety, unsafe&high -> safety, unsafe&low -> safety
    assert chosen.tolist() == [0.9, 0.2, 0.3, 0.4]
    out = combine_gated(help_r, safe_r, unsafe, score)
    logit = np.log(np.array([0.9, 0.2, 0.3, 0.4]) / (1 - np.array([0.9, 0.2, 0.3, 0.4])))
    np.testing.assert_allclose(out.numpy(), (logit - logit.mean()) / np.sqrt(logit.var(ddof=1) + 1e-8), atol=1e-12)
    assert out.mean().item() == pytest.approx(0.0, abs=1e-12)
    assert out.std().item() == pytest.approx(1.0, abs=1e-6)
    # 0 and 1 are clamped, not infinite
    edge = combine_gated(torch.tensor([1.0, 0.0], dtype=D), torch.zeros(2, dtype=D),
                         torch.tensor([False, False]), torch.ones(2, dtype=D))
    assert bool(torch.isfinite(edge).all())


def test_lagrange_multiplier_updates():
    lm = LagrangeMultiplier(init=1.0, lr=0.5, cost_limit=0.1, max_lambda=3.0, delay_steps=2)
    assert lm.value == pytest.approx(1.0) and lm.log_lambda == 0.0
    assert lm.update(5.0, step=0) == pytest.approx(1.0)  # delay
    assert lm.update(5.0, step=1) == pytest.approx(1.0)
    up = lm.update(0.3, step=2)
    assert up == pytest.approx(math.exp(0.5 * 0.2)) and up > 1.0  # cost above limit -> rises
    down = lm.update(0.0, step=3)
    assert down < up and down == pytest.approx(math.exp(0.5 * 0.2 - 0.5 * 0.1))
    for s in range(4, 200):
        lm.update(-5.0, step=s)
    assert lm.value > 0.0
    for s in range(200, 400):
        lm.update(10.0, step=s)
    assert lm.value == pytest.approx(3.0)  # clamped at cap
    assert LagrangeMultiplier(init=10.0, max_lambda=2.0).value == pytest.approx(2.0)
    with pytest.raises(ValueError):
        LagrangeMultiplier(init=0.0)


def test_lagrangian_advantage_eos_and_clip():
    ar, ac = torch.tensor([1.0, 2.0], dtype=D), torch.tensor([0.5, -1.0], dtype=D)
    assert lagrangian_advantage(ar, ac, 1.0).tolist() == [0.25, 1.5]
    assert lagrangian_advantage(ar, ac, 0.0).tolist() == [1.0, 2.0]
    s = torch.tensor([0.5, 0.5, -2.0], dtype=D)
    assert eos_penalty(s, torch.tensor([True, False, False]), 1.0).tolist() == [0.5, -0.5, -3.0]
    assert clip_rewards(torch.tensor([-9.0, 0.3, 9.0], dtype=D), 5.0).tolist() == [-5.0, 0.3, 5.0]
    assert clip_rewards(s, None) is s
