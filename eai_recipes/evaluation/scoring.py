"""Read LLaMA-Factory's predictions and score them with standard ROUGE (rouge-score, Porter stemming).

LLaMA-Factory's own `predict_rouge-*` are computed on jieba tokens over sets of n-grams, without lowercasing
or stemming (see the reference notes): for English they are not the ROUGE of Lin (2004). We score every
sample with `rouge-score` and keep LLaMA-Factory's figures beside ours, labelled as theirs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")
ROUGE_LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L"}
PREDICTIONS_FILE = "generated_predictions.jsonl"
LF_RESULTS_FILE = "predict_results.json"


def load_predictions(pred_dir: Path) -> list[dict[str, str]]:
    """The rows of <pred_dir>/generated_predictions.jsonl ({"prompt", "predict", "label"}), in order."""
    path = pred_dir / PREDICTIONS_FILE
    if not path.exists():
        raise EaiError(f"{path} not found: run `eai predict` (or `eai eval` without --skip-predict) first")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EaiError(f"{path}:{lineno}: not JSON ({exc})") from None
        if not isinstance(row, dict) or not isinstance(row.get("predict"), str) or not isinstance(
                row.get("label"), str):
            raise EaiError(f"{path}:{lineno}: expected an object with string fields 'predict' and 'label'")
        rows.append(row)
    if not rows:
        raise EaiError(f"{path}: no predictions")
    return rows


def rouge_per_sample(predictions: list[str], references: list[str]) -> dict[str, list[float]]:
    """ROUGE-1/2/L F1 (0-100) per sample: rouge-score's default tokenizer (lowercase, alphanumerics) with the
    Porter stemmer; ROUGE-L is the sentence-level LCS variant (`rougeL`), as in Lin (2004)."""
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    out: dict[str, list[float]] = {k: [] for k in ROUGE_KEYS}
    for pred, ref in zip(predictions, references, strict=True):
        scores = scorer.score(ref, pred)  # rouge-score's order: target first, prediction second
        for k in ROUGE_KEYS:
            out[k].append(100.0 * scores[k].fmeasure)
    return out


def load_llamafactory_results(pred_dir: Path) -> dict[str, Any] | None:
    """LLaMA-Factory's predict_results.json (its jieba ROUGE, character BLEU-4 and timings), if written."""
    path = pred_dir / LF_RESULTS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EaiError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EaiError(f"{path}: expected a JSON object of metric names to values")
    return data


def score_dir(pred_dir: Path) -> dict[str, Any]:
    """Score one predict output directory: the rows, standard ROUGE per sample and its means, and
    LLaMA-Factory's own figures (None where it wrote none, e.g. the vLLM path)."""
    rows = load_predictions(pred_dir)
    per_sample = rouge_per_sample([r["predict"] for r in rows], [r["label"] for r in rows])
    return {
        "n": len(rows),
        "rows": rows,
        "per_sample": per_sample,
        "rouge": {k: sum(v) / len(v) for k, v in per_sample.items()},
        "llamafactory": load_llamafactory_results(pred_dir),
    }


def check_aligned(a_dir: Path, a_rows: list[dict], b_dir: Path, b_rows: list[dict]) -> None:
    """Paired comparison needs the same samples in the same order: same count, same references."""
    if len(a_rows) != len(b_rows):
        raise EaiError(f"{a_dir} has {len(a_rows)} predictions but {b_dir} has {len(b_rows)}: both models must "
                       "be predicted on the same data (rerun `eai eval` without --skip-predict)")
    for i, (a, b) in enumerate(zip(a_rows, b_rows)):
        if a["label"] != b["label"]:
            raise EaiError(f"row {i + 1} of {a_dir / PREDICTIONS_FILE} and {b_dir / PREDICTIONS_FILE} have "
                           "different references: the two predictions were not made on the same data")
