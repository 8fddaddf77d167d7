"""Checkpoints that make every command resumable, and the SIGTERM flag that triggers a last one.

A checkpoint is a folder `checkpoints/step-N/` holding each model's weights as safetensors, the
optimizer state (`optimizers.pt`, read back with `weights_only=True`: tensors and plain values,
never pickled code), the RNG states (`rng.json` and `rng.safetensors`) and `state.json` (step and
whatever the command needs to go on),
and `model/`: the step's model as a loadable folder of the same form as the command's final
`model/` (without its training summary), so every checkpoint can be registered and used as a model
version. Resuming reads the raw weights, never `model/`. The folder is written under a temporary
name and renamed, so a folder with that name is always complete (its `model/` included);
re-running a command with the same output directory continues from the highest one.

The commands that run on TRL's trainers keep TRL's own files in the step folder instead of the
weights, optimizer and RNG files above (its weights or adapters, optimizer.pt, scheduler.pt,
rng_state.pth, trainer_state.json), beside the same `model/` and `state.json`; TRL reads them back
when it resumes (trl_bridge.py).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from .errors import TrainerError

# The worker that launched the run sets it to its own pid (every torchrun rank gets it too).
PARENT_PID_ENV = "TRAINER_PARENT_PID"
# The loadable model inside a checkpoint folder.
MODEL_DIR = "model"


class StopFlag:
    """Set by SIGTERM/SIGINT, or when the worker that launched the run is gone; training loops
    check it between steps, save and exit cleanly."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> StopFlag:
        def handler(signum: int, _frame: Any) -> None:
            self.requested = True

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        if os.environ.get(PARENT_PID_ENV, "").isdigit():
            self.watch_parent(int(os.environ[PARENT_PID_ENV]))
        return self

    def watch_parent(self, pid: int, every: float = 1.0) -> threading.Thread:
        """Sets the flag once process `pid` is gone. A worker killed on its own (kill -9 of its pid,
        not its group) would otherwise leave the run going unsupervised while its job is queued
        again and a second run starts in the same folder."""
        direct = os.getppid() == pid

        def watch() -> None:
            # The direct parent's death shows as a new parent pid even before it is reaped.
            while (os.getppid() == pid) if direct else process_alive(pid):
                time.sleep(every)
            print(f"the worker (pid {pid}) that started this run is gone: stopping at the next step", file=sys.stderr, flush=True)
            self.requested = True

        thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
        thread.start()
        return thread


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process that is not reaped yet still answers kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _tensors(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # safetensors refuses shared storage (tied embeddings) and non-contiguous tensors.
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def save_weights(state: dict[str, torch.Tensor], path: Path) -> None:
    save_file(_tensors(state), str(path))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path))


def write_atomically(target: Path, fill: Any) -> Path:
    """Calls `fill(tmp_dir)` and renames tmp_dir to `target`, replacing an older one."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace_folder(tmp, target)


def replace_folder(source: Path, target: Path) -> Path:
    """Renames the complete folder `source` to `target` (same file system), replacing an older one."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    source.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _load_plain(file: Path) -> Any:
    """torch.load of tensors and plain values only: a checkpoint someone could write is never code."""
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any refusal or corruption is the same answer
        raise TrainerError(f"{file} holds something other than tensors and plain values; it is not loaded ({type(e).__name__})") from None


def save_rng(folder: Path) -> None:
    """Python's and numpy's generator states as JSON, torch's (and each GPU's) as tensors."""
    version, words, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    (folder / "rng.json").write_text(json.dumps({"python": [version, list(words), gauss], "numpy": [name, keys.tolist(), pos, has_gauss, cached]}))
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors |= {f"cuda.{i}": t for i, t in enumerate(torch.cuda.get_rng_state_all())}
    save_file(tensors, str(folder / "rng.safetensors"))


def load_rng(folder: Path) -> None:
    """Puts the generators back; a checkpoint from before rng.json resumes with fresh ones (same run, other samples)."""
    if not (folder / "rng.json").is_file():
        print(f"{folder} has no rng.json (an older checkpoint): random generators are not restored", file=sys.stderr, flush=True)
        return
    state = json.loads((folder / "rng.json").read_text())
    version, words, gauss = state["python"]
    random.setstate((version, tuple(words), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    tensors = load_file(str(folder / "rng.safetensors"))
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[f"cuda.{i}"] for i in range(sum(k.startswith("cuda.") for k in tensors))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


class Checkpoints:
    def __init__(self, output_dir: Path, keep: int = 2) -> None:
        self.dir = output_dir / "checkpoints"
        self.keep = keep

    def latest(self) -> Path | None:
        if not self.dir.is_dir():
            return None
        steps = [(int(p.name.split("-", 1)[1]), p) for p in self.dir.iterdir() if p.name.startswith("step-") and p.name[5:].isdigit()]
        return max(steps)[1] if steps else None

    def save(
        self,
        step: int,
        models: dict[str, torch.nn.Module],
        optimizers: dict[str, torch.optim.Optimizer],
        state: dict[str, Any],
        export: Callable[[Path], object] | None = None,
    ) -> Path:
        """Writes `step-N/`; `export(folder)`, when given, writes the loadable model into its `model/`."""

        def fill(tmp: Path) -> None:
            for name, model in models.items():
                save_weights({k: v for k, v in model.state_dict().items()}, tmp / f"{name}.safetensors")
            torch.save({name: opt.state_dict() for name, opt in optimizers.items()}, tmp / "optimizers.pt")
            save_rng(tmp)
            (tmp / "state.json").write_text(json.dumps({"step": step, **state}, indent=2))
            if export is not None:
                # Inside the temporary folder: a step folder never has a half-written model.
                export(tmp / MODEL_DIR)

        self.dir.mkdir(parents=True, exist_ok=True)
        path = write_atomically(self.dir / f"step-{step}", fill)
        self._prune()
        return path

    def adopt(self, step: int, source: Path, state: dict[str, Any], export: Callable[[Path], object]) -> Path:
        """Makes `source`, a complete checkpoint folder another trainer wrote (TRL's `checkpoint-N`,
        in its own files), the folder `step-N`: `export(folder)` writes the loadable model into its
        `model/` and `state.json` is added before one rename moves it in, so the step folder still
        appears only complete."""
        export(source / MODEL_DIR)
        (source / "state.json").write_text(json.dumps({"step": step, **state}, indent=2))
        self.dir.mkdir(parents=True, exist_ok=True)
        path = replace_folder(source, self.dir / f"step-{step}")
        self._prune()
        return path

    def load(
        self,
        path: Path,
        models: dict[str, torch.nn.Module],
        optimizers: dict[str, torch.optim.Optimizer],
    ) -> dict[str, Any]:
        """Restores weights, optimizer and RNG states in place; returns state.json."""
        for name, model in models.items():
            file = path / f"{name}.safetensors"
            if not file.is_file():
                raise TrainerError(f"checkpoint {path} has no weights for {name}")
            missing, unexpected = model.load_state_dict(load_weights(file), strict=False)
            # Tied weights are saved once under one name; anything else missing is a real mismatch.
            real_missing = [k for k in missing if not k.endswith("lm_head.weight")]
            if real_missing or unexpected:
                raise TrainerError(f"checkpoint {path} does not fit {name}: missing {real_missing[:3]}, unexpected {unexpected[:3]}")
        saved = _load_plain(path / "optimizers.pt")
        for name, opt in optimizers.items():
            opt.load_state_dict(saved[name])
        load_rng(path)
        return json.loads((path / "state.json").read_text())

    def _prune(self) -> None:
        steps = sorted((int(p.name[5:]), p) for p in self.dir.iterdir() if p.name.startswith("step-") and p.name[5:].isdigit())
        for _, p in steps[: -self.keep]:
            shutil.rmtree(p, ignore_errors=True)
