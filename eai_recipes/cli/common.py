"""Options shared by the commands that render a run (recipes render, train, predict, export, eval)."""

from __future__ import annotations

import argparse
from pathlib import Path

from eai_recipes import paths
from eai_recipes.launch.run import link_runs
from eai_recipes.recipes.launch_env import LAUNCH_ENV, parse_env
from eai_recipes.recipes.profiles import parse_sets
from eai_recipes.recipes.render import Rendered, render


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
    p.add_argument("--recipe", help="recipe in recipes/ instead of the profile's own, e.g. eai_dpo (the "
                                    "preference pass; see recipes/README.md)")
    p.add_argument("--from-run", metavar="RUN",
                   help="start from the finished run runs/RUN (e.g. the SFT run demo): its adapter is the policy's "
                        "start and, for DPO, the reference model's adapter")


def render_from_args(args: argparse.Namespace, runs_dir: Path = paths.RUNS_DIR, *,
                     stage_in: Path | None = None) -> Rendered:
    return render(args.profile, parse_sets(args.sets), run_name=args.run_name, runs_dir=runs_dir,
                  env=parse_env(getattr(args, "env", None)), stage_in=stage_in,
                  recipe=getattr(args, "recipe", None), from_run=getattr(args, "from_run", None))



def prepare(args: argparse.Namespace, *, stage_in: Path | None = None) -> Rendered:
    if getattr(args, "runs_on", None):
        link_runs(Path(args.runs_on))
    return render_from_args(args, stage_in=stage_in)


def add_runs_on(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-on", metavar="DIR",
                   help="keep runs/ on DIR, e.g. a mounted Google Drive folder, by making runs/ a link to it "
                        "(rendered recipes still say runs/...)")
