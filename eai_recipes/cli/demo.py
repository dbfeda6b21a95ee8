"""`eai demo`: the whole pipeline offline on the tiny model."""

from __future__ import annotations

import argparse

from eai_recipes.demo import run_demo


def cmd_demo(args: argparse.Namespace) -> int:
    run_demo(args.run_name, verbose=args.verbose)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="run the whole pipeline offline on the tiny model (CPU, a few minutes)",
        description="Build the tiny model and the datasets from the shipped samples, render the tiny recipes, "
                    "train a QLoRA adapter, predict with the base model and the adapter, export the merged "
                    "model, write the report and model card, and print the base-vs-fine-tuned table (standard "
                    "ROUGE with bootstrap intervals, LLaMA-Factory's figures beside it). Needs no GPU and no "
                    "network.",
    )
    p.add_argument("--run-name", default="demo", help="run directory under runs/ (default: %(default)s)")
    p.add_argument("--verbose", action="store_true", help="stream LLaMA-Factory's full output")
    p.set_defaults(func=cmd_demo)
