"""Launcher overhead: `eai train --profile tiny` against `llamafactory-cli train` on the same rendered file.

Both run alternately in one process, in a scratch working directory with the tiny model and the offline
datasets; the adapter directory is removed before every run so each one trains from scratch. Prints each
run's seconds, the medians and their ratio (goal: at most 1.10), and separately the first launch, which
also pays for LLaMA-Factory's argument validation (later launches of an unchanged recipe reuse its stamp).

    .venv/bin/python bench/bench_launcher.py [--pairs 3] [--steps 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EAI = [sys.executable, "-m", "eai_recipes.cli"]
LLAMAFACTORY = str(Path(sys.executable).parent / "llamafactory-cli")


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="alternating eai/llamafactory-cli pairs")
    parser.add_argument("--steps", type=int, default=30, help="max_steps of each training run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eai-bench-launcher-"))
    try:
        print(f"scratch dir {work}; setting up the tiny model and the offline datasets", file=sys.stderr)
        subprocess.run([*EAI, "tiny-model", "--out", "models/tiny-phi4"], cwd=work, check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run([*EAI, "data", "build", "--offline", "--out", "data"], cwd=work, check=True,
                       stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        eai_cmd = [*EAI, "train", "--profile", "tiny", "--run-name", "bench", "--set", f"max_steps={args.steps}"]
        adapter = work / "runs" / "bench" / "adapter"

        shutil.rmtree(work / "runs", ignore_errors=True)
        cold = timed(eai_cmd, work)  # renders, validates (cold) and trains
        print(f"first eai launch (validation cold): {cold:.2f}s", file=sys.stderr)

        eai_times, lf_times = [], []
        for i in range(args.pairs):
            shutil.rmtree(adapter, ignore_errors=True)
            eai_times.append(timed(eai_cmd, work))
            shutil.rmtree(adapter, ignore_errors=True)
            lf_times.append(timed([LLAMAFACTORY, "train", "runs/bench/train.yaml"], work))
            print(f"pair {i + 1}: eai {eai_times[-1]:.2f}s  llamafactory-cli {lf_times[-1]:.2f}s", file=sys.stderr)

        eai_med, lf_med = statistics.median(eai_times), statistics.median(lf_times)
        print(f"steps per run              {args.steps}")
        print(f"eai train (median)         {eai_med:.2f} s")
        print(f"llamafactory-cli (median)  {lf_med:.2f} s")
        print(f"ratio eai/llamafactory     {eai_med / lf_med:.3f}  (goal <= 1.10)")
        print(f"first launch, cold validation: {cold:.2f} s ({cold / lf_med:.3f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
