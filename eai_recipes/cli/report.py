"""`eai report`: a run's report page and model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from eai_recipes.errors import EaiError
from eai_recipes.evaluation.report import resolve_run, write_report


def cmd_report(args: argparse.Namespace) -> int:
    if args.samples < 0:
        raise EaiError(f"--samples {args.samples}: must be 0 or more")
    written = write_report(resolve_run(args.run), Path(args.out) if args.out else None, samples=args.samples,
                           seed=args.seed, adapter_card=not args.no_adapter_card)
    for label, path in written.items():
        print(f"  {label:14s} {path.as_posix()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="write a run's report (recipe, data, loss, metrics, samples) and its model card",
        description="Write runs/<run>/report/report.md and a self-contained report.html (images embedded): the "
                    "recipe, the data manifest (rows and licences per source), the training-loss curve, the "
                    "metric table with bootstrap intervals (from `eai eval`), the checkpoint choice (from `eai "
                    "eval --checkpoints`), side-by-side sample answers (base vs EAI), and a model card (intended "
                    "use, not a substitute for professional care, data and licences, evaluation, limitations), "
                    "also written as MODEL_CARD.md and as the adapter's README.md.",
    )
    p.add_argument("run", metavar="RUN", help="run name under runs/ (e.g. demo) or a run directory")
    p.add_argument("--out", help="output directory (default: runs/<run>/report)")
    p.add_argument("--samples", type=int, default=5, help="side-by-side sample answers (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample draw (default: %(default)s)")
    p.add_argument("--no-adapter-card", action="store_true",
                   help="do not write the card to runs/<run>/adapter/README.md")
    p.set_defaults(func=cmd_report)
