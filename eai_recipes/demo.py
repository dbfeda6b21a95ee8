"""The whole pipeline on the embedded default, offline on a CPU: data -> recipes -> QLoRA training of the
tiny model -> predict with the base model and the adapter -> merged export -> scores, report, model card,
and the comparison table last."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from eai_recipes import evaluation, launch, paths, recipes, report

STEPS = 7


def _step(n: int, title: str) -> float:
    print(f"\n[{n}/{STEPS}] {title}", file=sys.stderr, flush=True)
    return time.monotonic()


def run_demo(run_name: str = "demo", *, profile: str = "tiny", verbose: bool = False) -> dict:
    from eai_recipes import cli, tiny_model

    started = time.monotonic()
    _step(1, f"tiny model -> {paths.TINY_MODEL_DIR}")
    if not tiny_model.is_built(paths.TINY_MODEL_DIR):
        tiny_model.build_tiny_model(paths.TINY_MODEL_DIR)
    _step(2, f"datasets from the shipped samples -> {paths.DATA_DIR}/")
    if cli.main(["data", "build", "--offline", "--out", str(paths.DATA_DIR)]) != 0:
        raise SystemExit(2)
    _step(3, f"render and validate the '{profile}' recipes -> {paths.RUNS_DIR / run_name}/")
    rendered = recipes.render(profile, run_name=run_name)
    for stage in rendered.files:
        launch.validate_once(rendered, stage)
    quiet = not verbose
    _step(4, "QLoRA training (4-bit NF4, double quantization) with llamafactory-cli train")
    launch.train(rendered, fresh=True, quiet=quiet)
    _step(5, "predict on the validation set: base model, then the adapter")
    launch.predict(rendered, "both", quiet=quiet)
    _step(6, "merge the adapter into the base model with llamafactory-cli export")
    merged = launch.export(rendered, quiet=quiet)
    _step(7, "score (rouge-score, bootstrap intervals) beside LLaMA-Factory's figures; report and model card")
    run_dir = rendered.run_dir
    metrics = evaluation.evaluate_run(run_dir)
    written = report.write_report(run_dir)
    print("What it wrote:")
    for label, path in (
        ("datasets, manifest, rejects", paths.DATA_DIR),
        ("rendered recipes", run_dir),
        ("adapter (+ training_loss.png)", run_dir / "adapter"),
        ("predictions", run_dir / "predict"),
        ("merged model", merged),
        ("metrics", run_dir / "eval" / "metrics.json"),
        ("report (one HTML file)", written["report.html"]),
        ("model card", written["MODEL_CARD.md"]),
        ("logs", run_dir / "logs"),
    ):
        print(f"  {label:30s} {path}")
    # The table comes last: it is what the demo is for.
    print(f"\nBase model vs fine-tuned on the validation set ({run_dir / 'eval' / 'table.md'}):\n")
    print(evaluation.comparison_table(metrics))
    print(f"Done in {time.monotonic() - started:.0f}s.", file=sys.stderr)
    return metrics


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
