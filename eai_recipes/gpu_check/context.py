"""The GPU check's machinery: steps and their results, the context they share, and child processes with a
timeout whose peak GPU memory a probe records (see check.py for the whole)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.gpu_check import wheels
from eai_recipes.recipes.memory import GIB, PHI4

README_POINTER = "recipes/README.md, section \"GPU acceptance check\""
OUT_DIR = paths.RUNS_DIR / "gpu-check"
DEFAULT_BUDGET_S = 480
DEFAULT_LAYERS = (2, 4, 8)
SHAPE_STEPS = 3  # optimizer steps per shape run: the first pays for CUDA warm-up, the others are the speed
PROBE_DIR = Path(__file__).resolve().parent / "probe"
STUB_DIR = Path(__file__).resolve().parent / "stubs"
# Profiles measured on one GPU. The torchrun/Ray profiles share `paper`'s per-GPU batch (their memory per
# GPU is `paper`'s, less what ZeRO shards); they need several GPUs to run as they are.
SINGLE_GPU_PROFILES = ("paper", "colab-t4", "a100")



class Skip(Exception):
    """A step that cannot run here, with the reason."""


class Fail(Exception):
    """A step that ran and did not do what it must."""


@dataclass
class StepResult:
    name: str
    title: str
    group: str
    status: str = "skipped"  # pass | fail | skipped
    seconds: float = 0.0
    reason: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    log: str | None = None


@dataclass
class Step:
    name: str
    title: str
    group: str
    run: Callable[[Context, StepResult], None]
    timeout_s: int = 120
    needs: tuple[str, ...] = ()


@dataclass
class Context:
    out: Path
    work: Path
    layers: list[int]
    deadline: float
    python: str = sys.executable
    results: dict[str, StepResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    allow_cpu: bool = False  # tests only: run shape steps on CPU
    shape: Any = PHI4
    shape_steps: int = SHAPE_STEPS
    cutoff: int | None = None  # None: the recipe's cutoff_len (1024)
    extra_sets: dict[str, Any] = field(default_factory=dict)  # tests only: e.g. a smaller accumulation on CPU

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def child_env(self, probe: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        site = paths.ROOT / wheels.SITE_DIR
        extra = [str(PROBE_DIR)]
        if self.facts.get("torchaudio_stub"):  # ahead of .gpu-site/, which holds the torchaudio that failed
            extra.append(str(STUB_DIR))
        if site.is_dir():
            extra.append(str(site))
            env["PATH"] = str(site / "bin") + os.pathsep + env.get("PATH", "")
        extra.append(str(paths.ROOT))
        env["PYTHONPATH"] = os.pathsep.join(extra + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["PATH"] = str(Path(self.python).parent) + os.pathsep + env.get("PATH", "")
        env["EAI_HOME"] = str(paths.ROOT)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TRANSFORMERS_OFFLINE", "1")
        env.setdefault("HF_DATASETS_OFFLINE", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        env.pop("FORCE_TORCHRUN", None)
        env.pop("EAI_GPU_PROBE", None)
        if probe is not None:
            env["EAI_GPU_PROBE"] = str(probe)
        return env

    def llamafactory_cli(self) -> list[str]:
        """The console script beside this interpreter or in .gpu-site/bin, else the same entry point through
        `python -m llamafactory.cli` (what the console script calls)."""
        for candidate in (Path(self.python).parent / "llamafactory-cli",
                          paths.ROOT / wheels.SITE_DIR / "bin" / "llamafactory-cli"):
            if candidate.exists():
                return [str(candidate)]
        return [self.python, "-m", "llamafactory.cli"]


# ------------------------------------------------------------------------------------------ child processes


@dataclass
class Child:
    returncode: int
    seconds: float
    log: Path
    probe: dict[str, Any] | None
    timed_out: bool

    def tail(self, n: int = 15) -> str:
        try:
            lines = self.log.read_text(errors="replace").replace("\r", "\n").splitlines()
        except OSError:
            return ""
        return "\n".join(f"    {line[:300]}" for line in [ln for ln in lines if ln.strip()][-n:])


def run_child(ctx: Context, name: str, cmd: list[str], timeout_s: float, *, probe: bool = True,
              cwd: Path | None = None) -> Child:
    """Run cmd in its own process group with output to logs/<name>.log; kill the group at the timeout."""
    logs = ctx.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    probe_file = ctx.out / "probes" / f"{name}.json" if probe else None
    if probe_file is not None:
        probe_file.parent.mkdir(parents=True, exist_ok=True)
        probe_file.unlink(missing_ok=True)
    timeout_s = max(1.0, min(timeout_s, ctx.remaining()))
    start = time.monotonic()
    with open(log, "ab") as f:
        f.write(("$ " + " ".join(cmd) + "\n").encode())
        f.flush()
        proc = subprocess.Popen(cmd, cwd=cwd or ctx.work, env=ctx.child_env(probe_file), stdout=f,
                                stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_group(proc)
    data = None
    if probe_file is not None and probe_file.is_file():
        with contextlib.suppress(ValueError):
            data = json.loads(probe_file.read_text())
    return Child(proc.returncode, time.monotonic() - start, log, data, timed_out)


def stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def require_ok(child: Child, what: str) -> None:
    if child.timed_out:
        raise Fail(f"{what} timed out after {child.seconds:.0f}s; log: {child.log}")
    if child.returncode != 0:
        raise Fail(f"{what} exited with code {child.returncode}; log: {child.log}\n{child.tail()}")


def python_child(ctx: Context, name: str, code: str, timeout_s: float, *, probe: bool = True) -> Child:
    return run_child(ctx, name, [ctx.python, "-c", code], timeout_s, probe=probe)


def probe_figures(child: Child, result: StepResult, *, need_cuda: bool = True) -> dict[str, Any]:
    p = child.probe or {}
    if p.get("cuda"):
        figures = {"peak_allocated_gib": round(p["max_memory_allocated"] / GIB, 3),
                   "peak_reserved_gib": round(p["max_memory_reserved"] / GIB, 3), "device": p.get("device")}
        result.figures.update(figures)
        return p
    if need_cuda:
        raise Fail("the run ended without using CUDA (the memory probe saw no CUDA device in use): it ran on "
                   f"the CPU; log: {child.log}")
    return p


