import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from trainer.config import load_config
from trainer.data import read_pairs, read_rankings
from trainer.errors import TrainerError

TRAINER_DIR = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> tuple[int, list[dict]]:
    proc = subprocess.run([sys.executable, "-m", "trainer", *args], cwd=TRAINER_DIR, capture_output=True, text=True, timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


@dataclass
class Example:
    output_dir: str
    lr: float = 1e-3
    epochs: int = 1
    mode: str = "table"
    table: dict | None = None


def test_config_file_and_flags_flags_win(tmp_path):
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"output_dir": "out", "lr": 0.5, "epochs": 3}))
    cfg = load_config(Example, "example", str(cfg_file), ["--lr", "0.25", "--table", '{"a": 1}'])
    assert cfg == Example(output_dir="out", lr=0.25, epochs=3, table={"a": 1})


def test_config_rejects_unknown_keys_wrong_types_and_missing_required(tmp_path):
    with pytest.raises(TrainerError, match="unknown config key.*learning_rate"):
        load_config(Example, "example", None, ["--output-dir", "o", "--learning-rate", "1"])
    with pytest.raises(TrainerError, match="'epochs'.*not int"):
        load_config(Example, "example", None, ["--output-dir", "o", "--epochs", "two"])
    with pytest.raises(TrainerError, match="needs --output-dir"):
        load_config(Example, "example", None, [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no records"),
        ("{not json\n", ":1: not valid JSON"),
        ('[1, 2]\n', ":1: each line must be a JSON object"),
        ('{"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": "a"}]}\n', ":1: missing 'rejected'|'rejected' must be"),
        ('{"prompt": [{"role": "robot", "content": "hi"}], "chosen": [], "rejected": []}\n', ":1: 'prompt' holds a message"),
    ],
)
def test_bad_pairs_files_name_the_line_and_the_problem(tmp_path, content, message):
    f = tmp_path / "pairs.jsonl"
    f.write_text(content)
    with pytest.raises(TrainerError, match=message):
        read_pairs(f)


def test_rankings_pairs_follow_the_platform_margins(tmp_path):
    record = {
        "id": "r1",
        "prompt": [{"role": "user", "content": "q"}],
        "responses": [
            {"id": "a", "content": "A", "rank": 0, "rubric": "D"},
            {"id": "b", "content": "B", "rank": 1, "rubric": None},
            {"id": "c", "content": "C", "rank": 1, "rubric": None},
            {"id": "d", "content": "D", "rank": 2, "rubric": "C"},
        ],
        "strengths": ["clear", "strong"],
        "safety": {"promptPolicy": "allowed"},
    }
    f = tmp_path / "rankings.jsonl"
    f.write_text(json.dumps(record) + "\n")
    [r] = read_rankings(f)
    assert r.policy == "allowed"
    pairs = {(r.responses[i].id, r.responses[j].id): m for i, j, m in r.pairs()}
    # b and c tie: no pair between them; a>d spans two steps, its margin is capped at 1.
    assert set(pairs) == {("a", "b"), ("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}
    assert pairs[("a", "b")] == pytest.approx(2 / 3) and pairs[("b", "d")] == 1.0 and pairs[("a", "d")] == 1.0


def test_cli_unknown_key_and_missing_file_are_error_events(tmp_path):
    code, events = run_cli("reward", "--output-dir", str(tmp_path / "out"), "--data", str(tmp_path / "none.jsonl"), "--model", str(tmp_path),
                           "--learning-rte", "1")
    assert code == 2 and events[-1]["event"] == "error" and "learning_rte" in events[-1]["message"]
    assert not (tmp_path / "out").exists()
