"""Render LLaMA-Factory recipes: recipe values (what) + a profile (where) + --set overrides, laid out by
Jinja2 templates (how) into flat, complete YAML files, each with its exact command on top; and validate
them with LLaMA-Factory's own argument parser before anything expensive runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError


@dataclass(frozen=True)
class Stage:
    name: str
    template: str
    cli: str  # the llamafactory-cli sub-command
    context: dict[str, Any] = field(default_factory=dict)


STAGES = {
    "train": Stage("train", "train.yaml.j2", "train"),
    "predict_base": Stage("predict_base", "predict.yaml.j2", "train", {"adapter": False}),
    "predict_adapter": Stage("predict_adapter", "predict.yaml.j2", "train", {"adapter": True}),
    "export": Stage("export", "export.yaml.j2", "export"),
}


@dataclass
class Profile:
    name: str
    path: Path
    description: str
    recipe: str
    requires_gpu: bool
    values: dict[str, Any]


@dataclass
class Rendered:
    """One run's rendered recipes: stage name -> file, and the merged values they came from."""

    run_dir: Path
    profile: Profile
    values: dict[str, Any]
    files: dict[str, Path]

    def command(self, stage: str) -> list[str]:
        return ["llamafactory-cli", STAGES[stage].cli, str(self.files[stage])]


# --------------------------------------------------------------------------------------------- loading


def available_profiles(profiles_dir: Path = paths.PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in profiles_dir.glob("*.yaml"))


def _load_yaml_mapping(path: Path) -> dict[str, Any]:
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
        raise EaiError(f"unknown profile '{name}' (no {path.name} in recipes/profiles/); available: {known}")
    data = _load_yaml_mapping(path)
    allowed = {"description", "recipe", "requires_gpu", "values"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise EaiError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    recipe = data.get("recipe", "eai")
    if not isinstance(recipe, str):
        raise EaiError(f"{path}: key 'recipe' must be the name of a file in recipes/, e.g. eai")
    return Profile(
        name=name,
        path=path,
        description=str(data.get("description", "")),
        recipe=recipe,
        requires_gpu=bool(data.get("requires_gpu", False)),
        values=_values_of(path, data),
    )


def load_recipe(name: str, recipes_dir: Path = paths.RECIPES_DIR) -> dict[str, Any]:
    path = recipes_dir / f"{name}.yaml"
    if not path.is_file():
        raise EaiError(f"recipe '{name}' not found: no {path.name} in recipes/")
    return _values_of(path, _load_yaml_mapping(path))


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


# ------------------------------------------------------------------------------------------- rendering


def _yaml_scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return text[:-4].rstrip() if text.endswith("\n...") or text.endswith(" ...") else text


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


class _Emitter:
    """Writes `key: value` lines for the keys a template names, remembering which ones it used, so the keys
    no template names (from --set) still land in the file, under `### overrides`, instead of vanishing."""

    def __init__(self, values: dict[str, Any], known: set[str], sets: dict[str, Any]):
        self.values, self.known, self.sets = values, known, sets
        self.used: set[str] = set()

    def emit(self, *keys: str) -> str:
        self.used.update(keys)
        return "\n".join(f"{k}: {_yaml_scalar(self.values[k])}" for k in keys if self.values.get(k) is not None)

    def overrides(self) -> str:
        extra = [k for k in self.sets if k not in self.known]
        if not extra:
            return ""
        lines = ["", "### overrides (--set keys that no template names)"]
        lines += [f"{k}: {_yaml_scalar(self.sets[k])}" for k in extra]
        return "\n".join(lines)


def _template_keys(env, values: dict[str, Any]) -> set[str]:
    """Every key that some stage template lays out (found by a dry render)."""
    known: set[str] = set()
    for stage in STAGES.values():
        em = _Emitter(values, set(), {})
        env.get_template(stage.template).render(
            emit=em.emit, overrides=em.overrides, run_dir="runs/x", profile="", recipe="", sets="", command="",
            **stage.context,
        )
        known |= em.used
    return known


def _tidy(text: str) -> str:
    """Drop the blank lines left by emits that had nothing to write."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def merge_values(profile: Profile, sets: dict[str, Any]) -> dict[str, Any]:
    return {**load_recipe(profile.recipe), **profile.values, **sets}


def render(profile_name: str, sets: dict[str, Any] | None = None, *, run_name: str | None = None,
           runs_dir: Path = paths.RUNS_DIR) -> Rendered:
    """Render every stage's YAML for a profile into runs/<run_name>/ and return where they went."""
    sets = dict(sets or {})
    profile = load_profile(profile_name)
    values = merge_values(profile, sets)
    run_dir = runs_dir / (run_name or profile_name)
    run_dir.mkdir(parents=True, exist_ok=True)
    env = _environment()
    known = _template_keys(env, values)
    sets_text = " ".join(f"{k}={_yaml_scalar(v)}" for k, v in sets.items())
    files: dict[str, Path] = {}
    for stage in STAGES.values():
        out = run_dir / f"{stage.name}.yaml"
        em = _Emitter(values, known, sets)
        text = env.get_template(stage.template).render(
            emit=em.emit,
            overrides=em.overrides,
            run_dir=run_dir.as_posix(),
            profile=profile.name,
            recipe=profile.recipe,
            sets=sets_text,
            command=f"llamafactory-cli {stage.cli} {out.as_posix()}",
            **stage.context,
        )
        out.write_text(_tidy(text), encoding="utf-8")
        files[stage.name] = out
    return Rendered(run_dir=run_dir, profile=profile, values=values, files=files)


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
            types[f.name] = hints.get(f.name, f.type)
    return types


def _type_ok(value: Any, hint: Any) -> tuple[bool, str]:
    """Whether a YAML value fits a dataclass field's type, and a word for what is allowed."""
    import enum
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [a for a in args if a is not type(None)]
        if value is None:
            return True, "null"
        results = [_type_ok(value, a) for a in options]
        return any(ok for ok, _ in results), " or ".join(w for _, w in results)
    if origin is typing.Literal:
        return value in args, "one of " + ", ".join(map(str, args))
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


def check_keys_and_types(config: dict[str, Any], cli: str, where: str) -> None:
    """Unknown keys and wrong types, named one by one (LLaMA-Factory's own parser would only say that some
    keys were 'not used' or fail later, after the model has loaded)."""
    types = _field_types(_dataclasses_for(cli))
    problems = []
    for key, value in config.items():
        if key not in types:
            close = difflib.get_close_matches(key, types, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"unknown key '{key}' (LLaMA-Factory {cli} does not accept it{hint})")
            continue
        ok, allowed = _type_ok(value, types[key])
        if not ok:
            problems.append(f"key '{key}': got {value!r}, expected {allowed}")
    if problems:
        raise EaiError(f"{where}: " + "; ".join(problems))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def validate_config(config: dict[str, Any], cli: str, where: str) -> None:
    """Check a recipe as `llamafactory-cli <cli>` would, without loading a model or data.

    On a machine without a GPU, precision flags meant for the target GPU (bf16/fp16) are checked with
    `use_cpu` so the rest of the recipe is still validated; they are checked for real where the run goes.
    """
    check_keys_and_types(config, cli, where)
    from llamafactory.hparams import get_infer_args, get_train_args

    trial = dict(config)
    if cli == "train" and (trial.get("bf16") or trial.get("fp16")) and not _has_cuda():
        trial["use_cpu"] = True
    try:
        if cli == "train":
            get_train_args(trial)
        else:
            get_infer_args(trial)
    except (ValueError, TypeError, ImportError) as exc:
        raise EaiError(f"{where}: LLaMA-Factory refuses this recipe: {exc}") from None


def validate_file(path: Path, cli: str | None = None) -> None:
    config = _load_yaml_mapping(path)
    if cli is None:
        cli = "export" if "export_dir" in config else "train"
    validate_config(config, cli, str(path))


def validate_rendered(rendered: Rendered, stages: list[str] | None = None) -> None:
    for name in stages or list(rendered.files):
        validate_file(rendered.files[name], STAGES[name].cli)


# ------------------------------------------------------------------------------------------------- CLI


def add_render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="tiny", help="profile in recipes/profiles/ (default: %(default)s)")
    p.add_argument(
        "--set", dest="sets", action="append", metavar="KEY=VALUE",
        help="override a LLaMA-Factory key for this run (repeatable), e.g. --set learning_rate=1e-4",
    )
    p.add_argument("--run-name", help="run directory name under runs/ (default: the profile name)")


def cmd_render(args: argparse.Namespace) -> int:
    rendered = render(args.profile, parse_sets(args.sets), run_name=args.run_name,
                      runs_dir=Path(args.out) if args.out else paths.RUNS_DIR)
    if not args.no_validate:
        validate_rendered(rendered)
    for stage, path in rendered.files.items():
        print(f"{stage:16s} {' '.join(rendered.command(stage))}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for raw in args.paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(p.rglob("*.yaml"))
        elif p.is_file():
            files.append(p)
        else:
            raise EaiError(f"{p}: no such file or directory")
    failures = 0
    for f in files:
        try:
            validate_file(f)
            print(f"ok      {f}")
        except EaiError as exc:
            failures += 1
            print(f"invalid {exc}", file=sys.stderr)
    return 1 if failures else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "recipes", help="render and validate LLaMA-Factory recipes",
        description="Render recipes (recipes/<recipe>.yaml + recipes/profiles/<profile>.yaml + --set) into flat "
                    "LLaMA-Factory YAML files, and validate YAML files with LLaMA-Factory's own parser.",
    )
    sub = p.add_subparsers(dest="recipes_command", metavar="ACTION", required=True)
    r = sub.add_parser("render", help="write the flat YAMLs of a profile and print their commands",
                       description="Write train/predict/export YAMLs to <out>/<run-name>/ and print the "
                                   "llamafactory-cli command of each. Validates them unless --no-validate.")
    add_render_options(r)
    r.add_argument("--out", help="directory that receives <run-name>/ (default: runs)")
    r.add_argument("--no-validate", action="store_true", help="skip LLaMA-Factory validation")
    r.set_defaults(func=cmd_render)
    v = sub.add_parser("validate", help="check YAML recipes with LLaMA-Factory's parser",
                       description="Check each file (directories are searched recursively) for unknown keys, "
                                   "wrong types and values LLaMA-Factory refuses, without loading a model. "
                                   "Exit code 1 if any file is invalid.")
    v.add_argument("paths", nargs="+", metavar="PATH")
    v.set_defaults(func=cmd_validate)
