"""The bench scripts still load: a harness refactor once left bench/engine_loop.py importing a
helper that was gone, and nothing ran it until the next measurement."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_each_bench_script_imports_everything_it_names(script, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the scripts put bench/ and tests/ first
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)  # top level only: each script's main() runs under __main__
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"
