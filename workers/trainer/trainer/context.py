"""What every command's `run` gets: events, runtime, output folder, checkpoints and the stop flag."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import Checkpoints, StopFlag
from .events import EventWriter
from .runtime import Runtime


class _Silent(EventWriter):
    """Events of ranks other than 0 are dropped: the worker reads one stream."""

    def emit(self, event: str, **fields: Any) -> None:
        return None


@dataclass
class RunContext:
    events: EventWriter
    runtime: Runtime
    output_dir: Path
    checkpoints: Checkpoints
    stop: StopFlag

    @staticmethod
    def create(runtime: Runtime, output_dir: str, keep_checkpoints: int = 2, events: EventWriter | None = None) -> RunContext:
        out = Path(output_dir)
        return RunContext(
            events=(events or EventWriter()) if runtime.is_main else _Silent(),
            runtime=runtime,
            output_dir=out,
            checkpoints=Checkpoints(out, keep=keep_checkpoints),
            stop=StopFlag().install(),
        )
