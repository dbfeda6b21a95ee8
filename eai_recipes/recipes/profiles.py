"""Profiles and recipes: loading recipes/profiles/<name>.yaml and recipes/<recipe>.yaml, merging their
values with --set overrides (remembering where each key was set), and choosing a profile for a GPU."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, field_validator

from eai_recipes import paths
from eai_recipes.config import ConfigModel, load_model
from eai_recipes.errors import EaiError
from eai_recipes.hardware import Gpu, detect_gpu
from eai_recipes.recipes.launch_env import check_env, env_text


class ProfileFile(ConfigModel):
    """recipes/profiles/<name>.yaml: where a run trains. It says only what differs from its recipe."""

    description: str = ""
    recipe: str = Field("eai", description="the name of a file in recipes/, e.g. eai")
    requires_gpu: bool = False
    # GPU names `--profile auto` picks this profile for
    gpus: list[str] = Field(default_factory=list, description="a list of GPU names, e.g. [L4]")
    # estimated peak need per GPU; strict, so `true` is not read as 1 GB
    gpu_memory_gb: float | None = Field(None, strict=True, description="a number (GB per GPU)")
    # Estimated extra per GPU for the DPO pass (recipes/eai_dpo.yaml): the frozen reference model (a second
    # copy of the 4-bit base + the SFT adapter) and its forward pass, and chosen + rejected in every batch.
    dpo_extra_memory_gb: float | None = Field(
        None, strict=True, description="a number (GB per GPU on top of gpu_memory_gb)")
    # None: required from the caller's environment
    env: dict[str, str | None] = Field(
        default_factory=dict,
        description="launch variables mapped to values (null: set by the caller), e.g. FORCE_TORCHRUN: 1")
    values: dict[str, Any] = Field(description="a mapping of LLaMA-Factory keys to values")

    @field_validator("gpus", mode="before")
    @classmethod
    def _no_gpus(cls, value: Any) -> Any:
        return [] if value is None else value  # `gpus:` left empty

    @field_validator("env", mode="before")
    @classmethod
    def _env_text(cls, value: Any) -> Any:
        # `env:` left empty is no variables; YAML reads `1` and `true` as numbers and booleans, the environment
        # holds text
        if value is None:
            return {}
        return {str(k): env_text(v) for k, v in value.items()} if isinstance(value, dict) else value


class Profile(ProfileFile):
    name: str
    path: Path


def available_profiles(profiles_dir: Path = paths.PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in profiles_dir.glob("*.yaml"))


def load_profile(name: str, profiles_dir: Path = paths.PROFILES_DIR) -> Profile:
    path = profiles_dir / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(available_profiles(profiles_dir)) or "none"
        raise EaiError(f"unknown profile '{name}' (no {path.name} in recipes/profiles/); available: {known}, auto")
    file = load_model(path, ProfileFile)
    check_env(file.env, str(path))
    return Profile(name=name, path=path, **file.model_dump())


class RecipeFile(ConfigModel):
    """recipes/<name>.yaml: what a run trains (LLaMA-Factory's keys under `values`)."""

    values: dict[str, Any] = Field(description="a mapping of LLaMA-Factory keys to values")


def available_recipes(recipes_dir: Path = paths.RECIPES_DIR) -> list[str]:
    return sorted(p.stem for p in recipes_dir.glob("*.yaml"))


def load_recipe(name: str, recipes_dir: Path = paths.RECIPES_DIR) -> dict[str, Any]:
    path = recipes_dir / f"{name}.yaml"
    if not path.is_file():
        raise EaiError(f"recipe '{name}' not found: no {path.name} in recipes/; available: "
                       f"{', '.join(available_recipes(recipes_dir)) or 'none'}")
    return load_model(path, RecipeFile).values


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


