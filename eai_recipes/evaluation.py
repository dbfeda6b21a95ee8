"""Score predictions: standard ROUGE (rouge-score, stemmed) beside LLaMA-Factory's own figures.

LLaMA-Factory's `predict_rouge-*` are computed on jieba tokens over sets of n-grams, without lowercasing or
stemming (see the reference notes): for English they are not the ROUGE of Lin (2004). We report standard
ROUGE-1/2/L F1 from `rouge-score` with stemming, and show LLaMA-Factory's figures beside them, labelled.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")
LF_KEYS = ("predict_rouge-1", "predict_rouge-2", "predict_rouge-l", "predict_bleu-4")
MODEL_LABELS = {"adapter": "EAI (fine-tuned)", "base": "Base model"}


def load_predictions(pred_dir: Path) -> list[dict[str, str]]:
    path = pred_dir / "generated_predictions.jsonl"
    if not path.exists():
        raise EaiError(f"{path} not found: run `eai predict` first")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EaiError(f"{path}:{lineno}: not JSON ({exc})") from None
        if not isinstance(row, dict) or "predict" not in row or "label" not in row:
            raise EaiError(f"{path}:{lineno}: expected an object with 'predict' and 'label'")
        rows.append(row)
    if not rows:
        raise EaiError(f"{path}: no predictions")
    return rows


def rouge_per_sample(predictions: list[str], references: list[str]) -> dict[str, list[float]]:
    """ROUGE-1/2/L F1 (0-100) per sample, rouge-score with the Porter stemmer."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    out: dict[str, list[float]] = {k: [] for k in ROUGE_KEYS}
    for pred, ref in zip(predictions, references, strict=True):
        scores = scorer.score(ref, pred)
        for k in ROUGE_KEYS:
            out[k].append(100.0 * scores[k].fmeasure)
    return out


def score_dir(pred_dir: Path) -> dict[str, Any]:
    """Standard ROUGE means plus LLaMA-Factory's own metrics for one predict output directory."""
    rows = load_predictions(pred_dir)
    per_sample = rouge_per_sample([r["predict"] for r in rows], [r["label"] for r in rows])
    result: dict[str, Any] = {
        "n": len(rows),
        "rouge": {k: sum(v) / len(v) for k, v in per_sample.items()},
    }
    lf_path = pred_dir / "predict_results.json"
    if lf_path.exists():
        result["llamafactory"] = json.loads(lf_path.read_text())
    return result


def _fmt(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def comparison_table(results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table in the shape of the paper's Table 1 (fine-tuned first, then base)."""
    models = [m for m in ("adapter", "base") if m in results]
    header = "| Metric | " + " | ".join(MODEL_LABELS[m] for m in models) + " |"
    lines = [header, "|---" * (len(models) + 1) + "|"]

    def row(label: str, getter, digits: int = 2) -> None:
        lines.append(f"| {label} | " + " | ".join(_fmt(getter(results[m]), digits) for m in models) + " |")

    for key, label in zip(ROUGE_KEYS, ("ROUGE-1", "ROUGE-2", "ROUGE-L")):
        row(f"{label} (rouge-score, stemmed)", lambda r, k=key: r["rouge"][k])
    for key, label in zip(LF_KEYS, ("ROUGE-1", "ROUGE-2", "ROUGE-L", "BLEU-4 (characters)")):
        row(f"{label} (LLaMA-Factory, jieba)", lambda r, k=key: r.get("llamafactory", {}).get(k))
    row("Samples per second", lambda r: r.get("llamafactory", {}).get("predict_samples_per_second"), 3)
    row("Steps per second", lambda r: r.get("llamafactory", {}).get("predict_steps_per_second"), 3)
    row("Model preparation time (s)",
        lambda r: r.get("llamafactory", {}).get("predict_model_preparation_time"), 4)
    row("Samples", lambda r: r["n"], 0)
    return "\n".join(lines) + "\n"


def evaluate_run(run_dir: Path) -> dict[str, Any]:
    """Score runs/<run>/predict/{adapter,base} and write runs/<run>/eval/{metrics.json,table.md}."""
    results = {m: score_dir(run_dir / "predict" / m) for m in ("adapter", "base") if (run_dir / "predict" / m).exists()}
    if not results:
        raise EaiError(f"no predictions under {run_dir / 'predict'}: run `eai predict` first")
    out = run_dir / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (out / "table.md").write_text(comparison_table(results))
    return results


def cmd_eval(args: argparse.Namespace) -> int:
    from eai_recipes import launch, paths, recipes

    rendered = recipes.render(args.profile, recipes.parse_sets(args.sets), run_name=args.run_name)
    if not args.skip_predict:
        launch.predict(rendered, "both")
    results = evaluate_run(rendered.run_dir)
    sys.stdout.write(comparison_table(results))
    print(f"wrote {rendered.run_dir / 'eval' / 'metrics.json'}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from eai_recipes import recipes

    p = subparsers.add_parser(
        "eval", help="predict with base and fine-tuned models and compare ROUGE",
        description="Run predict on the validation set for the base model and the adapter (same data, greedy "
                    "generation), score both with standard ROUGE-1/2/L (rouge-score, stemming on), show "
                    "LLaMA-Factory's own jieba-based figures beside them, and write runs/<run>/eval/.",
    )
    recipes.add_render_options(p)
    p.add_argument("--skip-predict", action="store_true", help="score existing predictions only")
    p.set_defaults(func=cmd_eval)
