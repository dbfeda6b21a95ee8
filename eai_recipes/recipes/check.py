"""Validating any YAML file under recipes/ or runs/: what kind it is (profile, recipe, sweep, flat config),
then the check that kind needs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from eai_recipes.config import load_yaml_mapping
from eai_recipes.recipes import sweeps
from eai_recipes.recipes.profiles import available_profiles, load_profile, load_recipe
from eai_recipes.recipes.render import render
from eai_recipes.recipes.validate import validate_file, validate_rendered

# Folders of recipes/ that hold other data: serving profiles, judge rubrics, simulated-client personas.
NOT_RECIPES = ("serving", "judge", "dialogue", "memory")
_CONFIG_MARKERS = {"stage", "model_name_or_path", "export_dir", "do_train", "do_predict", "output_dir"}


def classify(path: Path, data: dict[str, Any]) -> str:
    """What a YAML file under recipes/ or runs/ is: profile, recipe, sweep, config (flat LLaMA-Factory) or
    other (e.g. a serving profile)."""
    if path.parent.name in NOT_RECIPES:
        return "other"
    if "grid" in data or "points" in data:
        return "sweep"
    if isinstance(data.get("values"), dict):
        return "profile" if path.parent.name == "profiles" or set(data) - {"values"} else "recipe"
    if set(data) & _CONFIG_MARKERS or all(not isinstance(v, dict) for v in data.values()):
        return "config"
    return "other"


# The run name a recipe that starts from another run (stage dpo) is validated with: the chained keys are
# rendered as they would be (adapter and reference paths are not opened by the parser).
EXAMPLE_FROM_RUN = "sft-run"


def validate_profile_file(path: Path, recipe: str | None = None) -> list[str]:
    """Render a profile (with its own recipe, or `recipe`) into a scratch directory and validate every stage.
    A recipe that is not SFT is rendered as chained onto an SFT run (--from-run)."""
    from_run = None
    if recipe is not None:
        stage = load_recipe(recipe, path.parent.parent).get("stage", "sft")
        from_run = EXAMPLE_FROM_RUN if stage != "sft" else None
    with tempfile.TemporaryDirectory() as tmp:
        rendered = render(path.stem, profiles_dir=path.parent, stage_in=Path(tmp), recipe=recipe,
                          from_run=from_run)
        return validate_rendered(rendered)


def validate_any(path: Path) -> tuple[str, list[str]]:
    """Validate one YAML file of whatever kind; returns (kind, notes). Raises EaiError when invalid."""
    data = load_yaml_mapping(path)
    kind = classify(path, data)
    if kind == "profile":
        return kind, validate_profile_file(path)
    if kind == "sweep":
        with tempfile.TemporaryDirectory() as tmp:
            points = sweeps.expand(path, staging=Path(tmp))
        return kind, [f"{len(points)} points"]
    if kind == "recipe":
        profiles_dir = path.parent / "profiles"
        users = [n for n in available_profiles(profiles_dir) if load_profile(n, profiles_dir).recipe == path.stem]
        if users:
            for name in users:
                validate_profile_file(profiles_dir / f"{name}.yaml")
            return kind, [f"through the profiles that use it: {', '.join(users)}"]
        # A recipe no profile names (eai_dpo: chosen with --recipe): through every profile.
        every = available_profiles(profiles_dir)
        for name in every:
            validate_profile_file(profiles_dir / f"{name}.yaml", recipe=path.stem)
        return kind, [f"with --recipe {path.stem} through every profile: {', '.join(every) or 'none'}"]
    if kind == "config":
        return kind, validate_file(path)
    return kind, []


