"""The whole pipeline on the embedded default, offline on a CPU: data -> recipes -> QLoRA training of the
tiny model -> predict with the base model and the adapter -> merged export -> scores, report, model card,
and the comparison table last."""

from __future__ import annotations

import sys
import time

from eai_recipes import evaluation, paths, tiny_model
from eai_recipes.data.build import build_datasets
from eai_recipes.evaluation import report
from eai_recipes.launch.preflight import validate_once
from eai_recipes.launch.run import export, predict, train
from eai_recipes.recipes.render import render

STEPS = 7


def _step(n: int, title: str) -> float:
    print(f"\n[{n}/{STEPS}] {title}", file=sys.stderr, flush=True)
    return time.monotonic()


def run_demo(run_name: str = "demo", *, profile: str = "tiny", verbose: bool = False) -> dict:
    started = time.monotonic()
    _step(1, f"tiny model -> {paths.TINY_MODEL_DIR}")
    if not tiny_model.is_built(paths.TINY_MODEL_DIR):
        tiny_model.build_tiny_model(paths.TINY_MODEL_DIR)
    _step(2, f"datasets from the shipped samples -> {paths.DATA_DIR}/")
    build_datasets(paths.DATA_DIR, offline=True)
    _step(3, f"render and validate the '{profile}' recipes -> {paths.RUNS_DIR / run_name}/")
    rendered = render(profile, run_name=run_name)
    for stage in rendered.files:
        validate_once(rendered, stage)
    quiet = not verbose
    _step(4, "QLoRA training (4-bit NF4, double quantization) with llamafactory-cli train")
    train(rendered, fresh=True, quiet=quiet)
    _step(5, "predict on the validation set: base model, then the adapter")
    predict(rendered, "both", quiet=quiet)
    _step(6, "merge the adapter into the base model with llamafactory-cli export")
    merged = export(rendered, quiet=quiet)
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
    print(f"Next, the preference pass (DPO) from this run: eai train --profile {profile} --recipe eai_dpo "
          f"--from-run {run_name} --run-name {run_name}-dpo, then the same with `eai eval` for the SFT vs "
          "SFT + DPO table (`make dpo` does both; see recipes/README.md).", file=sys.stderr)
    return metrics
