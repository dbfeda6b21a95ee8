"""`eai recipes render | validate | list`."""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.cli.common import add_render_options, render_from_args
from eai_recipes.errors import EaiError
from eai_recipes.recipes.check import validate_any
from eai_recipes.recipes.launch_env import env_prefix
from eai_recipes.recipes.memory import calibration_note, estimate_values, load_calibration
from eai_recipes.recipes.profiles import Profile, available_profiles, load_profile, merge_values
from eai_recipes.recipes.validate import validate_rendered


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


def memory_lines(p: Profile, calibration: dict, *, detail: bool) -> list[str]:
    """The memory model's estimate for a profile, how it is made up (with --memory) and its calibration."""
    estimate = estimate_values(merge_values(p, {}), p.env, root=paths.ROOT)
    if estimate is None:
        return ["memory: no estimate (the model's shape is unknown: not a known hub name, no local config.json)"]
    s = estimate.settings
    lines = [f"memory: estimate {estimate.total_gb:.1f} GB peak per GPU (batch {s.batch} x cutoff {s.cutoff}, "
             f"{s.precision}, {'gradient checkpointing' if s.gradient_checkpointing else 'no checkpointing'}, "
             f"{estimate.shape.name or 'model'}); {calibration_note(p.name, calibration)}"]
    if detail:
        lines += [f"  {line}" for line in estimate.lines()]
    return lines
def dpo_line(profile: Profile) -> str:
    """What the preference pass (recipes/eai_dpo.yaml) needs on this profile's hardware."""
    if profile.dpo_extra_memory_gb is None:
        need = "no GPU memory estimate (CPU)" if not profile.gpu_memory_gb else "extra memory not estimated"
    else:
        total = (profile.gpu_memory_gb or 0) + profile.dpo_extra_memory_gb
        need = (f"+~{profile.dpo_extra_memory_gb:g} GB per GPU (reference model, chosen + rejected) "
                f"(~{total:g} GB in all)")
    return f"DPO: {need}; eai train --profile {profile.name} --recipe eai_dpo --from-run <sft run>"


def cmd_list(args: argparse.Namespace) -> int:
    calibration = load_calibration()
    for name in available_profiles():
        p = load_profile(name)
        memory = f"~{p.gpu_memory_gb:g} GB per GPU" if p.gpu_memory_gb else "CPU"
        train_cmd = f"{env_prefix(p.env)}llamafactory-cli train runs/{name}/train.yaml"
        print(f"{name:11s} {memory:16s} {p.description}\n{'':11s} {launch_line(p)}\n{'':11s}   runs: {train_cmd}")
        if p.requires_gpu:
            for line in memory_lines(p, calibration, detail=args.memory):
                print(f"{'':11s}   {line}")
        print(f"{'':11s} {dpo_line(p)}")
    if not args.memory:
        print("\n(--memory shows how each estimate is made up: eai_recipes/recipes/memory.py)")
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
                        description="One entry per profile in recipes/profiles/: estimated GPU memory, "
                                    "description, and the command that launches it; for GPU profiles the "
                                    "memory model's estimate (eai_recipes/recipes/memory.py) and whether a GPU "
                                    "check calibrated it (recipes/memory/calibration.yaml); and the extra memory "
                                    "of the DPO pass (the reference model) with its command.")
    ls.add_argument("--memory", action="store_true",
                    help="show each estimate term by term (weights, embeddings, LoRA, activations, logits)")
    ls.set_defaults(func=cmd_list)
