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

from pydantic import Field, field_validator, model_validator

from eai_recipes import paths
from eai_recipes.config import ConfigModel, load_model
from eai_recipes.errors import EaiError
from eai_recipes.recipes.launch_env import env_text
from eai_recipes.recipes.render import Rendered, render, yaml_scalar
from eai_recipes.recipes.validate import validate_rendered

SWEEPS_DIR = paths.RECIPES_DIR / "sweeps"
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


class SweepFile(ConfigModel):
    """recipes/sweeps/<name>.yaml, as in the module docstring."""

    description: str = ""
    profile: str = Field(description="a profile in recipes/profiles/, e.g. tiny")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="LLaMA-Factory keys mapped to values shared by every point")
    env: dict[str, Any] = Field(default_factory=dict,
                                description="launch variables mapped to values, e.g. NPROC_PER_NODE: 4")
    grid: dict[str, list[Any]] | None = Field(
        None, description="keys mapped to non-empty lists of plain values, e.g. learning_rate: [1.0e-4, 2.0e-4]")
    points: list[dict[str, Any]] | None = Field(
        None, description="a non-empty list of mappings, e.g. - {learning_rate: 1.0e-4, lora_rank: 8}")
    # A chained stage: the recipe (e.g. eai_dpo) and the finished run it starts from
    recipe: str | None = Field(None, description="a recipe in recipes/, e.g. eai_dpo")
    from_run: str | None = Field(None, description="a finished run under runs/ to start from, e.g. demo")

    @field_validator("set", "env", mode="before")
    @classmethod
    def _empty(cls, value: Any) -> Any:
        return {} if value is None else value  # `set:` left empty

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        if grid is None:
            return None
        if not grid:
            raise ValueError("must map keys to lists of values, e.g. learning_rate: [1.0e-4, 2.0e-4]")
        for key, values in grid.items():
            if not values:
                raise ValueError(f"'{key}' must be a non-empty list of values, e.g. [1.0e-4, 2.0e-4]")
            if any(isinstance(v, (dict, list)) for v in values):
                raise ValueError(f"'{key}' must list plain values (numbers, strings, true/false)")
        return grid

    @field_validator("points")
    @classmethod
    def _points(cls, points: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if points is not None and (not points or not all(points)):
            raise ValueError("must be a non-empty list of non-empty mappings, e.g. "
                             "- {learning_rate: 1.0e-4, lora_rank: 8}")
        return points

    @model_validator(mode="after")
    def _grid_or_points(self) -> SweepFile:
        if self.grid is None and self.points is None:
            raise ValueError("a sweep needs 'grid' (every combination of the listed values) and/or 'points' "
                             "(a list of overrides)")
        return self


def load(path: Path) -> Sweep:
    data = load_model(path, SweepFile)
    axes = [[{k: v} for v in vs] for k, vs in (data.grid or {}).items()]
    combos = [dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*axes)]
    points = [{**p, **c} for p in (data.points or [{}]) for c in combos]
    varied = list(dict.fromkeys(k for p in points for k in p))
    return Sweep(name=path.stem, path=path, profile=data.profile, description=data.description,
                 sets=data.set, env={str(k): env_text(v) for k, v in data.env.items()}, points=points,
                 varied=varied, recipe=data.recipe, from_run=data.from_run)


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
