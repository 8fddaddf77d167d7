"""The trainer benchmarks (bench/trainer) import the trainer package but are not run by the tests:
each one must at least still import, so a renamed or moved trainer function breaks here, not on
the next GPU a session is lent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

bench = Path(__file__).resolve().parents[3] / "bench" / "trainer"
scripts = sorted(p for p in bench.glob("*.py") if p.name != "common.py")


def test_the_benchmarks_are_found():
    assert len(scripts) >= 5


@pytest.mark.parametrize("script", scripts, ids=lambda p: p.name)
def test_benchmark_imports(script: Path, monkeypatch: pytest.MonkeyPatch):
    # The scripts import their shared module as `common`, from their own folder.
    monkeypatch.syspath_prepend(str(bench))
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"
