"""The data-build benchmark runs end to end on a small input (its figures are read by people, not asserted)."""

from __future__ import annotations

import subprocess
import sys

from eai_recipes import paths


def test_bench_data_build_smoke(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(paths.ROOT / "bench" / "bench_data_build.py"), "--rows", "3000", "--rounds", "1",
         "--workers", "1", "--format", "jsonl", "--workdir", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for words in ("rows in the synthetic source:     3,000", "read and parse into rows:", "full build:",
                  "ratio build / read-and-parse:", "peak memory of the build:"):
        assert words in out, out
