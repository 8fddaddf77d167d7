"""Resuming reads tensors and plain values only: a checkpoint file someone could write is never run as code."""

import os
import pickle
import random

import numpy as np
import pytest
import torch

from trainer.checkpoint import Checkpoints
from trainer.errors import TrainerError


class Payload:
    """Unpickling this runs a command: what a tampered checkpoint would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _saved(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    checkpoints = Checkpoints(tmp_path)
    return model, opt, checkpoints, checkpoints.save(5, {"model": model}, {"opt": opt}, {"note": "x"})


def test_resume_restores_weights_optimizer_and_every_generator(tmp_path):
    model, opt, checkpoints, path = _saved(tmp_path)
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    checkpoints.save(6, {"model": model}, {"opt": opt}, {})
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    fresh = torch.nn.Linear(3, 2)
    fresh_opt = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    state = checkpoints.load(checkpoints.latest(), {"model": fresh}, {"opt": fresh_opt})
    assert state["step"] == 6
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    assert torch.equal(fresh.weight, model.weight)
    assert fresh_opt.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    assert sorted(p.name for p in path.iterdir()) == ["model.safetensors", "optimizers.pt", "rng.json", "rng.safetensors", "state.json"]


def test_a_tampered_optimizer_file_is_refused_and_never_run(tmp_path):
    model, opt, checkpoints, path = _saved(tmp_path)
    marker = tmp_path / "ran"
    with open(path / "optimizers.pt", "wb") as f:
        pickle.dump({"opt": Payload(marker)}, f, protocol=2)
    with pytest.raises(TrainerError, match="other than tensors and plain values"):
        checkpoints.load(path, {"model": model}, {"opt": opt})
    assert not marker.exists()


def test_an_older_checkpoint_without_rng_json_resumes_with_fresh_generators(tmp_path, capsys):
    model, opt, checkpoints, path = _saved(tmp_path)
    (path / "rng.json").unlink()
    (path / "rng.safetensors").unlink()
    assert checkpoints.load(path, {"model": model}, {"opt": opt})["step"] == 5
    assert "random generators are not restored" in capsys.readouterr().err
