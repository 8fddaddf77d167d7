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
