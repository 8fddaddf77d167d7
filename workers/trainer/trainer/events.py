"""The JSON-lines protocol between the trainer and the TypeScript worker.

One JSON object per line on stdout; nothing else is printed there (logs go to stderr), so the
worker never parses free text.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
from typing import IO, Any

# serving: a server command listens (its url), so the worker learns the address.
EVENT_KINDS = ("metric", "checkpoint", "eval", "done", "error", "serving")


class EventWriter:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        # Set by a command once it knows how many steps it will run; metric, checkpoint and eval
        # events then carry it, so the worker can show progress and an ETA.
        self.total_steps: int | None = None

    def emit(self, event: str, **fields: Any) -> None:
        if event not in EVENT_KINDS:
            raise ValueError(f"unknown event {event!r}; expected one of {EVENT_KINDS}")
        record = {"event": event, "time": round(time.time(), 3), **fields}
        if self.total_steps is not None and event in ("metric", "checkpoint", "eval"):
            record.setdefault("total_steps", self.total_steps)
        # allow_nan=False: NaN/Infinity are not JSON; a diverged loss must be reported as an error.
        self.stream.write(json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n")
        self.stream.flush()

    def metric(self, step: int, name: str, value: float) -> None:
        if not (name.startswith("train/") or name.startswith("eval/")):
            raise ValueError(f"metric name {name!r} must start with train/ or eval/")
        if not math.isfinite(value):
            raise ValueError(f"metric {name} at step {step} is not finite: {value}")
        self.emit("metric", step=step, name=name, value=float(value))

    def checkpoint(self, step: int, path: str) -> None:
        self.emit("checkpoint", step=step, path=path)

    def eval(self, step: int, **results: Any) -> None:
        """Held-out results at a step: numbers, per-category tables, calibration bins."""
        self.emit("eval", step=step, **results)

    def done(self, **summary: Any) -> None:
        self.emit("done", **summary)

    def error(self, message: str) -> None:
        self.emit("error", message=message)


class _DropWhenBroken(io.RawIOBase):
    """A file descriptor whose writes are dropped, not failed, once its pipe has no reader."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def write(self, data: Any) -> int:
        try:
            return os.write(self.fd, data)
        except BrokenPipeError:
            return len(data)


def survive_a_lost_reader() -> None:
    """stdout and stderr are pipes to the worker. When it is killed, a write there must not crash the
    run before it saves its checkpoint (the stop flag's parent watch stops it): it is dropped."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        stream.flush()
        raw = _DropWhenBroken(stream.fileno())
        setattr(sys, name, io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors, line_buffering=True))
