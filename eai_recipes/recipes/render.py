"""Rendering: merged values laid out by the Jinja2 templates in recipes/templates/ into one flat, complete
LLaMA-Factory YAML per stage (train, predict_base, predict_adapter, export), each with its exact command in a
comment at its top."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError
from eai_recipes.recipes.expand import expand_values
from eai_recipes.recipes.launch_env import LAUNCH_ENV, check_env, env_prefix
from eai_recipes.recipes.profiles import (
    Profile,
    load_profile,
    merge_values,
    pick_profile,
    value_sources,
)


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




def yaml_scalar(value: Any) -> str:
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
        return "\n".join(f"{k}: {yaml_scalar(self.values[k])}" for k in keys if self.values.get(k) is not None)

    def overrides(self) -> str:
        rest = [k for k in self.values if k not in self.known and self.values[k] is not None]
        if not self.extra or not rest:
            return ""
        lines = ["", "### other keys (no template lays them out)"]
        lines += [f"{k}: {yaml_scalar(self.values[k])}  # from {self.sources.get(k, 'the recipe')}" for k in rest]
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
    profile = profile.model_copy(update={"env": launch_env})
    expanded = expand_values(profile, values, sources, run_dir, name, files_dir)
    jenv = _environment()
    known = _template_keys(jenv, expanded)
    sets_text = ("--set " + " ".join(f"{k}={yaml_scalar(v)}" for k, v in sets.items())) if sets else ""
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


