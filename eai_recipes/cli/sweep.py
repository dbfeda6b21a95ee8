"""`eai sweep`: one run per point of a hyperparameter sweep, then the losses side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eai_recipes.launch.run import link_runs
from eai_recipes.launch.sweep import run
from eai_recipes.recipes.sweeps import resolve_path


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.runs_on:
        link_runs(Path(args.runs_on))
    points = run(resolve_path(args.file), dry_run=args.dry_run, fresh=args.fresh, quiet=not args.verbose)
    failed = [p for p in points if p.status == "failed"]
    if failed:
        print(f"eai: {len(failed)} of {len(points)} points failed; their logs are in <run dir>/logs/",
              file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep", help="train one run per point of a hyperparameter sweep, then tabulate the losses",
        description="Expand a sweep file (a profile plus `grid:` and/or `points:` of overrides) into one rendered, "
                    "validated recipe per point under runs/<sweep>/<point>/ (any invalid point stops the sweep "
                    "before it starts), train the points one by one (a point finished with the same recipe is "
                    "skipped, an interrupted one resumes, and one trained with a recipe that has changed since "
                    "stops the sweep before anything runs; --fresh starts over), and write "
                    "runs/<sweep>/results.md, results.csv and loss.png with each point's final training loss, "
                    "eval loss and run directory.",
    )
    p.add_argument("file", metavar="FILE", help="a sweep YAML, or the name of one in recipes/sweeps/")
    p.add_argument("--dry-run", action="store_true",
                   help="expand and validate, print what each point would do and its command; run or write nothing")
    p.add_argument("--fresh", action="store_true",
                   help="retrain every point from scratch (also those whose recipe changed since they were trained)")
    p.add_argument("--verbose", action="store_true", help="stream LLaMA-Factory's full output")
    p.add_argument("--runs-on", metavar="DIR", help="keep runs/ on DIR (e.g. Google Drive), as a link")
    p.set_defaults(func=cmd_sweep)
