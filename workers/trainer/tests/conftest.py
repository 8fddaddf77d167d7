import os

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
