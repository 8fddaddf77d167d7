"""A run whose worker is killed on its own (kill -9 of its pid, not its group) stops by itself."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_reward_command import ENV, TRAINER_DIR, WORDS, rankings, write_jsonl

from trainer.tiny import make_tiny_causal_lm

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs prctl(PR_SET_CHILD_SUBREAPER)")

# The worker's part: start the trainer with TRAINER_PARENT_PID, read its events from a pipe (or let
# it write them to a file) and pass them on.
WORKER = r"""
import os, subprocess, sys
events, command = sys.argv[1], sys.argv[2:]
out = subprocess.PIPE if events == "pipe" else open(events, "w")
trainer = subprocess.Popen(command, stdout=out, env={**os.environ, "TRAINER_PARENT_PID": str(os.getpid())}, text=True)
print(trainer.pid, flush=True)
for line in trainer.stdout or []:
    print(line, end="", flush=True)
trainer.wait()
"""
PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture
def adopt_orphans():
    """This process adopts the trainer once its worker dies, so the test can wait for its exit code."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    yield
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def kill_all_running_in(out):
    """What a failed test leaves behind (torchrun's ranks have sessions of their own): every process named with `out`."""
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(out).encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except OSError:
            pass


def wait_for_exit(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    raise AssertionError(f"the trainer (pid {pid}) was still running {timeout} s after its worker was killed")


@pytest.mark.parametrize("launch", ["direct child, events on a pipe", "through a launcher, events in a file", "torchrun, two ranks, events on a pipe"])
def test_a_run_whose_worker_is_killed_saves_a_checkpoint_and_exits(tmp_path, adopt_orphans, launch):
    model = make_tiny_causal_lm(tmp_path / "llama", WORDS)
    data = write_jsonl(tmp_path / "rankings.jsonl", rankings(80, 1))
    out = tmp_path / "run"
    # 3000 steps: far more than the seconds the test gives the run to stop.
    trainer = [sys.executable, "-m", "trainer", "reward", "--data", str(data), "--model", str(model), "--output-dir", str(out),
               "--eval-fraction", "0.25", "--epochs", "200", "--batch-size", "4", "--eval-every", "10", "--max-length", "64"]
    piped = launch.endswith("pipe")
    events_file = tmp_path / "events.jsonl"
    # Through a launcher (or torchrun) the trainer's parent is not the worker: it watches the worker's pid.
    if launch.startswith("through"):
        trainer = ["sh", "-c", '"$@"; exit $?', "sh", *trainer]
    elif launch.startswith("torchrun"):
        trainer = [str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc-per-node", "2", *trainer[1:], "--device", "cpu"]
    stderr = open(tmp_path / "stderr.txt", "w+")
    worker = subprocess.Popen([sys.executable, "-c", WORKER, "pipe" if piped else str(events_file), *trainer], cwd=TRAINER_DIR, env=ENV,
                              stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        pid = int(worker.stdout.readline())
        deadline = time.monotonic() + 120
        while not (out / "checkpoints").is_dir() or not any(p.name.startswith("step-") for p in (out / "checkpoints").iterdir()):
            assert time.monotonic() < deadline and worker.poll() is None, (tmp_path / "stderr.txt").read_text()
            time.sleep(0.1)

        worker.send_signal(signal.SIGKILL)  # the worker alone, not its group
        worker.wait()
        code = wait_for_exit(pid, timeout=30)
    finally:
        kill_all_running_in(out)
        stderr.close()
    log = (tmp_path / "stderr.txt").read_text()
    assert code == 0, log
    assert "is gone: stopping" in log and "Traceback" not in log
    steps = sorted(int(p.name[5:]) for p in (out / "checkpoints").iterdir() if p.name.startswith("step-"))
    assert steps and not (out / "model").exists()
    if not piped:
        done = json.loads(events_file.read_text().splitlines()[-1])
        assert done["event"] == "done" and done["interrupted"] is True
        assert Path(done["checkpoint"]).name == f"step-{steps[-1]}" == f"step-{done['steps']}"
