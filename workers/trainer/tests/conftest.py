import json
import os
import signal

import pytest
import torch

# The suite runs on small CPU machines next to other work: one intra-op thread per test process
# is faster there than two fighting threads, and subprocesses inherit it through the environment.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _keep_signal_handlers():
    # Commands install SIGTERM/SIGINT handlers (their stop flag); a test that runs one in-process
    # must not leave them to the next test.
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


@pytest.fixture
def stopped_and_resumed(tmp_path, capsys, monkeypatch):
    """Runs a TRL-based command (`argv(output folder)`: 8 steps, no checkpoint or evaluation of its
    own before step 8) with a SIGTERM once step 3's training loss is out, as a worker cancelling
    the run would, then again; checks that the stop left step 4's checkpoint, that the re-run trains
    steps 5 to 8 only, with the losses of a run never stopped (weights, optimizer, data order, RNG),
    and returns the re-run's events."""
    import trainer.__main__ as cli
    from trainer.events import EventWriter

    def events():
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]

    class SigtermAt(EventWriter):
        def metric(self, step, name, value):
            super().metric(step, name, value)
            if name == "train/loss" and step == 3:
                os.kill(os.getpid(), signal.SIGTERM)

    def check(argv):
        out = tmp_path / "out"
        monkeypatch.setattr(cli, "EventWriter", SigtermAt)
        assert cli.main(argv(out)) == 0
        monkeypatch.undo()
        stopped = events()
        done = stopped[-1]
        # The flag is seen at the end of the next step: step 4 is saved and the run ends there.
        assert done["event"] == "done" and done["interrupted"] and done["steps"] == 4 and done["total_steps"] == 8
        assert done["checkpoint"] == str(out / "checkpoints" / "step-4")
        assert [e["step"] for e in stopped if e["event"] == "checkpoint"] == [4]
        assert (out / "checkpoints" / "step-4" / "model" / "config.json").is_file()
        assert not (out / "model").exists()

        assert cli.main(argv(out)) == 0
        resumed = events()
        assert resumed[-1]["event"] == "done" and not resumed[-1]["interrupted"] and resumed[-1]["steps"] == 8
        losses = [e for e in resumed if e["event"] == "metric" and e["name"] == "train/loss"]
        assert [e["step"] for e in losses] == [5, 6, 7, 8]
        assert (out / "model" / "config.json").is_file()
        assert cli.main(argv(tmp_path / "whole")) == 0
        whole = [e["value"] for e in events() if e["event"] == "metric" and e["name"] == "train/loss"]
        assert [e["value"] for e in losses] == pytest.approx(whole[4:], abs=1e-5)
        return resumed

    return check
