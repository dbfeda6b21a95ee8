"""Every benchmark `make bench` runs (and the README quotes) runs end to end on the smallest input; the
figures are read by people, not asserted. The data-build benchmark has its own test in tests/data/."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eai_recipes import paths

pytestmark = pytest.mark.integration


def _bench(name: str, *args: str, cwd=None) -> str:
    proc = subprocess.run([sys.executable, str(paths.ROOT / "bench" / name), *args], capture_output=True,
                          text=True, check=False, timeout=900, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_bench_safety():
    out = _bench("bench_safety.py", "--repeat", "1")
    assert "safety.screen" in out and "textguard.clean_output" in out


def test_bench_launcher():
    out = _bench("bench_launcher.py", "--pairs", "1", "--steps", "2")
    assert "ratio eai/llamafactory" in out and "first launch, cold validation" in out


def test_bench_predict():
    out = _bench("bench_predict.py", "--pairs", "1", "--samples", "8", "--max-new-tokens", "4")
    assert "ratio" in out, out


def test_bench_serving(trained_run, workdir):
    out = _bench("bench_serving.py", "--workdir", str(workdir), "--run", trained_run.name, "--rounds", "1",
                 "--max-tokens", "8")
    assert "TTFT ratio eai/llamafactory" in out, out


def test_bench_judge(tmp_path):
    out = _bench("bench_judge.py", "--pairs", "1", "--samples", "4", "--batch", "4", "--max-new-tokens", "4",
                 "--workdir", str(tmp_path))
    assert "ratio batched/one-by-one" in out, out


def test_bench_serving_load(trained_run, workdir):
    out = _bench("bench_serving.py", "--load", "--workdir", str(workdir), "--run", trained_run.name, "--clients", "2",
                 "--seconds", "4", "--max-tokens", "8")
    assert "p99 TTFT ratio" in out and "server RSS before load" in out, out
