"""Render LLaMA-Factory recipes: recipe values (what) + a profile (where: hardware values and the launch
environment) + --set/--env overrides, laid out by Jinja2 templates (how) into flat, complete YAML files, each
with its exact command on top; and validate them with LLaMA-Factory's own argument parser before anything
expensive runs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import importlib.util
import itertools
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError

DEEPSPEED_DIR = paths.RECIPES_DIR / "deepspeed"
SWEEPS_DIR = paths.RECIPES_DIR / "sweeps"


@dataclass(frozen=True)
class Stage:
    name: str
    template: str
    cli: str  # the llamafactory-cli sub-command
    context: dict[str, Any] = field(default_factory=dict)
    launch_env: bool = False  # whether the profile's launch environment (torchrun, Ray) applies


STAGES = {
    "train": Stage("train", "train.yaml.j2", "train", launch_env=True),
    "predict_base": Stage("predict_base", "predict.yaml.j2", "train", {"adapter": False}),
    "predict_adapter": Stage("predict_adapter", "predict.yaml.j2", "train", {"adapter": True}),
    "export": Stage("export", "export.yaml.j2", "export"),
}

PROFILE_KEYS = ("description", "recipe", "requires_gpu", "gpus", "gpu_memory_gb", "env", "values")


@dataclass
class Profile:
    name: str
    path: Path
    description: str
    recipe: str
    requires_gpu: bool
    values: dict[str, Any]
    env: dict[str, str | None] = field(default_factory=dict)  # None: required from the caller's environment
    gpus: list[str] = field(default_factory=list)  # GPU names `--profile auto` picks this profile for
    gpu_memory_gb: float | None = None  # estimated peak need per GPU


@dataclass
class Rendered:
    """One run's rendered recipes: stage name -> file, and the merged values they came from."""

    run_dir: Path
    profile: Profile
    values: dict[str, Any]
    files: dict[str, Path]
    env: dict[str, str | None] = field(default_factory=dict)  # launch environment of the train stage
    sources: dict[str, str] = field(default_factory=dict)  # key -> where its value was set
    # Where the files were written while they are not yet in run_dir (render(stage_in=...)); see commit().
    staged: Path | None = None

    def command(self, stage: str) -> list[str]:
        return ["llamafactory-cli", STAGES[stage].cli, str(self.files[stage])]

    def path_of(self, stage: str) -> Path:
        """Where a stage's file can be read now: its staged copy until commit(), then its place in run_dir."""
        return self.staged / self.files[stage].name if self.staged is not None else self.files[stage]

    def config(self, stage: str) -> dict[str, Any]:
        return load_yaml_mapping(self.path_of(stage))

    def commit(self) -> None:
        """Copy staged files (the stage YAMLs and a DeepSpeed config) into run_dir, replacing what is there:
        done only when the run is about to use them, so that a run directory keeps describing its adapter."""
        if self.staged is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.staged.iterdir()):
            if path.is_file():
                shutil.copyfile(path, self.run_dir / path.name)
        self.staged = None

    def shell_command(self, stage: str) -> str:
        """The command as a shell line, with the launch environment in front of the train stage."""
        prefix = env_prefix(self.env) if STAGES[stage].launch_env else ""
        return prefix + " ".join(shlex.quote(part) for part in self.command(stage))


# ------------------------------------------------------------------------------------ launch environment


@dataclass(frozen=True)
class EnvVar:
    help: str
    kind: str  # flag | count | index | port | host | devices | word


# What `llamafactory-cli train` reads from its environment to launch (llamafactory/launcher.py). These are
# the *where* of a run: profiles set them, --env overrides them, and they are rendered into the command.
LAUNCH_ENV = {
    "FORCE_TORCHRUN": EnvVar("1: run under torchrun, one process per GPU", "flag"),
    "NPROC_PER_NODE": EnvVar("processes (GPUs) per machine; LLaMA-Factory's default: all visible GPUs", "count"),
    "NNODES": EnvVar("number of machines", "count"),
    "NODE_RANK": EnvVar("this machine's rank, 0..NNODES-1; 0 is the master", "index"),
    "MASTER_ADDR": EnvVar("address of the rank-0 machine, reachable from every node", "host"),
    "MASTER_PORT": EnvVar("a free TCP port on the rank-0 machine", "port"),
    "USE_RAY": EnvVar("1: train through Ray workers (ray_num_workers) instead of torchrun", "flag"),
    "RDZV_ID": EnvVar("elastic launch: a rendezvous id shared by all nodes", "word"),
    "MIN_NNODES": EnvVar("elastic launch: fewest machines to run with", "count"),
    "MAX_NNODES": EnvVar("elastic launch: most machines to run with", "count"),
    "MAX_RESTARTS": EnvVar("elastic launch: restarts allowed after a failure", "index"),
    "CUDA_VISIBLE_DEVICES": EnvVar("the GPUs this run may use, e.g. 0,1", "devices"),
}

_ENV_KINDS = {
    "flag": (lambda v: v.lower() in {"0", "1", "true", "false", "y", "n"}, "0 or 1"),
    "count": (lambda v: v.isdigit() and int(v) >= 1, "an integer >= 1"),
    "index": (lambda v: v.isdigit(), "an integer >= 0"),
    "port": (lambda v: v.isdigit() and 1 <= int(v) <= 65535, "a port number 1..65535"),
    "host": (lambda v: bool(re.fullmatch(r"[A-Za-z0-9.:\[\]_-]+", v)), "a host name or IP address"),
    "devices": (lambda v: bool(re.fullmatch(r"[\w-]+(,[\w-]+)*", v)), "a comma-separated list of GPU ids"),
    "word": (lambda v: bool(re.fullmatch(r"[\w.-]+", v)), "letters, digits, '.', '_' or '-'"),
}


def _env_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _flag_on(value: str | None) -> bool:
    return value is not None and value.lower() in {"1", "true", "y"}


def check_env(env: dict[str, str | None], where: dict[str, str] | str) -> None:
    """Launch variables must be ones LLaMA-Factory reads, with values it can use, and agree with each other."""
    def src(key: str) -> str:
        return where if isinstance(where, str) else where.get(key, "the environment")

    for key, value in env.items():
        if key not in LAUNCH_ENV:
            close = difflib.get_close_matches(key, LAUNCH_ENV, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise EaiError(f"{src(key)}: unknown launch variable '{key}' ({hint}allowed: {', '.join(LAUNCH_ENV)})")
        if value is None:
            continue
        ok, allowed = _ENV_KINDS[LAUNCH_ENV[key].kind]
        if not ok(value):
            raise EaiError(f"{src(key)}: launch variable {key}: got {value!r}, expected {allowed} "
                           f"({LAUNCH_ENV[key].help})")
    if _flag_on(env.get("FORCE_TORCHRUN")) and _flag_on(env.get("USE_RAY")):
        raise EaiError(f"{src('USE_RAY')}: FORCE_TORCHRUN=1 and USE_RAY=1 are two launchers; choose one")
    nnodes, rank = env.get("NNODES"), env.get("NODE_RANK")
    if nnodes and rank and nnodes.isdigit() and rank.isdigit() and int(rank) >= int(nnodes):
        raise EaiError(f"{src('NODE_RANK')}: launch variable NODE_RANK={rank} must be below NNODES={nnodes}")
    if nnodes and nnodes.isdigit() and int(nnodes) > 1:
        missing = [k for k in ("NODE_RANK", "MASTER_ADDR") if k not in env]
        if missing:
            raise EaiError(f"{src('NNODES')}: NNODES={nnodes} needs {' and '.join(missing)} too "
                           f"({'; '.join(LAUNCH_ENV[k].help for k in missing)})")


def parse_env(items: list[str] | None) -> dict[str, str]:
    """`--env KEY=VALUE` pairs (launch variables for `llamafactory-cli train`)."""
    env: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise EaiError(f"--env {item!r}: expected KEY=VALUE, e.g. --env NPROC_PER_NODE=4")
        env[key.strip()] = value.strip()
    check_env(env, "--env")
    return env


def env_prefix(env: dict[str, str | None]) -> str:
    """`KEY=value ` for each launch variable; a required one reads the caller's shell (`${KEY:?}` stops the
    command when it is unset, rather than letting torchrun fall back to a wrong default)."""
    parts = [f"{k}=${{{k}:?}}" if v is None else f"{k}={shlex.quote(v)}" for k, v in env.items()]
    return "".join(p + " " for p in parts)


def resolve_env(env: dict[str, str | None], environ: dict[str, str], profile: str) -> dict[str, str]:
    """The launch variables with the required ones read from the caller's environment."""
    resolved: dict[str, str] = {}
    for key, value in env.items():
        if value is None:
            if not environ.get(key):
                needed = " ".join(f"{k}=..." for k, v in env.items() if v is None)
                raise EaiError(f"profile '{profile}' needs {key} in the environment ({LAUNCH_ENV[key].help}); "
                               f"run e.g. `{needed} eai train --profile {profile}` or pass --env {key}=...")
            value = environ[key]
        resolved[key] = value
    check_env(resolved, {k: "the environment" if env[k] is None else "the rendered command" for k in env})
    return resolved


# --------------------------------------------------------------------------------------------- loading


def available_profiles(profiles_dir: Path = paths.PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in profiles_dir.glob("*.yaml"))


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EaiError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise EaiError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def _values_of(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    values = data.get("values")
    if not isinstance(values, dict):
        raise EaiError(f"{path}: key 'values' must be a mapping of LLaMA-Factory keys to values")
    return values


def load_profile(name: str, profiles_dir: Path = paths.PROFILES_DIR) -> Profile:
    path = profiles_dir / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(available_profiles(profiles_dir)) or "none"
        raise EaiError(f"unknown profile '{name}' (no {path.name} in recipes/profiles/); available: {known}, auto")
    data = load_yaml_mapping(path)
    unknown = sorted(set(data) - set(PROFILE_KEYS))
    if unknown:
        raise EaiError(f"{path}: unknown key(s) {unknown}; allowed: {list(PROFILE_KEYS)}")
    recipe = data.get("recipe", "eai")
    if not isinstance(recipe, str):
        raise EaiError(f"{path}: key 'recipe' must be the name of a file in recipes/, e.g. eai")
    env = data.get("env") or {}
    if not isinstance(env, dict):
        raise EaiError(f"{path}: key 'env' must map launch variables to values (null: set by the caller), "
                       f"e.g. FORCE_TORCHRUN: 1")
    env = {str(k): _env_text(v) for k, v in env.items()}
    check_env(env, str(path))
    gpus = data.get("gpus") or []
    if not isinstance(gpus, list) or not all(isinstance(g, str) for g in gpus):
        raise EaiError(f"{path}: key 'gpus' must be a list of GPU names, e.g. [L4]")
    memory = data.get("gpu_memory_gb")
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, (int, float))):
        raise EaiError(f"{path}: key 'gpu_memory_gb' must be a number (GB per GPU), got {memory!r}")
    return Profile(
        name=name,
        path=path,
        description=str(data.get("description", "")),
        recipe=recipe,
        requires_gpu=bool(data.get("requires_gpu", False)),
        values=_values_of(path, data),
        env=env,
        gpus=gpus,
        gpu_memory_gb=memory,
    )


def load_recipe(name: str, recipes_dir: Path = paths.RECIPES_DIR) -> dict[str, Any]:
    path = recipes_dir / f"{name}.yaml"
    if not path.is_file():
        raise EaiError(f"recipe '{name}' not found: no {path.name} in recipes/")
    return _values_of(path, load_yaml_mapping(path))


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """`key=value` pairs; values are read as YAML scalars so `5e-5`, `true` and `8` get their types."""
    sets: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise EaiError(f"--set {item!r}: expected key=value, e.g. --set learning_rate=1e-4")
        sets[key] = _scalar(raw)
    return sets


def _scalar(raw: str) -> Any:
    """A command-line value as YAML reads it, except that `1e-4` is a number (YAML 1.1 wants `1.0e-4`)."""
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        return raw
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return value


def _recipes_dir_of(profile: Profile) -> Path:
    return profile.path.parent.parent


def merge_values(profile: Profile, sets: dict[str, Any]) -> dict[str, Any]:
    return {**load_recipe(profile.recipe, _recipes_dir_of(profile)), **profile.values, **sets}


def value_sources(profile: Profile, sets: dict[str, Any]) -> dict[str, str]:
    """Where each merged key was set, for error messages that point at the file to edit."""
    recipe_file = f"recipes/{profile.recipe}.yaml"
    sources = {k: recipe_file for k in load_recipe(profile.recipe, _recipes_dir_of(profile))}
    sources.update({k: f"recipes/profiles/{profile.name}.yaml" for k in profile.values})
    sources.update({k: "--set" for k in sets})
    return sources


# ------------------------------------------------------------------------------- choosing a GPU profile


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gb: float
    capability: tuple[int, int]

    @property
    def bf16(self) -> bool:
        return self.capability >= (8, 0)  # Ampere and newer


def detect_gpu() -> Gpu | None:
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return Gpu(props.name, props.total_memory / 2**30, (props.major, props.minor))


# When no profile names the GPU: the one-GPU profile for its precision.
FALLBACK_PROFILE = {True: "paper", False: "colab-t4"}


def pick_profile_for(gpu: Gpu, profiles: list[Profile]) -> tuple[str, str]:
    """The profile for a GPU: the one that lists its name under `gpus`, else by bf16 support. Returns the
    profile name and a sentence saying why."""
    name = gpu.name.lower()
    precision = "bf16" if gpu.bf16 else "no bf16: fp16"
    about = f"{gpu.name}, {gpu.memory_gb:.0f} GB, compute capability {gpu.capability[0]}.{gpu.capability[1]}, {precision}"
    chosen, why = None, ""
    for profile in profiles:
        if any(re.search(rf"(?<![a-z0-9]){re.escape(g.lower())}(?![0-9])", name) for g in profile.gpus):
            chosen, why = profile, f"listed for this GPU in {profile.path.name}"
            break
    if chosen is None:
        wanted = FALLBACK_PROFILE[gpu.bf16]
        chosen = next((p for p in profiles if p.name == wanted), None)
        if chosen is None:
            raise EaiError(f"no profile for {gpu.name}: add its name to `gpus:` in a profile")
        why = "no profile lists this GPU; chosen by precision"
    note = ""
    if chosen.gpu_memory_gb and gpu.memory_gb < chosen.gpu_memory_gb:
        note = (f"; warning: it needs about {chosen.gpu_memory_gb:g} GB and this GPU has {gpu.memory_gb:.0f} GB: "
                "try --profile colab-t4 or a smaller --set per_device_train_batch_size")
    return chosen.name, f"{about} ({why}){note}"


def pick_profile(profiles_dir: Path = paths.PROFILES_DIR) -> tuple[str, str]:
    gpu = detect_gpu()
    if gpu is None:
        raise EaiError("--profile auto picks a GPU profile and no CUDA GPU was found; on a CPU machine run "
                       "`make demo` (the tiny profile), or name a profile with --profile")
    return pick_profile_for(gpu, [load_profile(n, profiles_dir) for n in available_profiles(profiles_dir)])


# --------------------------------------------------------------------------- options that expand to keys

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
    if any(_flag_on(profile.env.get(k)) for k in ("FORCE_TORCHRUN", "USE_RAY")):
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


# ------------------------------------------------------------------------------------------- rendering


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return text[:-4].rstrip() if text.endswith(("\n...", " ...")) else text


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


class _Emitter:
    """Writes `key: value` lines for the keys a template names, remembering which ones it used. Keys that no
    template names still land, under `### other keys`, in the files `llamafactory-cli train` reads (so a
    typo reaches validation instead of vanishing); export takes only the keys its template names."""

    def __init__(self, values: dict[str, Any], known: set[str], sources: dict[str, str], *, extra: bool):
        self.values, self.known, self.sources, self.extra = values, known, sources, extra
        self.used: set[str] = set()

    def emit(self, *keys: str) -> str:
        self.used.update(keys)
        return "\n".join(f"{k}: {_yaml_scalar(self.values[k])}" for k in keys if self.values.get(k) is not None)

    def overrides(self) -> str:
        rest = [k for k in self.values if k not in self.known and self.values[k] is not None]
        if not self.extra or not rest:
            return ""
        lines = ["", "### other keys (no template lays them out)"]
        lines += [f"{k}: {_yaml_scalar(self.values[k])}  # from {self.sources.get(k, 'the recipe')}" for k in rest]
        return "\n".join(lines)


def _render_stage(env, stage: Stage, emitter: _Emitter, **context: Any) -> str:
    return env.get_template(stage.template).render(emit=emitter.emit, overrides=emitter.overrides,
                                                   **stage.context, **context)


def _template_keys(env, values: dict[str, Any]) -> set[str]:
    """Every key that some stage template lays out (found by a dry render)."""
    known: set[str] = set()
    for stage in STAGES.values():
        em = _Emitter(values, set(), {}, extra=False)
        _render_stage(env, stage, em, run_dir="runs/x", profile="", recipe="", sets="", command="", env_doc=[])
        known |= em.used
    return known


def _tidy(text: str) -> str:
    """Drop the blank lines and `### section` headers left by emits that had nothing to write."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("### "):
            following = next((ln for ln in lines[i + 1:] if ln.strip()), "")
            if not following or following.startswith("### "):
                continue
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _env_doc(env: dict[str, str | None]) -> list[str]:
    return [f"{k:15s} {LAUNCH_ENV[k].help}" + (" (set it in your shell)" if v is None else "")
            for k, v in env.items()]


_RUN_NAME = re.compile(r"[\w.+-]+(/[\w.+-]+)*")
_warned_absolute: set[str] = set()


def _portable(runs_dir: Path) -> Path:
    """The runs directory as rendered files should name it: relative to the current directory (where the
    commands run) when it lies inside it. Any other absolute directory stays as it is, with one warning:
    output_dir, adapter_name_or_path, export_dir and the command line would then hold a machine path."""
    if not runs_dir.is_absolute():
        return runs_dir
    cwd = Path.cwd()
    for base, target in ((Path(os.path.abspath(cwd)), Path(os.path.abspath(runs_dir))),
                         (cwd.resolve(), runs_dir.resolve())):
        try:
            return target.relative_to(base)
        except ValueError:
            continue
    if str(runs_dir) not in _warned_absolute:
        _warned_absolute.add(str(runs_dir))
        print(f"eai: warning: {runs_dir} is outside the current directory, so the rendered files hold this "
              "absolute path (output_dir, adapter_name_or_path, export_dir, the command line) and will only "
              "run on this machine; render into a directory under the current one (e.g. --out runs); to keep "
              "runs on other storage, `eai train --runs-on DIR` links runs/ there and still renders runs/...",
              file=sys.stderr)
    return runs_dir


def render(profile_name: str, sets: dict[str, Any] | None = None, *, run_name: str | None = None,
           runs_dir: Path = paths.RUNS_DIR, env: dict[str, str] | None = None,
           profiles_dir: Path = paths.PROFILES_DIR, stage_in: Path | None = None) -> Rendered:
    """Render every stage's YAML for a profile into runs/<run_name>/ and return where they went.

    `profile_name` "auto" picks the profile for this machine's GPU. `env` overrides the profile's launch
    variables (rendered into the train command). `stage_in`: write the files into that scratch directory
    instead, leaving the run directory untouched; they still name the run directory, and
    Rendered.commit() puts them there. An absolute `runs_dir` inside the current directory is rendered
    relative to it; any other absolute one is rendered as it is, with a warning."""
    sets = dict(sets or {})
    if profile_name == "auto":
        profile_name, why = pick_profile(profiles_dir)
        print(f"eai: --profile auto -> {profile_name}: {why}", file=sys.stderr)
    profile = load_profile(profile_name, profiles_dir)
    values = merge_values(profile, sets)
    sources = value_sources(profile, sets)
    launch_env = {**profile.env, **(env or {})}
    check_env(launch_env, {**{k: str(profile.path) for k in profile.env}, **{k: "--env" for k in env or {}}})
    name = run_name or profile.name
    if not _RUN_NAME.fullmatch(name) or ".." in name.split("/"):
        raise EaiError(f"run name {name!r}: use letters, digits, '.', '_', '+' or '-' (and '/' between the parts "
                       "of a sweep point); it becomes a directory under runs/ and a torchrun argument")
    run_dir = _portable(runs_dir) / name
    files_dir = stage_in if stage_in is not None else run_dir
    files_dir.mkdir(parents=True, exist_ok=True)
    profile = dataclasses.replace(profile, env=launch_env)
    expanded = expand_values(profile, values, sources, run_dir, name, files_dir)
    jenv = _environment()
    known = _template_keys(jenv, expanded)
    sets_text = ("--set " + " ".join(f"{k}={_yaml_scalar(v)}" for k, v in sets.items())) if sets else ""
    sets_text += "".join(f" --env {k}={v}" for k, v in (env or {}).items())
    rendered = Rendered(run_dir=run_dir, profile=profile, values=values, files={}, env=launch_env, sources=sources,
                        staged=stage_in)
    for stage in STAGES.values():
        rendered.files[stage.name] = run_dir / f"{stage.name}.yaml"
        out = files_dir / f"{stage.name}.yaml"
        em = _Emitter(expanded, known, sources, extra=stage.cli == "train")
        text = _render_stage(
            jenv, stage, em,
            run_dir=run_dir.as_posix(),
            profile=profile.name,
            recipe=profile.recipe,
            sets=sets_text.strip(),
            command=rendered.shell_command(stage.name),
            env_doc=_env_doc(launch_env) if stage.launch_env else [],
        )
        out.write_text(_tidy(text), encoding="utf-8")
    return rendered


# ------------------------------------------------------------------------------------------ validation


def _dataclasses_for(cli: str):
    from llamafactory.hparams.parser import _INFER_ARGS, _TRAIN_ARGS

    return _TRAIN_ARGS if cli == "train" else _INFER_ARGS


def _field_types(classes) -> dict[str, Any]:
    import typing

    types: dict[str, Any] = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            choices = f.metadata.get("choices")
            hint = hints.get(f.name, f.type)
            types[f.name] = typing.Literal[tuple(choices)] if choices else hint
    return types


def _type_ok(value: Any, hint: Any) -> tuple[bool, str]:
    """Whether a YAML value fits a dataclass field's type, and a word for what is allowed."""
    import enum
    import types as pytypes
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(pytypes, "UnionType", None)):
        options = [a for a in args if a is not type(None)]
        if value is None:
            return True, "null"
        results = [_type_ok(value, a) for a in options]
        return any(ok for ok, _ in results), " or ".join(w for _, w in results)
    if origin is typing.Literal:
        return value is None or value in args, "one of " + ", ".join(map(str, args))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        allowed = [e.value for e in hint]
        return (value in allowed or isinstance(value, hint)), "one of " + ", ".join(map(str, allowed))
    if hint is bool:
        return isinstance(value, bool), "true or false"
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), "an integer"
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    if hint is str:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool), "a string"
    return True, str(hint)  # lists, dicts, unions of exotic types: left to LLaMA-Factory


def _field_defaults(classes) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for cls in classes:
        for f in dataclasses.fields(cls):
            value = None
            if f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                with contextlib.suppress(Exception):
                    value = f.default_factory()
            defaults[f.name] = getattr(value, "value", value)  # an enum member: its value, as YAML writes it
    return defaults


def _unknown_key_hint(key: str, known: list[str], cli: str) -> str:
    """What to write instead of an unknown key: the closest key, keys that share its first word or contain
    it (lora_* for lora_size, per_device_train_batch_size for batch_size), else the nearest few; and where
    the full list is."""
    close = difflib.get_close_matches(key, known, n=1)
    head = key.split("_")[0]
    related = [k for k in known if len(key) >= 4 and key in k]
    if "_" in key and len(head) >= 2:
        related += [k for k in known if k.startswith(head + "_") and k not in related]
    if not close and not related:
        related = difflib.get_close_matches(key, known, n=3, cutoff=0.4)
    text = f"did you mean '{close[0]}'? " if close else ""
    sure = bool(close) and difflib.SequenceMatcher(None, key, close[0]).ratio() >= 0.8  # a typo: lora_rnak
    related = sorted(k for k in related if not close or k != close[0])
    if related and not sure:
        more = f", ... ({len(related)} in all)" if len(related) > 6 else ""
        text += f"{'other ' if close else ''}keys like it: {', '.join(related[:6])}{more}; "
    return text + f"`llamafactory-cli {cli} -h` lists every key it accepts"


def check_keys_and_types(config: dict[str, Any], cli: str, where: str,
                         sources: dict[str, str] | None = None) -> None:
    """Unknown keys and wrong types, named one by one (LLaMA-Factory's own parser would only say that some
    keys were 'not used' or fail later, after the model has loaded)."""
    types = _field_types(_dataclasses_for(cli))
    problems = []
    for key, value in config.items():
        origin = f" (set in {sources[key]})" if sources and key in sources else ""
        if key not in types:
            hint = _unknown_key_hint(key, sorted(types), cli)
            problems.append(f"unknown key '{key}'{origin} (LLaMA-Factory {cli} does not accept it: {hint})")
            continue
        ok, allowed = _type_ok(value, types[key])
        if not ok:
            problems.append(f"key '{key}'{origin}: got {value!r}, expected {allowed}")
    if problems:
        raise EaiError(f"{where}: " + "; ".join(problems))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# Keys whose only check in LLaMA-Factory's parser is "is this package installed": that is a fact about the
# machine the run goes to, checked there by the launcher (`eai train` names the pip command).
PACKAGE_KEYS = {"use_swanlab": "swanlab", "enable_liger_kernel": "liger_kernel", "use_unsloth": "unsloth"}


def _trial_config(config: dict[str, Any], cli: str, where: str) -> tuple[dict[str, Any], list[str]]:
    """The config LLaMA-Factory's parser is given here, and notes on what is left to the launch machine."""
    trial, notes = dict(config), []
    if cli != "train":
        return trial, notes
    if (trial.get("bf16") or trial.get("fp16")) and not _has_cuda():
        trial["use_cpu"] = True
        notes.append("bf16/fp16 checked with use_cpu (no GPU here)")
    if trial.get("ddp_backend"):
        trial.pop("ddp_backend")  # a process group needs the torchrun workers; the value was checked above
        notes.append("ddp_backend applies under torchrun")
    if trial.get("deepspeed"):
        # In one process LLaMA-Factory refuses DeepSpeed ("use FORCE_TORCHRUN=1"); the JSON is checked here,
        # the rest by each torchrun worker.
        check_deepspeed_json(Path(str(trial.pop("deepspeed"))), where)
        notes.append("deepspeed JSON checked; DeepSpeed itself runs under torchrun")
    for key, module in PACKAGE_KEYS.items():
        if trial.get(key) and not _installed(module):
            trial.pop(key)
            notes.append(f"{key}: {module} is not installed here (checked at launch)")
    if trial.get("do_train") and trial.get("overwrite_output_dir") is None:
        trial["overwrite_output_dir"] = True  # the recipe, not the state of its output directory
    return trial, notes


@contextlib.contextmanager
def _quiet_parser():
    """LLaMA-Factory's parser logs advice meant for a training run (and turns transformers' INFO logging on);
    a validation prints only its verdict."""
    import logging

    import transformers

    old_env = os.environ.get("LLAMAFACTORY_VERBOSITY")
    old_level = logging.getLogger("llamafactory").level
    old_tf = transformers.utils.logging.get_verbosity()
    os.environ["LLAMAFACTORY_VERBOSITY"] = "ERROR"
    logging.getLogger("llamafactory").setLevel(logging.ERROR)
    transformers.utils.logging.set_verbosity_error()
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop("LLAMAFACTORY_VERBOSITY", None)
        else:
            os.environ["LLAMAFACTORY_VERBOSITY"] = old_env
        logging.getLogger("llamafactory").setLevel(old_level)
        transformers.utils.logging.set_verbosity(old_tf)


_NAME = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")
# Words too common to tie a refusal to a key by its value or its allowed values.
_VAGUE = {"none", "auto", "all", "no", "yes", "true", "false", "default", "steps", "epoch"}
# Leading words of key names that say nothing of the subject (use_galore is about GaLore), and subjects too
# broad to tie a refusal to a key ("a quantized model" is not about model_name_or_path).
_KEY_VERBS = {"use", "enable", "do", "is", "num", "max", "min", "per"}
_BROAD_SUBJECTS = {"model", "train", "training", "eval", "predict", "output", "data", "dataset", "device"}


def _same_word(a: str, b: str) -> bool:
    """quantized ~ quantization: equal, or sharing a stem of 6+ letters."""
    return a == b or (min(len(a), len(b)) >= 6 and len(os.path.commonprefix([a, b])) >= 6)


def involved_keys(message: str, config: dict[str, Any], cli: str) -> list[str]:
    """The keys a refusal of LLaMA-Factory is about, most certain first: keys it names; keys whose rendered
    value it names (report_to=wandb in "PPO only accepts ..."); keys changed from LLaMA-Factory's default
    whose allowed values it names (finetuning_type=full in "only ... the LoRA or OFT method"); then keys
    changed from the default whose subject it names (quantization_bit in "Quantization is ...")."""
    classes = _dataclasses_for(cli)
    types, defaults = _field_types(classes), _field_defaults(classes)
    lowered = {k.lower(): k for k in types}
    words = _NAME.findall(message)
    named = list(dict.fromkeys(lowered[w.lower()] for w in words if w.lower() in lowered))
    tokens = {w.lower() for w in words if w.lower() not in lowered}
    changed = [k for k, v in config.items() if k in types and v is not None and v != defaults.get(k)]
    found = list(named)
    explained: set[str] = set()

    def add(key: str, token: str) -> None:
        explained.add(token)
        if key not in found:
            found.append(key)

    import enum
    import typing

    for key, value in config.items():
        if isinstance(value, str) and value.lower() in tokens and value.lower() not in _VAGUE:
            add(key, value.lower())
    for key in changed:
        hint = types[key]
        choices = typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else (
            [e.value for e in hint] if isinstance(hint, type) and issubclass(hint, enum.Enum) else [])
        for choice in choices:
            if isinstance(choice, str) and choice.lower() in tokens and choice.lower() not in _VAGUE:
                add(key, choice.lower())
    for key in changed:
        words_of_key = key.lower().split("_")
        while len(words_of_key) > 1 and words_of_key[0] in _KEY_VERBS:
            words_of_key.pop(0)
        subject = words_of_key[0]
        if len(subject) >= 3 and subject not in _BROAD_SUBJECTS and any(
                _same_word(subject, t) for t in tokens - explained):
            add(key, subject)
    return found[:5]


def _describe_keys(keys: list[str], config: dict[str, Any], sources: dict[str, str] | None) -> str:
    parts = []
    for key in keys:
        if key not in config:
            parts.append(f"{key} (not set)")
            continue
        origin = f" (set in {sources[key]})" if sources and key in sources else ""
        parts.append(f"{key}={_yaml_scalar(config[key])}{origin}")
    return ", ".join(parts)


def validate_config(config: dict[str, Any], cli: str, where: str, sources: dict[str, str] | None = None) -> list[str]:
    """Check a recipe as `llamafactory-cli <cli>` would, without loading a model or data. Returns notes on
    the checks that belong to the machine the run goes to (GPU precision, DeepSpeed, optional packages)."""
    check_keys_and_types(config, cli, where, sources)
    from llamafactory.hparams import get_infer_args, get_train_args

    trial, notes = _trial_config(config, cli, where)
    try:
        with _quiet_parser():
            if cli == "train":
                get_train_args(trial)
            else:
                get_infer_args(trial)
    except (ValueError, TypeError, ImportError) as exc:
        keys = involved_keys(str(exc), config, cli)
        about = f"{_describe_keys(keys, config, sources)}: " if keys else ""
        raise EaiError(f"{where}: {about}LLaMA-Factory refuses this recipe: {exc}") from None
    return notes


def validate_file(path: Path, cli: str | None = None, sources: dict[str, str] | None = None) -> list[str]:
    config = load_yaml_mapping(path)
    if cli is None:
        cli = "export" if "export_dir" in config else "train"
    return validate_config(config, cli, str(path), sources)


def validate_rendered(rendered: Rendered, stages: list[str] | None = None) -> list[str]:
    """Validate a run's files where they are now (staged or in the run directory); errors name the file in
    the run directory, which is what the commands run."""
    notes: list[str] = []
    for name in stages or list(rendered.files):
        config = rendered.config(name)
        if rendered.staged is not None and isinstance(config.get("deepspeed"), str):
            staged_copy = rendered.staged / Path(config["deepspeed"]).name
            if staged_copy.is_file():  # not copied into the run directory yet
                config["deepspeed"] = str(staged_copy)
        for note in validate_config(config, STAGES[name].cli, str(rendered.files[name]), rendered.sources):
            if note not in notes:
                notes.append(note)
    return notes


# -------------------------------------------------------------------------- validating any recipe file


_CONFIG_MARKERS = {"stage", "model_name_or_path", "export_dir", "do_train", "do_predict", "output_dir"}


def classify(path: Path, data: dict[str, Any]) -> str:
    """What a YAML file under recipes/ or runs/ is: profile, recipe, sweep, config (flat LLaMA-Factory) or
    other (e.g. a serving profile)."""
    if "grid" in data or "points" in data:
        return "sweep"
    if isinstance(data.get("values"), dict):
        return "profile" if path.parent.name == "profiles" or set(data) - {"values"} else "recipe"
    if set(data) & _CONFIG_MARKERS or all(not isinstance(v, dict) for v in data.values()):
        return "config"
    return "other"


def validate_profile_file(path: Path) -> list[str]:
    """Render a profile (with its own recipe) into a scratch directory and validate every stage."""
    with tempfile.TemporaryDirectory() as tmp:
        rendered = render(path.stem, profiles_dir=path.parent, stage_in=Path(tmp))
        return validate_rendered(rendered)


def validate_any(path: Path) -> tuple[str, list[str]]:
    """Validate one YAML file of whatever kind; returns (kind, notes). Raises EaiError when invalid."""
    data = load_yaml_mapping(path)
    kind = classify(path, data)
    if kind == "profile":
        return kind, validate_profile_file(path)
    if kind == "sweep":
        from eai_recipes import sweep

        with tempfile.TemporaryDirectory() as tmp:
            points = sweep.expand(path, staging=Path(tmp))
        return kind, [f"{len(points)} points"]
    if kind == "recipe":
        profiles_dir = path.parent / "profiles"
        users = [n for n in available_profiles(profiles_dir) if load_profile(n, profiles_dir).recipe == path.stem]
        for name in users:
            validate_profile_file(profiles_dir / f"{name}.yaml")
        return kind, [f"through the profiles that use it: {', '.join(users) or 'none'}"]
    if kind == "config":
        return kind, validate_file(path)
    return kind, []


# ------------------------------------------------------------------------------------------------- CLI


def add_render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="tiny",
                   help="profile in recipes/profiles/, or auto: the one for this machine's GPU (default: %(default)s)")
    p.add_argument(
        "--set", dest="sets", action="append", metavar="KEY=VALUE",
        help="override a LLaMA-Factory key for this run (repeatable), e.g. --set learning_rate=1e-4",
    )
    p.add_argument(
        "--env", dest="env", action="append", metavar="KEY=VALUE",
        help="override a launch variable of the profile for `llamafactory-cli train` (repeatable), e.g. "
             "--env NPROC_PER_NODE=4; allowed: " + ", ".join(LAUNCH_ENV),
    )
    p.add_argument("--run-name", help="run directory name under runs/ (default: the profile name)")


def render_from_args(args: argparse.Namespace, runs_dir: Path = paths.RUNS_DIR, *,
                     stage_in: Path | None = None) -> Rendered:
    return render(args.profile, parse_sets(args.sets), run_name=args.run_name, runs_dir=runs_dir,
                  env=parse_env(getattr(args, "env", None)), stage_in=stage_in)


def cmd_render(args: argparse.Namespace) -> int:
    rendered = render_from_args(args, Path(args.out) if args.out else paths.RUNS_DIR)
    notes = [] if args.no_validate else validate_rendered(rendered)
    for stage in rendered.files:
        print(f"{stage:16s} {rendered.shell_command(stage)}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _yaml_files(raw: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in raw:
        p = Path(item)
        if p.is_dir():
            files += sorted(itertools.chain(p.rglob("*.yaml"), p.rglob("*.yml")))
        elif p.is_file():
            files.append(p)
        else:
            raise EaiError(f"{p}: no such file or directory")
    return files


def cmd_validate(args: argparse.Namespace) -> int:
    failures = 0
    for f in _yaml_files(args.paths):
        try:
            kind, notes = validate_any(f)
        except EaiError as exc:
            failures += 1
            print(f"invalid {exc}", file=sys.stderr)
            continue
        if kind == "other":
            print(f"skip    {f} (not a recipe, profile, sweep or LLaMA-Factory config)")
        else:
            print(f"ok      {f} ({kind}{': ' + '; '.join(notes) if notes else ''})")
    return 1 if failures else 0


def launch_line(profile: Profile) -> str:
    """How a person starts a profile's training: the launch variables they must supply, then `eai train`."""
    needed = "".join(f"{k}=<{k.lower()}> " for k, v in profile.env.items() if v is None)
    return f"{needed}eai train --profile {profile.name}"


def cmd_list(args: argparse.Namespace) -> int:
    for name in available_profiles():
        p = load_profile(name)
        memory = f"~{p.gpu_memory_gb:g} GB per GPU" if p.gpu_memory_gb else "CPU"
        train_cmd = f"{env_prefix(p.env)}llamafactory-cli train runs/{name}/train.yaml"
        print(f"{name:11s} {memory:16s} {p.description}\n{'':11s} {launch_line(p)}\n{'':11s}   runs: {train_cmd}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "recipes", help="render and validate LLaMA-Factory recipes",
        description="Render recipes (recipes/<recipe>.yaml + recipes/profiles/<profile>.yaml + --set/--env) into "
                    "flat LLaMA-Factory YAML files, and validate recipes, profiles and sweeps with "
                    "LLaMA-Factory's own parser.",
    )
    sub = p.add_subparsers(dest="recipes_command", metavar="ACTION", required=True)
    r = sub.add_parser("render", help="write the flat YAMLs of a profile and print their commands",
                       description="Write train/predict/export YAMLs to <out>/<run-name>/ and print the "
                                   "llamafactory-cli command of each (the train command with the profile's "
                                   "launch variables). Validates them unless --no-validate.")
    add_render_options(r)
    r.add_argument("--out", help="directory that receives <run-name>/ (default: runs)")
    r.add_argument("--no-validate", action="store_true", help="skip LLaMA-Factory validation")
    r.set_defaults(func=cmd_render)
    v = sub.add_parser("validate", help="check recipes, profiles, sweeps and rendered YAMLs",
                       description="Check each file (directories are searched recursively): rendered "
                                   "LLaMA-Factory YAMLs for unknown keys, wrong types and values LLaMA-Factory "
                                   "refuses, without loading a model; profiles and recipes by rendering them; "
                                   "sweeps by expanding every point. Exit code 1 if any file is invalid.")
    v.add_argument("paths", nargs="+", metavar="PATH")
    v.set_defaults(func=cmd_validate)
    ls = sub.add_parser("list", help="list the profiles with their memory need and launch command",
                        description="One line per profile in recipes/profiles/: estimated GPU memory, "
                                    "description, and the command that launches it.")
    ls.set_defaults(func=cmd_list)
