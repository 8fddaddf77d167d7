import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.events import EventWriter


def lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_each_event_is_one_json_line_with_its_fields():
    buf = io.StringIO()
    w = EventWriter(buf)
    w.metric(3, "train/loss", 0.5)
    w.checkpoint(3, "ckpt/step-3")
    w.done(steps=3)
    events = lines(buf)
    assert [e["event"] for e in events] == ["metric", "checkpoint", "done"]
    assert events[0]["step"] == 3 and events[0]["name"] == "train/loss" and events[0]["value"] == 0.5
    assert events[1]["path"] == "ckpt/step-3"
    assert events[2]["steps"] == 3


def test_rejects_non_finite_metrics_and_unprefixed_names():
    w = EventWriter(io.StringIO())
    with pytest.raises(ValueError, match="not finite"):
        w.metric(1, "train/loss", float("nan"))
    with pytest.raises(ValueError, match="must start with"):
        w.metric(1, "loss", 1.0)
    with pytest.raises(ValueError, match="unknown event"):
        w.emit("progress")


def test_cli_reports_unknown_command_as_an_error_event():
    trainer_dir = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "no-such-command"], cwd=trainer_dir, capture_output=True, text=True
    )
    assert proc.returncode == 2
    event = json.loads(proc.stdout.strip())
    assert event["event"] == "error" and "no-such-command" in event["message"]


def test_total_steps_rides_on_progress_events_once_known():
    buf = io.StringIO()
    w = EventWriter(buf)
    w.metric(1, "train/loss", 1.0)
    w.total_steps = 10
    w.metric(2, "train/loss", 0.9)
    w.checkpoint(2, "ckpt")
    w.done(steps=2)
    events = lines(buf)
    assert "total_steps" not in events[0]
    assert events[1]["total_steps"] == 10 and events[2]["total_steps"] == 10
    assert "total_steps" not in events[3]
