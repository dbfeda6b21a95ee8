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
    "predict_base": Stage("predict_base", "predict.yaml.j2", "train", {"adapter": None, "out": "predict/base"}),
    "predict_adapter": Stage("predict_adapter", "predict.yaml.j2", "train",
                             {"adapter": "run", "out": "predict/adapter"}),
    "export": Stage("export", "export.yaml.j2", "export"),
}
# Only for a run chained onto an earlier one (--from-run, e.g. DPO after SFT): the earlier adapter on the
# same validation set, and both adapters on the held-out crisis prompts (the crisis-handling rate).
CHAIN_STAGES = {
    "predict_sft": Stage("predict_sft", "predict.yaml.j2", "train", {"adapter": "from_run", "out": "predict/sft"}),
    "predict_crisis_sft": Stage("predict_crisis_sft", "predict.yaml.j2", "train",
                                {"adapter": "from_run", "out": "predict-crisis/sft", "dataset": "eai_crisis"}),
    "predict_crisis_adapter": Stage("predict_crisis_adapter", "predict.yaml.j2", "train",
                                    {"adapter": "run", "out": "predict-crisis/adapter", "dataset": "eai_crisis"}),
}
ALL_STAGES = {**STAGES, **CHAIN_STAGES}
# Profile options LLaMA-Factory accepts for stage sft only: turned off for a preference recipe.
SFT_ONLY = ("packing", "neat_packing")
# Preference losses that need no reference model (LLaMA-Factory: use_ref_model is False for them).
REFERENCE_FREE = ("orpo", "simpo")


@dataclass
class Rendered:
    """One run's rendered recipes: stage name -> file, and the merged values they came from."""

    run_dir: Path
    profile: Profile
    values: dict[str, Any]
    files: dict[str, Path]
    env: dict[str, str | None] = field(default_factory=dict)  # launch environment of the train stage
    from_run: Path | None = None  # the run this one starts from (--from-run): runs/<name>
    sources: dict[str, str] = field(default_factory=dict)  # key -> where its value was set
    # Where the files were written while they are not yet in run_dir (render(stage_in=...)); see commit().
    staged: Path | None = None

    def command(self, stage: str) -> list[str]:
        return ["llamafactory-cli", ALL_STAGES[stage].cli, str(self.files[stage])]

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
        prefix = env_prefix(self.env) if ALL_STAGES[stage].launch_env else ""
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

    def emit_first(self, name: str, *keys: str) -> str:
        """`name: value` with the value of the first of `keys` that is set (predict_dataset, then eval_dataset)."""
        self.used.update(keys)
        key = next((k for k in keys if self.values.get(k) is not None), None)
        return f"{name}: {yaml_scalar(self.values[key])}" if key else ""

    def overrides(self) -> str:
        rest = [k for k in self.values if k not in self.known and self.values[k] is not None]
        if not self.extra or not rest:
            return ""
        lines = ["", "### other keys (no template lays them out)"]
        lines += [f"{k}: {yaml_scalar(self.values[k])}  # from {self.sources.get(k, 'the recipe')}" for k in rest]
        return "\n".join(lines)


def _render_stage(env, stage: Stage, emitter: _Emitter, **context: Any) -> str:
    ctx = {"adapter": None, "out": "", "dataset": "", "adapter_path": "", "chain": [], **stage.context, **context}
    return env.get_template(stage.template).render(emit=emitter.emit, emit_first=emitter.emit_first,
                                                   overrides=emitter.overrides, **ctx)


def _template_keys(env, values: dict[str, Any]) -> set[str]:
    """Every key that some stage template lays out (found by a dry render)."""
    known: set[str] = set()
    for stage in ALL_STAGES.values():
        em = _Emitter(values, set(), {}, extra=False)
        _render_stage(env, stage, em, run_dir="runs/x", profile="", recipe="", sets="", command="", env_doc=[],
                      adapter_path="runs/x/adapter")
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


def chain_values(values: dict[str, Any], sets: dict[str, Any], from_adapter: str) -> dict[str, Any]:
    """The keys --from-run sets: the policy starts from the earlier run's adapter (its LoRA is trained on),
    and, for a preference loss with a reference model, the reference is the same base model with that adapter
    (frozen, quantized as the policy), i.e. the SFT model. Without ref_model LLaMA-Factory would take the base
    model with the LoRA switched off as the reference: not the SFT model."""
    keys = {"adapter_name_or_path": from_adapter}
    if values.get("stage") in ("dpo", "kto") and values.get("pref_loss") not in REFERENCE_FREE:
        keys.update(ref_model=values.get("model_name_or_path"), ref_model_adapters=from_adapter,
                    ref_model_quantization_bit=values.get("quantization_bit"))
    clash = sorted(k for k in keys if k in sets)
    if clash:
        raise EaiError(f"--set {clash[0]}: --from-run sets it (to {keys[clash[0]]}); drop one of the two")
    return {k: v for k, v in keys.items() if v is not None}


def _chain_doc(values: dict[str, Any], from_run: Path | None) -> list[str]:
    """Header lines of a preference run: where the policy starts and what the reference model is."""
    stage = values.get("stage")
    if stage == "sft" and from_run is None:
        return []
    loss = values.get("pref_loss", "sigmoid")
    lines = [f"Preference pass: stage {stage}, pref_loss {loss}, pref_beta {values.get('pref_beta')}"
             + (f", after the SFT run {from_run.as_posix()} (--from-run)." if from_run else ".")]
    if from_run is None:
        lines += ["No --from-run: the policy starts from the base model and the reference is the base model",
                  "(LoRA switched off). For the real chain: eai train --recipe <recipe> --from-run <sft run>."]
        return lines
    adapter = f"{from_run.as_posix()}/adapter"
    lines.append(f"Policy: {values.get('model_name_or_path')} + {adapter} (adapter_name_or_path); that LoRA is trained")
    lines.append("  on, so this run's adapter holds SFT + preference weights and is used alone.")
    if loss in REFERENCE_FREE:
        lines.append(f"Reference model: none ({loss} is reference-free).")
    else:
        q = values.get("quantization_bit")
        lines.append(f"Reference model: the SFT model, frozen: ref_model {values.get('model_name_or_path')} + "
                     f"ref_model_adapters {adapter}" + (f" ({q}-bit)." if q else "."))
        lines.append("  It costs a second forward pass and a second copy of the base weights (see the profile).")
    return lines


def render(profile_name: str, sets: dict[str, Any] | None = None, *, run_name: str | None = None,
           runs_dir: Path = paths.RUNS_DIR, env: dict[str, str] | None = None,
           profiles_dir: Path = paths.PROFILES_DIR, stage_in: Path | None = None, recipe: str | None = None,
           from_run: str | None = None) -> Rendered:
    """Render every stage's YAML for a profile into runs/<run_name>/ and return where they went.

    `profile_name` "auto" picks the profile for this machine's GPU. `env` overrides the profile's launch
    variables (rendered into the train command). `stage_in`: write the files into that scratch directory
    instead, leaving the run directory untouched; they still name the run directory, and
    Rendered.commit() puts them there. An absolute `runs_dir` inside the current directory is rendered
    relative to it; any other absolute one is rendered as it is, with a warning. `recipe` replaces the
    profile's recipe (e.g. eai_dpo); `from_run` chains this run onto runs/<from_run>/adapter (chain_values)."""
    sets = dict(sets or {})
    if profile_name == "auto":
        profile_name, why = pick_profile(profiles_dir)
        print(f"eai: --profile auto -> {profile_name}: {why}", file=sys.stderr)
    profile = load_profile(profile_name, profiles_dir)
    if recipe:
        profile = profile.model_copy(update={"recipe": recipe})
    values = merge_values(profile, sets)
    sources = value_sources(profile, sets)
    sft_only = []  # a profile's SFT speed options that LLaMA-Factory refuses for other stages
    if values.get("stage", "sft") != "sft":
        for key in SFT_ONLY:
            if values.get(key) and sources.get(key) != "--set":
                values[key] = False
                sources[key] = f"off for stage {values['stage']} ({sources.get(key)} sets it for SFT)"
                sft_only.append(key)
    from_dir = None
    if from_run:
        if not _RUN_NAME.fullmatch(from_run) or ".." in from_run.split("/"):
            raise EaiError(f"--from-run {from_run!r}: give a run name under runs/, e.g. demo")
        from_dir = _portable(runs_dir) / from_run
        chained = chain_values(values, sets, f"{from_dir.as_posix()}/adapter")
        values.update(chained)
        sources.update({k: f"--from-run {from_run}" for k in chained})
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
    if recipe:
        sets_text = f"--recipe {recipe} " + sets_text
    if from_run:
        sets_text = f"--from-run {from_run} " + sets_text
    chain = _chain_doc(values, from_dir)
    if sft_only:
        chain.append(f"{' and '.join(sft_only)}: off (LLaMA-Factory allows them for SFT only; the profile sets them).")
    rendered = Rendered(run_dir=run_dir, profile=profile, values=values, files={}, env=launch_env, sources=sources,
                        staged=stage_in, from_run=from_dir)
    for stage in ALL_STAGES.values():
        if stage.name in CHAIN_STAGES and from_dir is None:
            continue
        adapter_path = {"run": f"{run_dir.as_posix()}/adapter", None: "",
                        "from_run": f"{from_dir.as_posix()}/adapter" if from_dir else ""}[stage.context.get("adapter")]
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
            adapter_path=adapter_path,
            chain=chain,
        )
        out.write_text(_tidy(text), encoding="utf-8")
    return rendered


