"""Running llamafactory-cli as a child: its environment (launch variables come only from the rendered
command), its output streamed to the terminal and appended to runs/<run>/logs/<stage>.log, signals
forwarded to its whole process group, and the train, predict and export stages on a rendered run."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import (
    check_datasets,
    check_gpu,
    check_model,
    check_packages,
    llamafactory_cli,
    validate_once,
)
from eai_recipes.launch.resume import (
    TRAIN_RECORD,
    assess_run,
    is_finished,
    plan_training,
    refusal,
    resume_hint,
)
from eai_recipes.recipes.launch_env import LAUNCH_ENV, env_prefix, resolve_env
from eai_recipes.recipes.render import ALL_STAGES, Rendered

TAIL_LINES = 20


class LaunchError(EaiError):
    """llamafactory-cli failed; carries its exit code so `eai` can exit with it."""

    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.exit_code = returncode if 0 < returncode < 256 else 1


# -------------------------------------------------------------------------------- launch environment

# Launch variables reach llamafactory-cli only from the rendered command, so that what ran is what the file
# says: a stray FORCE_TORCHRUN=1 in the shell must not turn a prediction into a torchrun job.
_FROM_PROFILE_ONLY = tuple(k for k in LAUNCH_ENV if k != "CUDA_VISIBLE_DEVICES")


def stage_env(rendered: Rendered, stage: str,
              environ: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(the child's whole environment, the launch variables shown in the log) for one stage."""
    environ = dict(os.environ if environ is None else environ)
    launch = {}
    if ALL_STAGES[stage].launch_env:
        launch = resolve_env(rendered.env, environ, rendered.profile.name)
    for key in _FROM_PROFILE_ONLY:
        if key in environ and launch.get(key) != environ[key]:
            print(f"eai: note: {stage}: ignoring {key}={environ[key]} from your environment; launch variables "
                  "come from the profile or --env, as the rendered command shows", file=sys.stderr)
    child = {k: v for k, v in environ.items() if k not in _FROM_PROFILE_ONLY}
    # torchrun is a console script beside this interpreter; the venv need not be activated.
    child["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environ.get("PATH", "")
    child.update(launch)
    return child, launch





_FORWARDED = (signal.SIGTERM, signal.SIGHUP)
_previous_handlers: dict[int, dict[int, object]] = {}


def start_child(cmd: list[str], **popen: object) -> subprocess.Popen:
    """Start a child in its own process group and forward SIGTERM and SIGHUP sent to `eai` to that whole
    group: llamafactory-cli starts its own children (torchrun workers, the WebUI's server), which must not
    be left running when `eai` is stopped. Ctrl-C reaches only `eai` (the group is not in the foreground),
    which passes it on with stop_child. Call restore_signals(proc) once the child has ended."""
    proc = subprocess.Popen(cmd, start_new_session=True, **popen)  # noqa: S603 (our own argv, no shell)
    if threading.current_thread() is threading.main_thread():
        def forward(signum, _frame):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signum)

        _previous_handlers[proc.pid] = {s: signal.signal(s, forward) for s in _FORWARDED}
    return proc


def stop_child(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Send `sig` to the child's process group and wait for it to end."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    return proc.wait()


def restore_signals(proc: subprocess.Popen) -> None:
    for sig, handler in _previous_handlers.pop(proc.pid, {}).items():
        signal.signal(sig, handler)


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
    shown = env_prefix(dict(shown_env)) if shown_env else ""
    earlier = log_path.is_file() and log_path.stat().st_size > 0
    with open(log_path, "ab") as log:  # a resumed run keeps the interrupted attempt's log above its own
        if earlier:
            log.write(f"\n===== eai: new attempt at {time.strftime('%Y-%m-%d %H:%M:%S')} =====\n".encode())
        log.write(("$ " + shown + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = start_child(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
            stop_child(proc, signal.SIGINT)  # let it save what it can
            raise
        finally:
            restore_signals(proc)
        returncode = proc.wait()
        if quiet:
            sys.stderr.write("\n")
    if partial.strip():
        tail.append(partial.decode(errors="replace"))
    if returncode != 0:
        last = "\n".join(f"    {line}" for line in tail)
        if returncode < 0:  # ended by a signal: exit as a shell would (143 for SIGTERM)
            returncode = 128 - returncode
        raise LaunchError(
            f"`{' '.join(cmd)}` exited with code {returncode}; full log: {log_path}\n  last lines:\n{last}",
            returncode,
        )
    return time.monotonic() - start


def run_stage(rendered: Rendered, stage: str, *, quiet: bool = False) -> float:
    validate_once(rendered, stage)
    env, launch_vars = stage_env(rendered, stage)
    cmd = [llamafactory_cli(), *rendered.command(stage)[1:]]
    log_path = rendered.run_dir / "logs" / f"{stage}.log"
    shown = env_prefix(dict(launch_vars)) + " ".join(rendered.command(stage))
    print(f"==> {stage}: {shown}  (log: {log_path})", file=sys.stderr, flush=True)
    seconds = run_logged(cmd, log_path, env=env, quiet=quiet, shown_env=launch_vars)
    print(f"==> {stage}: done in {seconds:.1f}s", file=sys.stderr, flush=True)
    return seconds


def build_data_if_missing(values: dict) -> None:
    """`eai data build` into the recipe's dataset_dir when it has no dataset_info.json (a fresh clone)."""
    from eai_recipes.data.build import build_datasets

    dataset_dir = Path(str(values.get("dataset_dir", "data")))
    if (dataset_dir / "dataset_info.json").exists():
        return
    print(f"==> data: {dataset_dir}/dataset_info.json is missing: eai data build --out {dataset_dir}",
          file=sys.stderr, flush=True)
    try:
        build_datasets(dataset_dir)
    except EaiError as exc:
        raise EaiError(f"`eai data build --out {dataset_dir}` failed, so training did not start: {exc}") from None


# Keys an SFT run and the run chained onto it (--from-run) must share: the adapter belongs to that base model
# and was trained with that chat template.
CHAIN_KEYS = ("model_name_or_path", "template", "finetuning_type", "quantization_bit")


def check_from_run(rendered: Rendered) -> None:
    """A run chained with --from-run needs that run finished (its adapter saved), on the same base model and
    template; a preference recipe needs --from-run. Checked in seconds, before any model loads."""
    stage = rendered.values.get("stage", "sft")
    if rendered.from_run is None:
        if stage != "sft":
            raise EaiError(f"recipe '{rendered.profile.recipe}' (stage: {stage}) is a pass after SFT: add --from-run "
                           f"<the finished SFT run>, e.g. --from-run demo (its adapter starts the policy and is the "
                           f"reference model's)")
        return
    source, adapter = rendered.from_run, rendered.from_run / "adapter"
    if source.resolve() == rendered.run_dir.resolve():
        raise EaiError(f"--from-run {source.name}: that is this run; give the SFT run and a new --run-name")
    if not is_finished(adapter) or not (adapter / "adapter_config.json").is_file():
        raise EaiError(f"--from-run {source.name}: {adapter} is not a finished run (no train_results.json and "
                       f"adapter_config.json); finish it first, e.g. `eai train --profile {rendered.profile.name} "
                       f"--run-name {source.name}` (or `eai demo` for runs/demo)")
    record_path = source / TRAIN_RECORD
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else None
    if record is None:
        print(f"eai: warning: {record_path} is missing, so the base model of --from-run {source.name} cannot be "
              "compared with this recipe's", file=sys.stderr)
        return
    differ = [f"{k}: {record.get(k)!r} there, {rendered.values.get(k)!r} here" for k in CHAIN_KEYS
              if record.get(k) != rendered.values.get(k)]
    if differ:
        raise EaiError(f"--from-run {source.name}: its adapter was trained with other settings "
                       f"({'; '.join(differ)}); chain onto a run of the same profile (profile "
                       f"'{rendered.profile.name}', {rendered.profile.path})")


def train(rendered: Rendered, *, fresh: bool = False, quiet: bool = False, build_data: bool = False) -> Path:
    if rendered.staged is not None:
        # Rendered aside: a run directory whose checkpoints belong to another recipe must keep the files that
        # describe them, so the new ones move in only once the recipe is known to fit the run.
        state = assess_run(rendered.run_dir, rendered.config("train"))
        if state.action == "refuse" and not fresh:
            raise refusal(rendered, state)
        rendered.commit()
    check_gpu(rendered.profile)
    check_from_run(rendered)
    validate_once(rendered, "train")
    config = rendered.config("train")
    check_packages(config, rendered.env)
    check_model(rendered.values)
    if build_data:
        build_data_if_missing(rendered.values)
    check_datasets(rendered.values, ("dataset", "eval_dataset"))
    resolve_env(rendered.env, dict(os.environ), rendered.profile.name)  # missing ones fail before any work
    adapter_dir = rendered.run_dir / "adapter"
    if plan_training(rendered, config, fresh=fresh) == "done":
        return adapter_dir
    (rendered.run_dir / TRAIN_RECORD).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    try:
        run_stage(rendered, "train", quiet=quiet)
    except LaunchError as exc:
        raise LaunchError(str(exc) + resume_hint(rendered), exc.exit_code) from None
    except KeyboardInterrupt:
        raise LaunchError("training interrupted" + resume_hint(rendered), 130) from None
    return adapter_dir


def _check_adapter(rendered: Rendered) -> None:
    adapter = rendered.run_dir / "adapter" / "adapter_config.json"
    if not adapter.exists():
        raise EaiError(f"no trained adapter at {adapter.parent}: run `eai train --profile {rendered.profile.name}` "
                       "first (with the same --run-name)")


# What `predict --which` names -> the stages it runs; a chained run (--from-run) also has sft and crisis.
PREDICT_STAGES = {"base": ("predict_base",), "adapter": ("predict_adapter",), "sft": ("predict_sft",),
                  "crisis": ("predict_crisis_sft", "predict_crisis_adapter")}


def predict(rendered: Rendered, which: str = "both", *, quiet: bool = False) -> dict[str, Path]:
    """`which`: base, adapter, both (base and adapter; for a chained run also sft and crisis), sft, crisis."""
    check_gpu(rendered.profile)
    names = ["base", "adapter"] if which == "both" else [which]
    if which == "both" and rendered.from_run is not None:
        names += ["sft", "crisis"]
    if any(n in ("sft", "crisis") for n in names) and rendered.from_run is None:
        raise EaiError(f"--which {which}: predicting with the SFT adapter needs --from-run <the SFT run>")
    stages = [stage for n in names for stage in PREDICT_STAGES[n]]
    for stage in stages:
        validate_once(rendered, stage)
    check_model(rendered.values)
    check_datasets(rendered.values, ("predict_dataset",) if rendered.values.get("predict_dataset") else
                   ("eval_dataset",))
    if "crisis" in names:
        check_datasets({**rendered.values, "crisis": "eai_crisis"}, ("crisis",))
    if any(n in ("adapter", "crisis") for n in names):
        _check_adapter(rendered)
    if rendered.from_run is not None and any(n in ("sft", "crisis") for n in names):
        check_from_run(rendered)
    out: dict[str, Path] = {}
    for stage in stages:
        run_stage(rendered, stage, quiet=quiet)
        out[stage.removeprefix("predict_")] = Path(str(rendered.config(stage)["output_dir"]))
    return out


def export(rendered: Rendered, *, quiet: bool = False) -> Path:
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


