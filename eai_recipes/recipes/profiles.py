"""Profiles and recipes: loading recipes/profiles/<name>.yaml and recipes/<recipe>.yaml, merging their
values with --set overrides (remembering where each key was set), and choosing a profile for a GPU."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError
from eai_recipes.hardware import Gpu, detect_gpu
from eai_recipes.recipes.launch_env import check_env, env_text

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





def available_profiles(profiles_dir: Path = paths.PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in profiles_dir.glob("*.yaml"))


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
    env = {str(k): env_text(v) for k, v in env.items()}
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


# When no profile names the GPU: the one-GPU profile for its precision.
FALLBACK_PROFILE = {True: "paper", False: "colab-t4"}


def pick_profile_for(gpu: Gpu, profiles: list[Profile]) -> tuple[str, str]:
    """The profile for a GPU: the one that lists its name under `gpus`, else by bf16 support. Returns the
    profile name and a sentence saying why."""
    name = gpu.name.lower()
    precision = "bf16" if gpu.bf16 else "no bf16: fp16"
    major, minor = gpu.capability
    about = f"{gpu.name}, {gpu.memory_gb:.0f} GB, compute capability {major}.{minor}, {precision}"
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


