"""Sweep files: a base profile plus a grid and/or a list of overrides, expanded to one rendered, validated
recipe per point (all points are checked before anything runs). Running them is launch.sweep's work.

A sweep file (recipes/sweeps/*.yaml):

    description: what it compares
    profile: paper                 # recipes/profiles/<name>.yaml (or auto)
    recipe: eai_dpo                # a recipe other than the profile's (optional)
    from_run: paper                # every point starts from this finished run, as --from-run (optional)
    set: {num_train_epochs: 1.0}   # overrides shared by every point (optional)
    env: {NPROC_PER_NODE: 4}       # launch variables (optional)
    points:                        # a list of overrides ...
      - {lora_rank: 8, lora_alpha: 16}
      - {lora_rank: 16, lora_alpha: 32}
    grid:                          # ... and/or every combination of these values (crossed with points)
      learning_rate: [5.0e-5, 1.0e-4]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError
from eai_recipes.recipes.launch_env import env_text
from eai_recipes.recipes.render import Rendered, render, yaml_scalar
from eai_recipes.recipes.validate import validate_rendered

SWEEPS_DIR = paths.RECIPES_DIR / "sweeps"
SWEEP_KEYS = ("description", "profile", "recipe", "from_run", "set", "env", "grid", "points")
# Short labels for run names; other keys keep their own name.
ABBREV = {
    "learning_rate": "lr", "lora_rank": "r", "lora_alpha": "alpha", "lora_dropout": "drop",
    "per_device_train_batch_size": "bs", "gradient_accumulation_steps": "ga", "num_train_epochs": "ep",
    "max_steps": "steps", "cutoff_len": "len", "warmup_steps": "warm", "lr_scheduler_type": "sched",
    "weight_decay": "wd", "quantization_bit": "q", "lora_target": "target", "pref_beta": "beta",
    "pref_loss": "loss", "pref_ftx": "ftx",
}


@dataclass
class Sweep:
    name: str
    path: Path
    profile: str
    description: str = ""
    recipe: str | None = None
    from_run: str | None = None
    sets: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    points: list[dict[str, Any]] = field(default_factory=list)  # each point's own overrides
    varied: list[str] = field(default_factory=list)  # keys that differ between points, in file order


@dataclass
class Point:
    name: str
    overrides: dict[str, Any]
    rendered: Rendered
    status: str = ""  # new | resume | finished | changed, then trained | skipped | failed
    error: str = ""
    state: Any = None  # launch.RunState: what the run directory holds, compared with the rendered recipe

    @property
    def run_dir(self) -> Path:
        return self.rendered.run_dir


# ------------------------------------------------------------------------------------------- the file


def resolve_path(arg: str) -> Path:
    """A sweep file, or the name of a shipped one in recipes/sweeps/."""
    path = Path(arg)
    if path.is_file():
        return path
    shipped = SWEEPS_DIR / f"{arg}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in SWEEPS_DIR.glob("*.yaml"))) or "none"
    raise EaiError(f"sweep '{arg}': no such file, and no {arg}.yaml in recipes/sweeps/ (shipped: {known})")


def _scalar_list(path: Path, key: str, values: Any) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise EaiError(f"{path}: grid key '{key}' must be a non-empty list of values, e.g. [1.0e-4, 2.0e-4]")
    if any(isinstance(v, (dict, list)) for v in values):
        raise EaiError(f"{path}: grid key '{key}' must list plain values (numbers, strings, true/false)")
    return values


def load(path: Path) -> Sweep:
    data = load_yaml_mapping(path)
    unknown = sorted(set(data) - set(SWEEP_KEYS))
    if unknown:
        raise EaiError(f"{path}: unknown key(s) {unknown}; allowed: {list(SWEEP_KEYS)}")
    profile = data.get("profile")
    if not isinstance(profile, str):
        raise EaiError(f"{path}: key 'profile' must name a profile in recipes/profiles/, e.g. tiny")
    sets, env = data.get("set") or {}, data.get("env") or {}
    if not isinstance(sets, dict):
        raise EaiError(f"{path}: key 'set' must map LLaMA-Factory keys to values shared by every point")
    if not isinstance(env, dict):
        raise EaiError(f"{path}: key 'env' must map launch variables to values, e.g. NPROC_PER_NODE: 4")
    for key in ("recipe", "from_run"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise EaiError(f"{path}: key '{key}' must be a name (a recipe in recipes/, a run under runs/)")
    grid, listed = data.get("grid"), data.get("points")
    if grid is None and listed is None:
        raise EaiError(f"{path}: a sweep needs 'grid' (every combination of the listed values) and/or "
                       "'points' (a list of overrides)")
    if grid is not None and (not isinstance(grid, dict) or not grid):
        raise EaiError(f"{path}: key 'grid' must map keys to lists of values, e.g. learning_rate: [1.0e-4, 2.0e-4]")
    if listed is not None and (not isinstance(listed, list) or not listed
                               or not all(isinstance(p, dict) and p for p in listed)):
        raise EaiError(f"{path}: key 'points' must be a non-empty list of mappings, e.g. "
                       "- {learning_rate: 1.0e-4, lora_rank: 8}")
    axes = [[{k: v} for v in _scalar_list(path, k, vs)] for k, vs in (grid or {}).items()]
    combos = [dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*axes)]
    points = [{**p, **c} for p in (listed or [{}]) for c in combos]
    varied = list(dict.fromkeys(k for p in points for k in p))
    return Sweep(name=path.stem, path=path, profile=profile, description=str(data.get("description", "")),
                 sets=sets, env={str(k): env_text(v) for k, v in env.items()}, points=points,
                 varied=varied, recipe=data.get("recipe"), from_run=data.get("from_run"))


def _label(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e6:
            return str(int(value))
        if value != 0 and abs(value) < 1e-2:
            mantissa, exp = f"{value:.2e}".split("e")
            return f"{mantissa.rstrip('0').rstrip('.')}e{int(exp)}"  # 1e-4, not 0.0001
        return f"{value:.3g}"
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-") or "x"


def point_name(overrides: dict[str, Any]) -> str:
    """A readable, file-system-safe run name: lr1e-4_r16."""
    return "_".join(f"{ABBREV.get(k, k)}{_label(v)}" for k, v in overrides.items())


# ------------------------------------------------------------------------------------------ expansion


def expand(path: Path, runs_dir: Path = paths.RUNS_DIR, *, staging: Path | None = None) -> list[Point]:
    """Render and validate every point for runs/<sweep>/<point>/. Every invalid point is reported, with the
    key and what is allowed, before anything runs. With `staging`, the files are written under that scratch
    directory and the run directories are left as they are (Point.rendered.commit() moves them in)."""
    sweep = load(path)
    points: list[Point] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, overrides in enumerate(sweep.points, 1):
        name = point_name(overrides)
        if name in seen:
            problems.append(f"points {seen[name]} and {i} are the same point ({name})")
            continue
        seen[name] = i
        shown = ", ".join(f"{k}={yaml_scalar(v)}" for k, v in overrides.items())
        try:
            rendered = render(sweep.profile, {**sweep.sets, **overrides}, run_name=f"{sweep.name}/{name}",
                                      runs_dir=runs_dir, env=sweep.env, recipe=sweep.recipe, from_run=sweep.from_run,
                                      stage_in=staging / sweep.name / name if staging is not None else None)
            validate_rendered(rendered)
        except EaiError as exc:
            problems.append(f"point {i} ({shown}): {exc}")
            continue
        points.append(Point(name, overrides, rendered))
    if problems:
        raise EaiError(f"{path}: {len(problems)} of {len(sweep.points)} points are invalid, so nothing ran:\n  "
                       + "\n  ".join(problems))
    return points
