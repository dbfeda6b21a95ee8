"""Run `llamafactory-cli` on rendered recipes: train, predict (base and adapter) and export.

The launcher renders and validates first, checks that the data, model and packages are where the recipe
says, then shells out with the profile's launch environment, streaming LLaMA-Factory's output to the
terminal and to runs/<run>/logs/<stage>.log. Training resumes from the last complete checkpoint of its
run directory, and refuses to mix checkpoints of a different recipe.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths, recipes
from eai_recipes.errors import EaiError

TAIL_LINES = 20
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
TRAIN_RECORD = ".train_config.json"  # the train.yaml a run's checkpoints were made with
# Keys that may change between an interrupted run and its resumption without mixing two recipes.
RESUME_SAFE_KEYS = frozenset({
    "max_steps", "num_train_epochs", "save_steps", "save_total_limit", "logging_steps", "eval_steps",
    "plot_loss", "report_to", "run_name", "use_swanlab", "swanlab_project", "swanlab_workspace",
    "swanlab_run_name", "swanlab_mode", "swanlab_logdir", "preprocessing_num_workers",
    "dataloader_num_workers", "per_device_eval_batch_size", "overwrite_cache", "ddp_timeout", "ddp_backend",
})


class LaunchError(EaiError):
    """llamafactory-cli failed; carries its exit code so `eai` can exit with it."""

    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.exit_code = returncode if 0 < returncode < 256 else 1


def llamafactory_cli() -> str:
    """The llamafactory-cli of this interpreter's environment, even when the venv is not activated."""
    beside = Path(sys.executable).parent / "llamafactory-cli"
    if beside.exists():
        return str(beside)
    found = shutil.which("llamafactory-cli")
    if not found:
        raise EaiError("llamafactory-cli not found: run `make setup` (it installs LLaMA-Factory into .venv)")
    return found


# ------------------------------------------------------------------------------------------- preflight


def _looks_local(model: str) -> bool:
    return model.startswith((".", "/", "models/", "runs/")) or Path(model).exists()


def check_model(values: dict) -> None:
    model = str(values.get("model_name_or_path", ""))
    if _looks_local(model) and not (Path(model) / "config.json").exists():
        hint = " (build it with `eai tiny-model`)" if Path(model) == paths.TINY_MODEL_DIR else ""
        raise EaiError(f"model_name_or_path: {model} has no config.json{hint}")


def check_datasets(values: dict, keys: tuple[str, ...]) -> None:
    """The datasets the recipe names must be registered in <dataset_dir>/dataset_info.json and exist."""
    dataset_dir = Path(str(values.get("dataset_dir", "data")))
    info_path = dataset_dir / "dataset_info.json"
    if not info_path.exists():
        raise EaiError(f"{info_path} not found: build the datasets first with `eai data build` "
                       "(or `eai data build --offline` for the shipped samples)")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EaiError(f"{info_path}: invalid JSON ({exc}); rebuild it with `eai data build`") from None
    for key in keys:
        for name in str(values.get(key) or "").split(","):
            name = name.strip()
            if not name:
                continue
            if name not in info:
                raise EaiError(f"{key}: dataset '{name}' is not in {info_path}; known: {', '.join(sorted(info))}")
            file_name = info[name].get("file_name")
            if file_name and not (dataset_dir / file_name).exists():
                raise EaiError(f"{key}: dataset '{name}' points at {dataset_dir / file_name}, which is missing")


def check_gpu(profile: recipes.Profile) -> None:
    if not profile.requires_gpu:
        return
    import torch

    if not torch.cuda.is_available():
        raise EaiError(
            f"profile '{profile.name}' needs a CUDA GPU ({profile.description}) and none was found; "
            "on a CPU machine run `make demo` (the tiny profile) instead"
        )


@dataclass(frozen=True)
class Requirement:
    what: str  # the recipe setting that needs it
    modules: tuple[str, ...]  # any one of these importable is enough
    pip: str
    fatal: bool = True  # False: LLaMA-Factory falls back (with a warning) when it is missing


def required_packages(config: dict[str, Any], env: dict[str, str | None]) -> list[Requirement]:
    """Optional packages a rendered train.yaml and its launch environment need on the machine that runs it."""
    report_to = config.get("report_to") or []
    report_to = [report_to] if isinstance(report_to, str) else list(report_to)
    reqs = []
    if "tensorboard" in report_to:
        reqs.append(Requirement("report_to: tensorboard", ("tensorboard", "tensorboardX"), "tensorboard"))
    if "wandb" in report_to:
        reqs.append(Requirement("report_to: wandb", ("wandb",), "wandb"))
    if config.get("use_swanlab"):  # local mode keeps its dashboard in an extra
        extra = "'swanlab[dashboard]'" if config.get("swanlab_mode", "cloud") == "local" else "swanlab"
        reqs.append(Requirement("use_swanlab: true", ("swanlab",), extra))
    if config.get("enable_liger_kernel"):
        reqs.append(Requirement("enable_liger_kernel: true", ("liger_kernel",), "liger-kernel"))
    if config.get("use_unsloth"):
        reqs.append(Requirement("use_unsloth: true", ("unsloth",), "unsloth"))
    if config.get("deepspeed"):
        reqs.append(Requirement("deepspeed", ("deepspeed",), "deepspeed"))
    if str(config.get("flash_attn", "")).lower() == "fa2":
        reqs.append(Requirement("flash_attn: fa2", ("flash_attn",), "flash-attn --no-build-isolation", fatal=False))
    if recipes._flag_on(env.get("USE_RAY")):
        reqs.append(Requirement("USE_RAY=1", ("ray",), "'ray[train]'"))
    return reqs


def check_packages(config: dict[str, Any], env: dict[str, str | None]) -> None:
    import importlib.util

    for req in required_packages(config, env):
        if any(importlib.util.find_spec(m) for m in req.modules):
            continue
        message = f"{req.what} needs the {req.modules[0]} package: pip install {req.pip}"
        if req.fatal:
            raise EaiError(message + " (or change the recipe: e.g. --set tracker=none)"
                           if req.what.startswith("report_to") else message)
        print(f"eai: warning: {message}; without it LLaMA-Factory falls back to the default attention",
              file=sys.stderr)


def _config(rendered: recipes.Rendered, stage: str) -> dict[str, Any]:
    return yaml.safe_load(rendered.files[stage].read_text(encoding="utf-8")) or {}


# ------------------------------------------------------------------------------------------ validation


def _stamp_key(path: Path) -> str:
    """Validation depends on the file, the LLaMA-Factory version, whether a GPU is there and which optional
    packages are installed."""
    import importlib.util

    h = hashlib.sha256(path.read_bytes())
    h.update(metadata.version("llamafactory").encode())
    h.update(str(bool(shutil.which("nvidia-smi"))).encode())
    h.update(str([bool(importlib.util.find_spec(m)) for m in recipes.PACKAGE_KEYS.values()]).encode())
    return h.hexdigest()


def validate_once(rendered: recipes.Rendered, stage: str) -> None:
    """Validate a rendered file unless this exact file was already validated: LLaMA-Factory's parser costs
    seconds of imports, which would otherwise be paid again on every launch of an unchanged recipe."""
    path = rendered.files[stage]
    stamps_path = rendered.run_dir / ".validated.json"
    try:
        stamps = json.loads(stamps_path.read_text())
    except (OSError, json.JSONDecodeError):
        stamps = {}
    key = _stamp_key(path)
    if stamps.get(stage) == key:
        return
    recipes.validate_file(path, recipes.STAGES[stage].cli, rendered.sources)
    stamps[stage] = key
    stamps_path.write_text(json.dumps(stamps, indent=2) + "\n")


# -------------------------------------------------------------------------------- launch environment

# Launch variables reach llamafactory-cli only from the rendered command, so that what ran is what the file
# says: a stray FORCE_TORCHRUN=1 in the shell must not turn a prediction into a torchrun job.
_FROM_PROFILE_ONLY = tuple(k for k in recipes.LAUNCH_ENV if k != "CUDA_VISIBLE_DEVICES")


def stage_env(rendered: recipes.Rendered, stage: str,
              environ: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(the child's whole environment, the launch variables shown in the log) for one stage."""
    environ = dict(os.environ if environ is None else environ)
    launch = {}
    if recipes.STAGES[stage].launch_env:
        launch = recipes.resolve_env(rendered.env, environ, rendered.profile.name)
    for key in _FROM_PROFILE_ONLY:
        if key in environ and launch.get(key) != environ[key]:
            print(f"eai: note: {stage}: ignoring {key}={environ[key]} from your environment; launch variables "
                  "come from the profile or --env, as the rendered command shows", file=sys.stderr)
    child = {k: v for k, v in environ.items() if k not in _FROM_PROFILE_ONLY}
    # torchrun is a console script beside this interpreter; the venv need not be activated.
    child["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environ.get("PATH", "")
    child.update(launch)
    return child, launch


# ----------------------------------------------------------------------------------------------- resume


def checkpoints(adapter_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoint-N directories (the Trainer writes trainer_state.json last), by step."""
    found = []
    for path in adapter_dir.glob("checkpoint-*"):
        m = CHECKPOINT.match(path.name)
        if m and path.is_dir() and (path / "trainer_state.json").exists():
            found.append((int(m.group(1)), path))
    return sorted(found)


def set_aside_incomplete(adapter_dir: Path) -> list[Path]:
    """Rename checkpoints cut off while being written (no trainer_state.json), so that resuming takes the
    last complete one instead of failing on a half-written one. Nothing is deleted."""
    moved = []
    for path in sorted(adapter_dir.glob("checkpoint-*")):
        if CHECKPOINT.match(path.name) and path.is_dir() and not (path / "trainer_state.json").exists():
            target = path.with_name(path.name + ".incomplete")
            n = 1
            while target.exists():
                n += 1
                target = path.with_name(f"{path.name}.incomplete{n}")
            path.rename(target)
            moved.append(target)
    return moved


def is_finished(adapter_dir: Path) -> bool:
    """LLaMA-Factory writes train_results.json once training has ended and the adapter is saved."""
    return (adapter_dir / "train_results.json").exists()


def recipe_changes(before: dict[str, Any], now: dict[str, Any], *, safe: bool = True) -> list[str]:
    """Keys whose value differs between two train configs (ignoring the resume-safe ones when safe=True)."""
    keys = sorted(set(before) | set(now))
    return [f"{k}: {before.get(k)!r} -> {now.get(k)!r}" for k in keys
            if before.get(k) != now.get(k) and not (safe and k in RESUME_SAFE_KEYS)]


def _read_record(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / TRAIN_RECORD).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _mixing_error(rendered: recipes.Rendered, what: str, changes: list[str]) -> EaiError:
    return EaiError(
        f"{rendered.run_dir / 'adapter'} holds {what} of a different recipe (changed: {'; '.join(changes)}); "
        f"continuing would mix two recipes. Re-run with the same settings to resume, add --fresh to start "
        f"over, or choose another --run-name"
    )


@dataclass(frozen=True)
class RunState:
    """What a run directory holds, compared with the train config about to use it (see assess_run)."""

    action: str  # new | restart | resume | done | refuse
    what: str = ""  # refuse: what the run directory holds ("a finished adapter", "checkpoints")
    changes: tuple[str, ...] = ()  # refuse: the keys that changed, "key: old -> new"
    checkpoint: Path | None = None  # resume: the checkpoint training goes on from
    step: int = 0
    recorded: bool = True  # done: whether the run directory recorded its recipe
    extends: bool = False  # resume: a finished run trained further (max_steps or num_train_epochs raised)

    def describe(self) -> str:
        """A short phrase for a listing (e.g. a sweep's points)."""
        if self.action == "refuse":
            if self.changes:
                return f"holds {self.what} of a different recipe (changed: {'; '.join(self.changes)})"
            return "holds a finished adapter and no checkpoint to train on from"
        if self.action == "done":
            return "finished" if self.recorded else "finished (no record of its recipe)"
        if self.action == "resume":
            return f"{'train on' if self.extends else 'resume'} from {self.checkpoint.name}"
        return {"new": "train", "restart": "train (no complete checkpoint: starting over)"}[self.action]


def assess_run(run_dir: Path, config: dict[str, Any]) -> RunState:
    """How a `train` launch of `config` would treat `run_dir`, read without changing anything: the one
    decision `eai train` and `eai sweep` share. A run directory records the train config its adapter was made
    with (TRAIN_RECORD); a different recipe (beyond the resume-safe keys) is refused, never mixed or skipped."""
    adapter_dir = run_dir / "adapter"
    if not adapter_dir.is_dir() or not any(adapter_dir.iterdir()):
        return RunState("new")
    record = _read_record(run_dir)
    done = checkpoints(adapter_dir)
    if is_finished(adapter_dir):
        if record is None:
            return RunState("done", recorded=False)
        changes = recipe_changes(record, config)
        if changes:
            return RunState("refuse", "a finished adapter", tuple(changes))
        if all(record.get(k) == config.get(k) for k in ("max_steps", "num_train_epochs")):
            return RunState("done")
        if not done:
            return RunState("refuse", "a finished adapter")
        return RunState("resume", checkpoint=done[-1][1], step=done[-1][0], extends=True)
    if not done:
        return RunState("restart")
    changes = recipe_changes(record, config) if record is not None else []
    if changes:
        return RunState("refuse", "checkpoints", tuple(changes))
    return RunState("resume", checkpoint=done[-1][1], step=done[-1][0])


def _refusal(rendered: recipes.Rendered, state: RunState) -> EaiError:
    if state.changes:
        return _mixing_error(rendered, state.what, list(state.changes))
    return EaiError(f"{rendered.run_dir / 'adapter'} holds a finished adapter and no checkpoint to train on from; "
                    "add --fresh to train again, or choose another --run-name")


def plan_training(rendered: recipes.Rendered, config: dict[str, Any], *, fresh: bool = False) -> str:
    """Decide how a `train` launch treats its run directory: 'fresh', 'resume' or 'done'. Prints what it
    decided; raises when the run directory holds a different recipe's checkpoints."""
    adapter_dir = rendered.run_dir / "adapter"
    record_path = rendered.run_dir / TRAIN_RECORD
    if fresh:
        shutil.rmtree(adapter_dir, ignore_errors=True)
        record_path.unlink(missing_ok=True)
    if adapter_dir.is_dir():
        for path in set_aside_incomplete(adapter_dir):
            print(f"==> train: {path.name}: cut off while being saved; set aside", file=sys.stderr)
    state = assess_run(rendered.run_dir, config)
    if state.action == "new":
        return "fresh"
    if state.action == "restart":
        print(f"==> train: {adapter_dir} has no complete checkpoint (it stopped before its first save): "
              "starting over", file=sys.stderr)
        shutil.rmtree(adapter_dir)
        return "fresh"
    if state.action == "done":
        how = "with this recipe" if state.recorded else "(no record of its recipe)"
        print(f"==> train: {adapter_dir} is already trained {how}; nothing to do (--fresh trains it again)",
              file=sys.stderr)
        return "done"
    if state.action == "refuse":
        raise _refusal(rendered, state)
    total = config.get("max_steps") or f"{config.get('num_train_epochs')} epochs"
    print(f"==> train: resuming from {state.checkpoint} (step {state.step} of {total})", file=sys.stderr)
    return "resume"


def _resume_hint(rendered: recipes.Rendered) -> str:
    done = checkpoints(rendered.run_dir / "adapter")
    if not done:
        return ""
    return f"\n  re-run the same `eai train` command to resume from {done[-1][1]}"


# --------------------------------------------------------------------------------------------- running


def _show_progress(lines: list[str]) -> None:
    """In quiet mode, keep only the progress bar and the loss lines of LLaMA-Factory's output."""
    for line in lines:
        text = line.strip()
        if "%|" in text and ("it/s" in text or "s/it" in text or text.endswith("]")):
            sys.stderr.write("\r    " + text[-110:])
        elif text.startswith(("{'loss'", "{'train_loss'", "{'eval_loss'")):
            sys.stderr.write("\r    " + text[:110] + "\n")
    sys.stderr.flush()


def run_logged(cmd: list[str], log_path: Path, *, env: dict[str, str] | None = None, quiet: bool = False,
               shown_env: dict[str, str] | None = None) -> float:
    """Run a command, copying its output to the terminal (unless quiet) and to log_path; return seconds.

    Raises LaunchError with the exit code, the log path and the log's last lines when it fails.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    partial = b""
    start = time.monotonic()
    shown = recipes.env_prefix(dict(shown_env)) if shown_env else ""
    with open(log_path, "wb") as log:
        log.write(("$ " + shown + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        try:
            while chunk := os.read(fd, 65536):
                log.write(chunk)
                if not quiet:
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.buffer.flush()
                lines = (partial + chunk).replace(b"\r", b"\n").split(b"\n")
                partial = lines.pop()
                decoded = [line.decode(errors="replace") for line in lines if line.strip()]
                tail.extend(decoded)
                if quiet:
                    _show_progress(decoded)
        except KeyboardInterrupt:
            proc.wait()  # the child got the same Ctrl-C; let it save what it can
            raise
        returncode = proc.wait()
        if quiet:
            sys.stderr.write("\n")
    if partial.strip():
        tail.append(partial.decode(errors="replace"))
    if returncode != 0:
        last = "\n".join(f"    {line}" for line in tail)
        raise LaunchError(
            f"`{' '.join(cmd)}` exited with code {returncode}; full log: {log_path}\n  last lines:\n{last}",
            returncode,
        )
    return time.monotonic() - start


def run_stage(rendered: recipes.Rendered, stage: str, *, quiet: bool = False) -> float:
    validate_once(rendered, stage)
    env, launch_vars = stage_env(rendered, stage)
    cmd = [llamafactory_cli(), *rendered.command(stage)[1:]]
    log_path = rendered.run_dir / "logs" / f"{stage}.log"
    shown = recipes.env_prefix(dict(launch_vars)) + " ".join(rendered.command(stage))
    print(f"==> {stage}: {shown}  (log: {log_path})", file=sys.stderr, flush=True)
    seconds = run_logged(cmd, log_path, env=env, quiet=quiet, shown_env=launch_vars)
    print(f"==> {stage}: done in {seconds:.1f}s", file=sys.stderr, flush=True)
    return seconds


def prepare(args: argparse.Namespace, *, stage_in: Path | None = None) -> recipes.Rendered:
    if getattr(args, "runs_on", None):
        link_runs(Path(args.runs_on))
    return recipes.render_from_args(args, stage_in=stage_in)


def build_data_if_missing(values: dict) -> None:
    """`eai data build` into the recipe's dataset_dir when it has no dataset_info.json (a fresh clone)."""
    from eai_recipes import cli

    dataset_dir = Path(str(values.get("dataset_dir", "data")))
    if (dataset_dir / "dataset_info.json").exists():
        return
    print(f"==> data: {dataset_dir}/dataset_info.json is missing: eai data build --out {dataset_dir}",
          file=sys.stderr, flush=True)
    if cli.main(["data", "build", "--out", str(dataset_dir)]) != 0:
        raise EaiError(f"`eai data build --out {dataset_dir}` failed (see above); training did not start")


def train(rendered: recipes.Rendered, *, fresh: bool = False, quiet: bool = False, build_data: bool = False) -> Path:
    if rendered.staged is not None:
        # Rendered aside: a run directory whose checkpoints belong to another recipe must keep the files that
        # describe them, so the new ones move in only once the recipe is known to fit the run.
        state = assess_run(rendered.run_dir, rendered.config("train"))
        if state.action == "refuse" and not fresh:
            raise _refusal(rendered, state)
        rendered.commit()
    check_gpu(rendered.profile)
    validate_once(rendered, "train")
    config = _config(rendered, "train")
    check_packages(config, rendered.env)
    check_model(rendered.values)
    if build_data:
        build_data_if_missing(rendered.values)
    check_datasets(rendered.values, ("dataset", "eval_dataset"))
    recipes.resolve_env(rendered.env, dict(os.environ), rendered.profile.name)  # missing ones fail before any work
    adapter_dir = rendered.run_dir / "adapter"
    if plan_training(rendered, config, fresh=fresh) == "done":
        return adapter_dir
    (rendered.run_dir / TRAIN_RECORD).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    try:
        run_stage(rendered, "train", quiet=quiet)
    except LaunchError as exc:
        raise LaunchError(str(exc) + _resume_hint(rendered), exc.exit_code) from None
    except KeyboardInterrupt:
        raise LaunchError("training interrupted" + _resume_hint(rendered), 130) from None
    return adapter_dir


def _check_adapter(rendered: recipes.Rendered) -> None:
    adapter = rendered.run_dir / "adapter" / "adapter_config.json"
    if not adapter.exists():
        raise EaiError(f"no trained adapter at {adapter.parent}: run `eai train --profile {rendered.profile.name}` "
                       "first (with the same --run-name)")


def predict(rendered: recipes.Rendered, which: str = "both", *, quiet: bool = False) -> dict[str, Path]:
    check_gpu(rendered.profile)
    stages = {"base": "predict_base", "adapter": "predict_adapter"}
    chosen = list(stages) if which == "both" else [which]
    for name in chosen:
        validate_once(rendered, stages[name])
    check_model(rendered.values)
    check_datasets(rendered.values, ("eval_dataset",))
    if "adapter" in chosen:
        _check_adapter(rendered)
    out: dict[str, Path] = {}
    for name in chosen:
        run_stage(rendered, stages[name], quiet=quiet)
        out[name] = rendered.run_dir / "predict" / name
    return out


def export(rendered: recipes.Rendered, *, quiet: bool = False) -> Path:
    validate_once(rendered, "export")
    check_model(rendered.values)
    _check_adapter(rendered)
    run_stage(rendered, "export", quiet=quiet)
    return rendered.run_dir / "merged"


# ---------------------------------------------------------------------------------- runs on other storage


def link_runs(target: Path, runs: Path = paths.RUNS_DIR) -> Path:
    """Make runs/ a link to `target` (e.g. a mounted Google Drive folder) so that checkpoints outlive the
    machine, while rendered recipes keep saying runs/... . Never moves or deletes a run."""
    target = target.expanduser()
    target.mkdir(parents=True, exist_ok=True)
    if runs.is_symlink():
        if runs.resolve() == target.resolve():
            return target
        raise EaiError(f"{runs} already links to {os.readlink(runs)}; remove that link to use {target}")
    if runs.exists():
        if any(runs.iterdir()):
            raise EaiError(f"{runs}/ already holds runs on this machine; move them to {target} first "
                           f"(mv {runs}/* {target}/) so that nothing is lost, then re-run")
        runs.rmdir()
    runs.symlink_to(target.resolve(), target_is_directory=True)
    print(f"eai: {runs}/ -> {target} (checkpoints are kept there)", file=sys.stderr)
    return target


# ------------------------------------------------------------------------------------------------- CLI


def cmd_train(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="eai-render-") as scratch:
        train(prepare(args, stage_in=Path(scratch)), fresh=args.fresh, build_data=args.build_data)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    predict(prepare(args), args.which)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    export(prepare(args))
    return 0


def _add_runs_on(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-on", metavar="DIR",
                   help="keep runs/ on DIR, e.g. a mounted Google Drive folder, by making runs/ a link to it "
                        "(rendered recipes still say runs/...)")


def register(subparsers: argparse._SubParsersAction) -> None:
    common: dict = {}
    t = subparsers.add_parser(
        "train", help="QLoRA fine-tune with llamafactory-cli train (resumes an interrupted run)",
        description="Render the profile's recipes into runs/<run-name>/, validate train.yaml with LLaMA-Factory's "
                    "parser, check packages, model and data, then run `llamafactory-cli train "
                    "runs/<run-name>/train.yaml` with the profile's launch variables (torchrun, Ray), logging to "
                    "runs/<run-name>/logs/train.log. Re-running the same command after an interruption resumes "
                    "from the last complete checkpoint; a finished run is left as it is.",
        **common,
    )
    recipes.add_render_options(t)
    _add_runs_on(t)
    t.add_argument("--fresh", action="store_true", help="delete a previous adapter of this run and start over")
    t.add_argument("--build-data", action="store_true",
                   help="if data/dataset_info.json is missing, build the datasets first with `eai data build` "
                        "(what `make train` does on a fresh clone); the GPU is checked before")
    t.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "predict", help="generate on the validation set with the base model and/or the adapter",
        description="Run `llamafactory-cli train` with do_predict + predict_with_generate on the eval dataset, "
                    "for the base model and the fine-tuned adapter (same data and generation settings). "
                    "Writes runs/<run-name>/predict/{base,adapter}/generated_predictions.jsonl and metrics.",
        **common,
    )
    recipes.add_render_options(p)
    _add_runs_on(p)
    p.add_argument("--which", choices=["base", "adapter", "both"], default="both", help="which model(s) to run (default: both)")
    p.set_defaults(func=cmd_predict)

    e = subparsers.add_parser(
        "export", help="merge the adapter into the base model with llamafactory-cli export",
        description="Run `llamafactory-cli export` to merge runs/<run-name>/adapter into the (unquantized) base "
                    "model, writing runs/<run-name>/merged (safetensors, tokenizer, an Ollama Modelfile).",
        **common,
    )
    recipes.add_render_options(e)
    _add_runs_on(e)
    e.set_defaults(func=cmd_export)
