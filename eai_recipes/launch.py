"""Run `llamafactory-cli` on rendered recipes: train, predict (base and adapter) and export.

The launcher renders and validates first, checks that the data and model are where the recipe says, then
shells out, streaming LLaMA-Factory's output to the terminal and to runs/<run>/logs/<stage>.log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from importlib import metadata
from pathlib import Path

from eai_recipes import paths, recipes
from eai_recipes.errors import EaiError

TAIL_LINES = 20


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


# ------------------------------------------------------------------------------------------ validation


def _stamp_key(path: Path) -> str:
    """Validation depends on the file, the LLaMA-Factory version and whether a GPU is there."""
    h = hashlib.sha256(path.read_bytes())
    h.update(metadata.version("llamafactory").encode())
    h.update(str(bool(shutil.which("nvidia-smi"))).encode())
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
    recipes.validate_file(path, recipes.STAGES[stage].cli)
    stamps[stage] = key
    stamps_path.write_text(json.dumps(stamps, indent=2) + "\n")


# --------------------------------------------------------------------------------------------- running


def _show_progress(lines: list[str]) -> None:
    """In quiet mode, keep only the progress bar and the loss lines of LLaMA-Factory's output."""
    for line in lines:
        text = line.strip()
        if "%|" in text and ("it/s" in text or "s/it" in text or text.endswith("]")):
            sys.stderr.write("\r    " + text[-110:])
        elif text.startswith("{'loss'") or text.startswith("{'train_loss'"):
            sys.stderr.write("\r    " + text[:110] + "\n")
    sys.stderr.flush()


def run_logged(cmd: list[str], log_path: Path, *, env: dict[str, str] | None = None, quiet: bool = False) -> float:
    """Run a command, copying its output to the terminal (unless quiet) and to log_path; return seconds.

    Raises LaunchError with the exit code, the log path and the log's last lines when it fails.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    partial = b""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
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
    cmd = [llamafactory_cli(), *rendered.command(stage)[1:]]
    log_path = rendered.run_dir / "logs" / f"{stage}.log"
    print(f"==> {stage}: {' '.join(rendered.command(stage))}  (log: {log_path})", file=sys.stderr, flush=True)
    seconds = run_logged(cmd, log_path, quiet=quiet)
    print(f"==> {stage}: done in {seconds:.1f}s", file=sys.stderr, flush=True)
    return seconds


def prepare(args: argparse.Namespace) -> recipes.Rendered:
    return recipes.render(args.profile, recipes.parse_sets(args.sets), run_name=args.run_name)


def train(rendered: recipes.Rendered, *, fresh: bool = False, quiet: bool = False) -> Path:
    check_gpu(rendered.profile)
    validate_once(rendered, "train")
    check_model(rendered.values)
    check_datasets(rendered.values, ("dataset",))
    adapter_dir = rendered.run_dir / "adapter"
    if fresh and adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    run_stage(rendered, "train", quiet=quiet)
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


# ------------------------------------------------------------------------------------------------- CLI


def cmd_train(args: argparse.Namespace) -> int:
    train(prepare(args), fresh=args.fresh)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    predict(prepare(args), args.which)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    export(prepare(args))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    common = dict(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t = subparsers.add_parser(
        "train", help="QLoRA fine-tune with llamafactory-cli train",
        description="Render the profile's recipes into runs/<run-name>/, validate train.yaml with LLaMA-Factory's "
                    "parser, then run `llamafactory-cli train runs/<run-name>/train.yaml`, logging to "
                    "runs/<run-name>/logs/train.log. An interrupted run resumes from its last checkpoint.",
        **common,
    )
    recipes.add_render_options(t)
    t.add_argument("--fresh", action="store_true", help="delete a previous adapter of this run and start over")
    t.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "predict", help="generate on the validation set with the base model and/or the adapter",
        description="Run `llamafactory-cli train` with do_predict + predict_with_generate on the eval dataset, "
                    "for the base model and the fine-tuned adapter (same data and generation settings). "
                    "Writes runs/<run-name>/predict/{base,adapter}/generated_predictions.jsonl and metrics.",
        **common,
    )
    recipes.add_render_options(p)
    p.add_argument("--which", choices=["base", "adapter", "both"], default="both", help="which model(s) to run")
    p.set_defaults(func=cmd_predict)

    e = subparsers.add_parser(
        "export", help="merge the adapter into the base model with llamafactory-cli export",
        description="Run `llamafactory-cli export` to merge runs/<run-name>/adapter into the (unquantized) base "
                    "model, writing runs/<run-name>/merged (safetensors, tokenizer, an Ollama Modelfile).",
        **common,
    )
    recipes.add_render_options(e)
    e.set_defaults(func=cmd_export)
