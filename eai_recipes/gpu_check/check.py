"""`eai gpu-check`: every CUDA path of the project run once, every memory figure measured, in one command.

Each step runs its work in a child process with a timeout (llamafactory-cli itself where LLaMA-Factory does
the work) and ends as pass, fail or skipped-with-reason, with its time; one failing step never stops the
others (a step that needs another's output is skipped, saying which). A time budget (default 8 minutes)
bounds the whole: a step that would start after it is spent is skipped with that reason.

Groups, in the order they run:
  setup   offline wheels into .gpu-site/, the versions it runs with, the tiny model and the check's datasets
  tiny    the tiny model through QLoRA 4-bit in bf16 (SDPA) and fp16 (the T4 path), FlashAttention-2, a
          two-step resume, predict with transformers and with vLLM (same answers?), export, `eai serve`
  shape   Phi-4's real shape with random weights at a few depths: each one-GPU profile's training settings
          for a few QLoRA steps, then its predict settings; peak memory and tokens/s per depth
  fit     a line per profile through the depths, extrapolated to 40 layers, compared with the profile's
          gpu_memory_gb and the GPU it names; a candidate calibration file

Outputs under runs/gpu-check/: report.json, report.md, calibration.yaml (a candidate for
recipes/memory/calibration.yaml), logs/<step>.log, and work/ (the children's working directory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.errors import EaiError
from eai_recipes.gpu_check import fit
from eai_recipes.gpu_check.context import (
    DEFAULT_BUDGET_S,
    DEFAULT_LAYERS,
    OUT_DIR,
    README_POINTER,
    SHAPE_STEPS,
    SINGLE_GPU_PROFILES,
    Context,
    Fail,
    Skip,
    Step,
    StepResult,
)
from eai_recipes.gpu_check.steps import (
    dpo_steps,
    make_shape_predict,
    make_shape_train,
    step_environment,
    step_fit,
    step_shape_build,
    step_tiny_bf16,
    step_tiny_export,
    step_tiny_fa2,
    step_tiny_fp16,
    step_tiny_model,
    step_tiny_predict_hf,
    step_tiny_predict_vllm,
    step_tiny_resume,
    step_tiny_serve,
    step_wheels,
)
from eai_recipes.recipes.memory import PHI4

# ----------------------------------------------------------------------------------------------------- plan


def plan(layers: list[int]) -> list[Step]:
    steps = [
        Step("wheels", "install the carried wheels offline into .gpu-site/", "setup", step_wheels, 240),
        Step("environment", "versions, GPU, optional packages (flash-attn, vLLM)", "setup", step_environment, 180),
        Step("tiny-model", "tiny model and the check's datasets", "setup", step_tiny_model, 180),
        Step("tiny-qlora-bf16", "tiny: QLoRA 4-bit on CUDA, bf16, SDPA", "tiny", step_tiny_bf16, 150,
             ("environment", "tiny-model")),
        Step("tiny-qlora-fp16", "tiny: QLoRA 4-bit on CUDA, fp16 + upcast layer norms (the T4 path)", "tiny",
             step_tiny_fp16, 150, ("environment", "tiny-model")),
        Step("tiny-fa2", "tiny: QLoRA with FlashAttention-2", "tiny", step_tiny_fa2, 150,
             ("environment", "tiny-model")),
        Step("tiny-resume", "tiny: one step, then resume to two from checkpoint-1", "tiny", step_tiny_resume, 240,
             ("environment", "tiny-model")),
        Step("tiny-predict-hf", "tiny: predict with transformers (greedy, fp32)", "tiny", step_tiny_predict_hf, 150,
             ("environment", "tiny-model")),
        Step("tiny-predict-vllm", "tiny: predict with vLLM, answers compared", "tiny", step_tiny_predict_vllm, 240,
             ("environment", "tiny-model")),
        Step("tiny-export", "tiny: merge the adapter (llamafactory-cli export)", "tiny", step_tiny_export, 150,
             ("environment",)),
        Step("tiny-serve", "tiny: eai serve answers one request; the guard flags a crisis", "tiny", step_tiny_serve,
             150, ("environment",)),
        Step("shape-build", f"Phi-4 shape, random weights, {', '.join(map(str, sorted(layers)))} layers (safetensors)",
             "shape", step_shape_build, 300, ("environment", "tiny-model")),
    ]
    for n in sorted(layers):  # breadth first: two depths of every profile before the third
        for p in SINGLE_GPU_PROFILES:
            steps.append(Step(f"shape-train-{p}-L{n}", f"train, {p} settings, Phi-4 shape with {n} layers", "shape",
                              make_shape_train(p, n), 240, ("shape-build",)))
    for n in sorted(layers)[:2]:  # a line needs two depths; predict's time goes to generation, not depth
        for p in SINGLE_GPU_PROFILES:
            steps.append(Step(f"shape-predict-{p}-L{n}", f"predict, {p} settings, Phi-4 shape with {n} layers",
                              "shape", make_shape_predict(p, n), 240, ("shape-build",)))
    steps += dpo_steps(layers)
    steps.append(Step("fit", "fit per layer, extrapolate to 40, compare with the profiles", "fit", step_fit, 30))
    return steps


def select(steps: list[Step], only: list[str] | None) -> list[Step]:
    """Steps whose name starts with one of `only` (plus the setup steps they need)."""
    if not only:
        return steps
    chosen = [s for s in steps if s.group == "setup" or s.name == "fit" or any(s.name.startswith(o) for o in only)]
    if any(s.name.startswith("shape-") and s.name != "shape-build" for s in chosen):
        chosen = [s for s in steps if s in chosen or s.name == "shape-build"]
    return chosen


def run_step(ctx: Context, step: Step) -> StepResult:
    r = StepResult(step.name, step.title, step.group)
    failed = [n for n in step.needs if ctx.results.get(n) and ctx.results[n].status != "pass"]
    if failed:
        r.reason = "needs " + ", ".join(f"{n} ({ctx.results[n].status})" for n in failed)
        return r
    if ctx.remaining() < 10 and step.name != "fit":
        r.reason = "the time budget is spent (--budget-s)"
        return r
    start = time.monotonic()
    try:
        step.run(ctx, r)
        r.status = "pass"
    except Skip as exc:
        r.status, r.reason = "skipped", str(exc)
    except Fail as exc:
        r.status, r.reason = "fail", str(exc)
    except Exception as exc:  # a bug or an unexpected error in one step must not hide the others
        r.status, r.reason = "fail", f"{type(exc).__name__}: {exc}"
    r.seconds = round(time.monotonic() - start, 2)
    log = ctx.out / "logs" / f"{step.name}.log"
    r.log = str(log) if log.exists() else None
    return r


def _no_nvidia_driver() -> bool:
    """True when this machine visibly has no NVIDIA driver (no /proc/driver/nvidia, no /dev/nvidiactl): then
    the answer is known without importing torch, so the command stops at once."""
    return not Path("/proc/driver/nvidia").exists() and not Path("/dev/nvidiactl").exists()


def require_gpu() -> None:
    from eai_recipes.hardware import has_cuda

    if _no_nvidia_driver() or not has_cuda():
        raise EaiError("gpu-check needs a CUDA GPU and this machine has none (no NVIDIA driver, or "
                       "torch.cuda.is_available() is False). It is meant for a machine lent with a GPU, for a few "
                       f"minutes, offline: see {README_POINTER}. On a CPU, `make demo` runs the whole pipeline on "
                       "the tiny model, and `eai gpu-check --plan` lists what the check would run.")


def run_gpu_check(out: Path = OUT_DIR, *, layers: list[int] | None = None, budget_s: float = DEFAULT_BUDGET_S,
                  only: list[str] | None = None, wheel_dir: Path | None = None, allow_cpu: bool = False,
                  shape=None, shape_steps: int = SHAPE_STEPS, cutoff: int | None = None,
                  extra_sets: dict[str, Any] | None = None,
                  echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the check; write report.json, report.md and calibration.yaml under `out`; return the report."""
    if not allow_cpu:
        require_gpu()
    echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    layers = sorted(set(layers or DEFAULT_LAYERS))
    out = out.resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(out=out, work=work, layers=layers, deadline=time.monotonic() + budget_s, allow_cpu=allow_cpu,
                  shape=shape or PHI4, shape_steps=shape_steps, cutoff=cutoff, extra_sets=dict(extra_sets or {}))
    if wheel_dir is not None:
        ctx.facts["wheel_dir"] = wheel_dir.resolve()
    started = dt.datetime.now(dt.UTC)
    steps = select(plan(layers), only)
    # The report is rewritten after every step (and mirrored to EAI_GPU_CHECK_MIRROR, which scripts/gpu-check.sh
    # points at the device tool's $OUT), so a run stopped from outside still leaves what it measured.
    mirror = os.environ.get("EAI_GPU_CHECK_MIRROR")
    cwd = Path.cwd()
    os.chdir(work)
    try:
        for i, step in enumerate(steps, 1):
            echo(f"[{i}/{len(steps)}] {step.name}: {step.title}")
            r = run_step(ctx, step)
            ctx.results[step.name] = r
            echo(f"    {r.status.upper()} ({r.seconds:.1f}s){': ' + r.reason.splitlines()[0] if r.reason else ''}")
            partial = build_report(ctx, started, budget_s)
            write_report(out, partial)
            if mirror:
                with contextlib.suppress(OSError):
                    write_report(Path(mirror), partial)
    except KeyboardInterrupt:
        echo("gpu-check: interrupted; the report holds the steps that ended")
    finally:
        os.chdir(cwd)
    report = build_report(ctx, started, budget_s)
    write_report(out, report)
    if mirror:
        with contextlib.suppress(OSError):
            write_report(Path(mirror), report)
    return report


# --------------------------------------------------------------------------------------------------- report


def build_report(ctx: Context, started: dt.datetime, budget_s: float) -> dict[str, Any]:
    env = ctx.facts.get("env") or {}
    results = list(ctx.results.values())
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "skipped")}
    return {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(sum(r.seconds for r in results), 1),
        "budget_s": budget_s,
        "gpu": env.get("gpu"),
        "versions": {k: v.get("version") for k, v in env.items() if isinstance(v, dict) and "version" in v},
        "missing": {k: v["error"] for k, v in env.items() if isinstance(v, dict) and "error" in v},
        "layers": ctx.layers,
        "shape": ctx.shape.__dict__,
        "counts": counts,
        "steps": [r.__dict__ for r in results],
        "fits": ctx.facts.get("fits", {}),
        "verdicts": ctx.facts.get("verdicts", []),
    }


def calibration_candidate(report: dict[str, Any]) -> dict[str, Any]:
    """The figures for recipes/memory/calibration.yaml: one entry per profile whose training was fitted."""
    gpu = (report.get("gpu") or {}).get("name", "unknown GPU")
    date = report["started"][:10]
    profiles = {}
    for v in report.get("verdicts", []):
        if v["phase"] != "train":
            continue
        key = f"{v['profile']}/train"
        f = report["fits"].get(key, {})
        speed = f.get("speed", {})
        profiles[v["profile"]] = {
            "date": date, "gpu": gpu, "peak_allocated_gb": v["measured_gib"], "peak_reserved_gb": v["reserved_gib"],
            "tokens_per_s": speed.get("at_target_tokens_per_s"), "layers_measured": f["allocated"]["layers"],
            "estimate_gb": round(v["estimate_gb"], 2) if v["estimate_gb"] else None,
            "per_layer_gb": f["allocated"]["per_layer_gib"], "base_gb": f["allocated"]["base_gib"],
            "fits_named_gpu": v["fits_gpu"], "named_gpu": v["gpu"],
        }
        pred = report["fits"].get(f"{v['profile']}/predict", {}).get("allocated")
        if pred:
            profiles[v["profile"]]["predict_peak_allocated_gb"] = pred["at_target_gib"]
    return {"profiles": profiles}


def report_markdown(report: dict[str, Any]) -> str:
    gpu = report.get("gpu") or {}
    c = report["counts"]
    lines = [f"# GPU acceptance check, {report['started']}", "",
             f"GPU: {gpu.get('name', 'none')} ({gpu.get('memory_gib', '?')} GiB, compute capability "
             f"{'.'.join(map(str, gpu.get('capability', []))) or '?'}, CUDA {gpu.get('torch_cuda', '?')}). "
             f"{c['pass']} passed, {c['fail']} failed, {c['skipped']} skipped in {report['seconds']:.0f}s "
             f"(budget {report['budget_s']:.0f}s).", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(report["versions"].items())), ""]
    if report.get("missing"):
        lines += ["Not importable: " + ", ".join(f"{k}" for k in sorted(report["missing"])), ""]
    lines += ["| step | status | time | figures / reason |", "|---|---|---|---|"]
    for s in report["steps"]:
        figs = {k: v for k, v in s["figures"].items() if k not in ("versions", "missing", "fits", "verdicts", "gpu")}
        detail = (s["reason"].splitlines()[0] if s["reason"] else "") or ", ".join(f"{k} {v}" for k, v in figs.items())
        lines.append(f"| {s['name']} | {s['status']} | {s['seconds']:.1f}s | {detail.replace('|', '/')} |")
    if report.get("verdicts"):
        lines += ["", f"## Extrapolated to {fit.TARGET_LAYERS} layers (Phi-4), per profile", "",
                  "| profile | phase | peak allocated | peak reserved | tokens/s | verdict |",
                  "|---|---|---|---|---|---|"]
        for v in report["verdicts"]:
            speed = report["fits"].get(f"{v['profile']}/{v['phase']}", {}).get("speed", {})
            reserved = f"{v['reserved_gib']:.1f} GiB" if v["reserved_gib"] is not None else "?"
            lines.append(f"| {v['profile']} | {v['phase']} | {v['measured_gib']:.1f} GiB | {reserved} | "
                         f"{speed.get('at_target_tokens_per_s', '')} | {v['note']} |")
    lines += ["", "Memory is torch.cuda.max_memory_allocated / max_memory_reserved over the whole child process "
              "(the probe in eai_recipes/gpu_check/probe/), fitted with a line per profile over the depths and read "
              "at 40 layers. The candidate calibration is calibration.yaml beside this file: review it, then copy it "
              "to recipes/memory/calibration.yaml and update the profiles' gpu_memory_gb, naming the GPU.", ""]
    return "\n".join(lines)


def write_report(out: Path, report: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / "report.md").write_text(report_markdown(report))
    candidate = calibration_candidate(report)
    header = ("# Candidate for recipes/memory/calibration.yaml, written by `eai gpu-check` on "
              f"{report['started']}: review runs/gpu-check/report.md, then copy.\n")
    (out / "calibration.yaml").write_text(header + yaml.safe_dump(candidate, sort_keys=False))
