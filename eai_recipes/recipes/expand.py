"""Our options that expand into LLaMA-Factory keys (`tracker`, a shipped DeepSpeed name), and the checks a
merged recipe must pass before it is rendered: no secrets, GPU-only keys only on GPU profiles, distributed
keys only under a multi-process launch."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.recipes.launch_env import flag_on
from eai_recipes.recipes.profiles import Profile

DEEPSPEED_DIR = paths.RECIPES_DIR / "deepspeed"


# `tracker` is ours: it expands to LLaMA-Factory's own monitoring keys.
TRACKERS = {
    "none": "no tracker (the loss plot is still written with plot_loss)",
    "tensorboard": "TensorBoard event files under runs/<run>/adapter/runs/; offline",
    "swanlab": "SwanLab (the paper's): swanlab_mode local (offline, the default) or cloud",
    "wandb": "Weights & Biases: online unless WANDB_MODE=offline is set in the environment",
}

# Keys that only work on a CUDA GPU, and why: refused in a CPU profile at render time.
GPU_ONLY = {
    "enable_liger_kernel": "Liger kernels are Triton GPU kernels",
    "use_unsloth": "Unsloth runs on CUDA GPUs only",
    "deepspeed": "these DeepSpeed configs shard across GPUs",
}

# Keys whose name says they hold a secret: never written into a recipe meant to be shared.
_SECRET_KEY = re.compile(r"(^|_)(token|api_key|secret|password|webhook_url)$")
_SECRET_VALUE = re.compile(r"\b(hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{20,})")
_SECRET_ENV = {"hub_token": "HF_TOKEN", "hf_hub_token": "HF_TOKEN", "swanlab_api_key": "SWANLAB_API_KEY"}


def _where(sources: dict[str, str], key: str) -> str:
    return sources.get(key, "the recipe")


def _check_secrets(values: dict[str, Any], sources: dict[str, str]) -> None:
    for key, value in values.items():
        if value in (None, "", False):
            continue
        if _SECRET_KEY.search(key) or _SECRET_VALUE.search(str(value)):
            instead = _SECRET_ENV.get(key)
            how = f"set {instead} in the environment" if instead else "keep it in the environment or a login"
            raise EaiError(f"{_where(sources, key)}: key '{key}' holds a secret and rendered recipes are meant to "
                           f"be shared and committed; remove it and {how}")


def _warn_absolute_paths(values: dict[str, Any], sources: dict[str, str]) -> None:
    for key, value in values.items():
        if key == "deepspeed":
            continue  # copied into the run directory: the rendered path is relative
        if isinstance(value, str) and (value.startswith(("/", "~")) or re.match(r"[A-Za-z]:\\", value)):
            print(f"eai: warning: {_where(sources, key)}: {key}={value} is a machine path: the rendered recipe "
                  "will only run on this machine (keep models under models/ and use a relative path)",
                  file=sys.stderr)


def _check_hardware(profile: Profile, values: dict[str, Any], sources: dict[str, str]) -> None:
    """Speed options go only where they can work."""
    if not profile.requires_gpu:
        for key, why in GPU_ONLY.items():
            if values.get(key):
                raise EaiError(f"{_where(sources, key)}: key '{key}' needs a CUDA GPU ({why}) and profile "
                               f"'{profile.name}' runs on CPU (requires_gpu: false); use a GPU profile")
        if str(values.get("flash_attn", "")).lower() in ("fa2", "fa3"):
            raise EaiError(f"{_where(sources, 'flash_attn')}: flash_attn: {values['flash_attn']} needs a CUDA GPU "
                           f"and profile '{profile.name}' runs on CPU; allowed here: auto, disabled, sdpa")


# Keys that only mean something in a multi-process launch; in one process they break the run.
DISTRIBUTED_ONLY = ("deepspeed", "ddp_backend")


def _check_distributed(profile: Profile, values: dict[str, Any], sources: dict[str, str]) -> None:
    if any(flag_on(profile.env.get(k)) for k in ("FORCE_TORCHRUN", "USE_RAY")):
        return
    for key in DISTRIBUTED_ONLY:
        if values.get(key):
            raise EaiError(f"{_where(sources, key)}: key '{key}' needs a multi-process launch and profile "
                           f"'{profile.name}' starts one process: set FORCE_TORCHRUN: 1 under env in "
                           f"{profile.path.name}, or pass --env FORCE_TORCHRUN=1")


def _expand_tracker(values: dict[str, Any], run_name: str, run_dir: str, sources: dict[str, str]) -> None:
    tracker = values.pop("tracker", "none")
    if tracker is None or tracker is False:
        tracker = "none"
    if tracker not in TRACKERS:
        raise EaiError(f"{_where(sources, 'tracker')}: key 'tracker': got {tracker!r}, expected one of "
                       f"{', '.join(TRACKERS)}")
    swanlab_keys = sorted(k for k in values if k.startswith("swanlab_") or k == "use_swanlab")
    if tracker != "swanlab" and swanlab_keys:
        raise EaiError(f"{_where(sources, swanlab_keys[0])}: key '{swanlab_keys[0]}' applies only with tracker: "
                       f"swanlab (tracker is '{tracker}')")
    if values.get("report_to") not in (None, "none") and tracker != "none":
        raise EaiError(f"{_where(sources, 'report_to')}: key 'report_to' is set by 'tracker' ({tracker}); set "
                       f"tracker to one of {', '.join(TRACKERS)}, or tracker: none to use report_to yourself")
    if tracker == "tensorboard":
        values["report_to"] = "tensorboard"
    elif tracker == "wandb":
        values["report_to"] = "wandb"
        values.setdefault("run_name", run_name)
    elif tracker == "swanlab":
        values["report_to"] = "none"  # LLaMA-Factory adds its own SwanLab callback
        values["use_swanlab"] = True
        values.setdefault("swanlab_project", "eai")
        values.setdefault("swanlab_run_name", run_name)
        values.setdefault("swanlab_mode", "local")
        values.setdefault("swanlab_logdir", f"{run_dir}/swanlog")
    else:
        values.setdefault("report_to", "none")


def _deepspeed_file(value: Any, where: str) -> Path:
    shipped = sorted(p.stem for p in DEEPSPEED_DIR.glob("*.json"))
    path = DEEPSPEED_DIR / f"{value}.json" if re.fullmatch(r"[\w-]+", str(value)) else Path(str(value))
    if not path.is_file():
        raise EaiError(f"{where}: key 'deepspeed': {value!r} is neither a shipped config ({', '.join(shipped)}) "
                       "nor an existing JSON file")
    check_deepspeed_json(path, where)
    return path


def check_deepspeed_json(path: Path, where: str) -> int:
    """A DeepSpeed config must be JSON with a ZeRO stage; returns the stage."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EaiError(f"{where}: key 'deepspeed': {path} is not a readable JSON file ({exc})") from None
    stage = (config.get("zero_optimization") or {}).get("stage") if isinstance(config, dict) else None
    if stage not in (0, 1, 2, 3):
        raise EaiError(f"{where}: key 'deepspeed': {path} has no zero_optimization.stage of 0, 1, 2 or 3")
    return stage


def expand_values(profile: Profile, values: dict[str, Any], sources: dict[str, str], run_dir: Path,
                  run_name: str, files_dir: Path | None = None) -> dict[str, Any]:
    """Merged values -> the LLaMA-Factory keys the templates lay out: our options expanded, the DeepSpeed
    config copied into the run directory (written into files_dir when the files are staged elsewhere),
    hardware and secret rules checked."""
    out = {k: v for k, v in values.items()}
    _check_secrets(out, sources)
    _warn_absolute_paths(out, sources)
    _check_hardware(profile, out, sources)
    _check_distributed(profile, out, sources)
    _expand_tracker(out, run_name, run_dir.as_posix(), sources)
    if out.get("deepspeed"):
        source = _deepspeed_file(out["deepspeed"], _where(sources, "deepspeed"))
        stage = check_deepspeed_json(source, _where(sources, "deepspeed"))
        if out.get("use_unsloth") and stage == 3:  # LLaMA-Factory checks this only inside the torchrun workers
            raise EaiError(f"{_where(sources, 'use_unsloth')}: use_unsloth is incompatible with DeepSpeed ZeRO-3 "
                           f"({source.name}); use zero2 or drop use_unsloth")
        copy = (files_dir or run_dir) / "deepspeed.json"
        if source.resolve() != copy.resolve():
            shutil.copyfile(source, copy)
        out["deepspeed"] = (run_dir / "deepspeed.json").as_posix()
    return out


