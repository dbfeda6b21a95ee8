"""Evaluation: standard ROUGE (rouge-score, stemmed) with bootstrap intervals for the base model and the
fine-tuned adapter, LLaMA-Factory's own figures beside them, checkpoint choice, and a vLLM predict path.

Modules: scoring (predictions -> per-sample ROUGE), bootstrap (seeded intervals, paired differences),
compare (base vs adapter: metrics.json and the Table 1-shaped table), checkpoints (score every checkpoint-N,
choose one by a stated rule), plots (loss curve, metric per step), vllm_backend (GPU predict), cli (`eai eval`).
"""

from __future__ import annotations

from eai_recipes.evaluation.compare import MODEL_LABELS, comparison_table, evaluate_run
from eai_recipes.evaluation.scoring import (
           ROUGE_KEYS,
           load_predictions,
           rouge_per_sample,
           score_dir,
)

__all__ = ["MODEL_LABELS", "ROUGE_KEYS", "comparison_table", "evaluate_run", "load_predictions", "register",
           "rouge_per_sample", "score_dir"]
