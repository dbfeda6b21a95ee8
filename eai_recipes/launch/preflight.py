"""Preflight: what must be true before llamafactory-cli starts, checked in seconds so that a run fails
before it loads a model: the CLI is installed, the model and datasets are where the recipe says, the
profile's GPU is there, the optional packages the recipe needs are installed, and the rendered file passes
LLaMA-Factory's parser (cached per file, since the parser costs seconds of imports)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.recipes.launch_env import flag_on
from eai_recipes.recipes.profiles import Profile
from eai_recipes.recipes.render import ALL_STAGES, Rendered
from eai_recipes.recipes.validate import PACKAGE_KEYS, validate_file


def llamafactory_cli() -> str:
    """The llamafactory-cli of this interpreter's environment, even when the venv is not activated."""
    beside = Path(sys.executable).parent / "llamafactory-cli"
    if beside.exists():
        return str(beside)
    found = shutil.which("llamafactory-cli")
    if not found:
        raise EaiError("llamafactory-cli not found: run `make setup` (it installs LLaMA-Factory into .venv)")
    return found





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


def check_gpu(profile: Profile) -> None:
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
    if flag_on(env.get("USE_RAY")):
        reqs.append(Requirement("USE_RAY=1", ("ray",), "'ray[train]'"))
    return reqs


def check_packages(config: dict[str, Any], env: dict[str, str | None]) -> None:

    for req in required_packages(config, env):
        if any(importlib.util.find_spec(m) for m in req.modules):
            continue
        message = f"{req.what} needs the {req.modules[0]} package: pip install {req.pip}"
        if req.fatal:
            raise EaiError(message + " (or change the recipe: e.g. --set tracker=none)"
                           if req.what.startswith("report_to") else message)
        print(f"eai: warning: {message}; without it LLaMA-Factory falls back to the default attention",
              file=sys.stderr)



def _stamp_key(path: Path) -> str:
    """Validation depends on the file, the LLaMA-Factory version, whether a GPU is there and which optional
    packages are installed."""

    h = hashlib.sha256(path.read_bytes())
    h.update(metadata.version("llamafactory").encode())
    h.update(str(bool(shutil.which("nvidia-smi"))).encode())
    h.update(str([bool(importlib.util.find_spec(m)) for m in PACKAGE_KEYS.values()]).encode())
    return h.hexdigest()


def validate_once(rendered: Rendered, stage: str) -> None:
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
    validate_file(path, ALL_STAGES[stage].cli, rendered.sources)
    stamps[stage] = key
    stamps_path.write_text(json.dumps(stamps, indent=2) + "\n")

