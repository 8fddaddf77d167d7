"""`forecast` end to end: tiny reward models on nested subsets of a pairs snapshot whose rule
needs many examples to learn (each pair turns on one of many words), then the law through them."""

import contextlib
import io
import json
import random

import pytest

from trainer.__main__ import main
from trainer.commands.forecast import nested_subsets
from trainer.forecast import fit
from trainer.split import prompt_key
from trainer.tiny import make_tiny_encoder

FILL = [f"w{i}" for i in range(12)]
GOOD = [f"g{i}" for i in range(150)]
BAD = [f"b{i}" for i in range(150)]
WORDS = [*FILL, *GOOD, *BAD, "tell", "me", "about"]


def pairs(n, seed):
    """The better response holds one of 150 "good" words, the worse one of 150 "bad" ones: a model
    knows only the words it has seen, so held-out accuracy grows with the data. One label in ten
    is flipped, an annotator's noise no amount of data removes."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        prompt = [{"role": "user", "content": "tell me about " + " ".join(rng.sample(FILL, 3))}]

        def text(word):
            words = rng.choices(FILL, k=rng.randint(2, 4))
            words.insert(rng.randrange(len(words) + 1), word)
            return " ".join(words)

        better, worse = text(rng.choice(GOOD)), text(rng.choice(BAD))
        if rng.random() < 0.1:
            better, worse = worse, better
        rows.append({"id": f"p{i}", "prompt": prompt, "chosen": [{"role": "assistant", "content": better}],
                     "rejected": [{"role": "assistant", "content": worse}], "margin": 1.0})
    return rows


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def events(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_subsets_are_nested_and_chosen_by_prompt():
    rows = pairs(200, seed=0)
    subsets = nested_subsets(rows, seed=3)
    keys = [{prompt_key(r["prompt"]) for r in s} for _, s in subsets]
    assert [name for name, _ in subsets] == ["1-16", "1-8", "1-4", "1-2", "all"]
    assert all(a < b for a, b in zip(keys, keys[1:]))
    assert keys[-1] == {prompt_key(r["prompt"]) for r in rows}
    # A subset holds every record of its prompts.
    assert all(sum(prompt_key(r["prompt"]) in k for r in rows) == len(s) for k, (_, s) in zip(keys, subsets))


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("forecast")
    encoder = make_tiny_encoder(d / "enc", WORDS, seed=0)
    data = write(d / "pairs.jsonl", pairs(1200, seed=1))
    out = d / "out"
    argv = ["forecast", "--data", str(data), "--model", str(encoder), "--output-dir", str(out), "--epochs", "3", "--batch-size", "16",
            "--lr", "3e-3", "--eval-fraction", "0.2", "--eval-every", "1000", "--max-length", "32", "--early-stopping-patience", "0",
            "--target-accuracy", "0.9", "--more-pairs", "640", "--resamples", "300", "--seed", "2"]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(argv)
    return {"argv": argv, "out": out, "code": code, "events": [json.loads(line) for line in stdout.getvalue().splitlines() if line.strip()]}


def test_writes_the_points_the_fit_its_band_and_the_answers(forecast_run):
    assert forecast_run["code"] == 0
    evs = forecast_run["events"]
    done = evs[-1]
    assert done["event"] == "done" and done["runs"] == 5, done
    result = json.loads((forecast_run["out"] / "forecast.json").read_text())
    points = result["points"]
    print("\n" + "\n".join(f"{p['run']:>5}: {p['train_pairs']:4d} pairs, held-out loss {p['loss']:.4f}, accuracy {p['accuracy']:.4f}" for p in points))
    n = [p["train_pairs"] for p in points]
    assert n == sorted(n) and len(set(n)) == 5
    assert len({p["eval_pairs"] for p in points}) == 1, "every run is measured on the same held-out pairs"
    assert points[-1]["accuracy"] > points[0]["accuracy"] and points[-1]["loss"] < points[0]["loss"], "more data helped"
    assert [e["step"] for e in evs if e["event"] == "eval"] == [1, 2, 3, 4, 5]
    for part in ("loss", "error"):
        fit_ = result[part]
        assert fit_["resamples"] == 300 and 0 < fit_["succeeded"] <= 300
        assert len(fit_["band"]) == 25 and fit_["band"][0]["n"] == n[0]
        assert all(b["lo"] <= b["value"] <= b["hi"] and 0 <= b["run_lo"] <= b["run_hi"] for b in fit_["band"])
    more = result["answers"]["more_pairs"]
    assert more["pairs"] == n[-1] + 640
    assert more["accuracy"]["lo"] <= more["accuracy"]["value"] <= more["accuracy"]["hi"]
    target = result["answers"]["target_accuracy"]
    assert target["accuracy"] == 0.9 and ("pairs" in target) == target["reachable"]


def test_the_smaller_runs_forecast_the_largest(forecast_run):
    """The honest test on real runs: the law through the four smaller subsets, asked about the
    largest, against what that run measured."""
    points = json.loads((forecast_run["out"] / "forecast.json").read_text())["points"]
    n = [p["train_pairs"] for p in points]
    for name, values in (("loss", [p["loss"] for p in points]), ("error", [1 - p["accuracy"] for p in points])):
        f = fit(n[:-1], values[:-1], resamples=1000, seed=0)
        iv = f.predict(n[-1], new_run=True)
        print(f"\n{name} at {n[-1]} pairs from runs of {n[0]} to {n[-2]}: forecast {iv.value:.4f} (95 % {iv.lo:.4f} to {iv.hi:.4f}), "
              f"measured {values[-1]:.4f}, error {iv.value - values[-1]:+.4f}; {f.summary()['succeeded']} of 1000 refits")
        assert iv.lo <= values[-1] <= iv.hi


def test_a_re_run_skips_the_finished_runs(forecast_run, capsys):
    capsys.readouterr()
    assert main(forecast_run["argv"]) == 0
    evs = events(capsys)
    assert evs[-1]["event"] == "done" and evs[-1]["runs"] == 5
    assert not [e for e in evs if e["event"] == "metric" and e["name"].startswith("train/")]
