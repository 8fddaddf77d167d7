"""Intervals and agreement statistics against values computed by hand or published."""

import random

import pytest

from trainer.split import is_held_out, split_by_prompt
from trainer.stats import class_report, cohen_kappa, kappa, mean, paired_difference, rate, rater_pairs, wilson


def test_wilson_matches_published_intervals():
    # Newcombe (1998), Table I: 81/263 → 0.2553–0.3662; and the zero-width cases a Wald interval gets wrong.
    lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(10, 10)
    assert lo == pytest.approx(0.7225, abs=1e-4) and hi == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_a_rate_of_independent_outcomes_uses_wilson_and_ties_count_half():
    e = rate([1, 1, 0.5, 0])
    assert e.value == pytest.approx(0.625) and (e.n, e.units) == (4, 4)
    assert (e.lo, e.hi) == pytest.approx(wilson(2.5, 4))


def test_clustered_outcomes_are_resampled_by_cluster():
    # Two prompts, each with all of its pairs right or all wrong: the evidence is two prompts, not 40 pairs.
    outcomes = [1.0] * 20 + [0.0] * 20
    clusters = ["a"] * 20 + ["b"] * 20
    by_pair = rate(outcomes)
    by_prompt = rate(outcomes, clusters)
    assert by_prompt.value == by_pair.value == 0.5 and by_prompt.units == 2
    assert by_prompt.hi - by_prompt.lo > 2 * (by_pair.hi - by_pair.lo)
    assert (by_prompt.lo, by_prompt.hi) == (0.0, 1.0)


def test_a_bootstrap_without_spread_falls_back_to_wilson_over_prompts():
    e = rate([1.0] * 12, ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "d"])
    assert e.value == 1.0 and e.hi == 1.0
    assert e.lo == pytest.approx(wilson(4, 4)[0])


def test_the_bootstrap_interval_of_a_mean_has_the_normal_width_on_a_large_sample():
    rng = random.Random(0)
    values = [float(rng.random() < 0.7) for _ in range(2000)]
    clusters = [i // 2 for i in range(2000)]  # pairs of items: a real cluster bootstrap, not the Wilson path
    e = rate(values, clusters)
    p = e.value
    assert e.lo < 0.7 < e.hi
    assert e.hi - e.lo == pytest.approx(2 * 1.96 * (p * (1 - p) / 2000) ** 0.5, rel=0.2)
    m = mean([2.0, 4.0, 6.0, 8.0])
    assert m.value == 5.0 and 2.0 <= m.lo < 5.0 < m.hi <= 8.0


def test_a_paired_difference_is_exact_when_one_side_is_a_shift_of_the_other():
    a = [0.3, 0.9, 0.1, 0.5, 0.7]
    d = paired_difference([x + 0.25 for x in a], a, ["p", "p", "q", "r", "r"])
    assert d.value == pytest.approx(0.25) and d.lo == pytest.approx(0.25) and d.hi == pytest.approx(0.25)
    assert d.excludes_zero
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])


def test_one_prompt_that_differs_is_no_certainty():
    # One prompt, model wrong where the rule is right: the bootstrap has no spread, Wilson over one prompt does.
    d = paired_difference([0.0, 0.0], [1.0, 1.0], ["p", "p"], rates=True)
    lo, hi = wilson(0, 1)
    assert d.value == -1.0 and (d.lo, d.hi) == pytest.approx((2 * lo - 1, 2 * hi - 1))
    assert not d.excludes_zero


def test_cohen_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 → p_o 0.7, p_e 0.5, kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b, ["yes", "no"]) == pytest.approx(0.4)
    assert cohen_kappa(["x", "x"], ["x", "x"], ["x", "y"]) == 1.0
    assert cohen_kappa([], [], ["x"]) is None
    e = kappa(a, b, ["yes", "no"])
    assert e.value == pytest.approx(0.4) and e.lo < 0.4 < e.hi


def test_rater_pairs_count_every_pair_of_labels_of_an_item_in_both_orders():
    first, second = rater_pairs({"i1": ["A", "A", "C"], "i2": ["D"], "i3": ["B", "D"]})
    assert sorted(zip(first, second)) == sorted([("A", "A"), ("A", "A"), ("A", "C"), ("C", "A"), ("A", "C"), ("C", "A"), ("B", "D"), ("D", "B")])


def test_class_report_precision_recall_f1_by_hand():
    truth = ["A", "A", "A", "C", "C", "D"]
    guess = ["A", "C", "A", "C", "A", "D"]
    r = class_report(truth, guess, ["A", "B", "C", "D"])
    a = r["per_class"]["A"]
    assert (a["precision"], a["recall"], a["f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    c = r["per_class"]["C"]
    assert (c["precision"], c["recall"], c["f1"]) == pytest.approx((1 / 2, 1 / 2, 1 / 2))
    b = r["per_class"]["B"]
    assert b["precision"] is None and b["recall"] is None and b["f1"] is None and b["support"] == 0
    assert r["accuracy"] == pytest.approx(4 / 6) and r["confusion"][0] == [2, 0, 1, 0]


def test_a_prompt_stays_on_its_side_of_the_split_as_the_data_grows():
    def prompts(n):
        return [f"prompt {i}" for i in range(n)]

    _, small = split_by_prompt(prompts(200), lambda x: x, 0.2, "project-split")
    _, large = split_by_prompt(prompts(2000), lambda x: x, 0.2, "project-split")
    assert set(small) == set(large) & set(prompts(200))
    assert 0.15 < len(large) / 2000 < 0.25
    assert all(is_held_out(x, "project-split", 0.2) for x in large)
    _, other = split_by_prompt(prompts(2000), lambda x: x, 0.2, "another-split")
    assert set(other) != set(large)


def test_tiny_sets_still_get_one_prompt_on_each_side():
    train, held = split_by_prompt(["a", "a", "b"], lambda x: x, 0.01, "s")
    assert len(set(held)) == 1 and len(set(train)) == 1
    train, held = split_by_prompt(["a", "b"], lambda x: x, 0.99, "s")
    assert len(held) == 1 and len(train) == 1
    assert split_by_prompt(["a", "b"], lambda x: x, 0.0, "s") == (["a", "b"], [])
