"""Base model vs fine-tuned adapter: standard ROUGE with bootstrap intervals, the paired difference, and
LLaMA-Factory's own figures beside them, written to runs/<run>/eval/{metrics.json,table.md}."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.errors import EaiError
from eai_recipes.evaluation.bootstrap import (
    BootstrapSettings,
    mean_ci,
    paired_difference_ci,
)
from eai_recipes.evaluation.scoring import (
    ROUGE_KEYS,
    ROUGE_LABELS,
    check_aligned,
    score_dir,
)
from eai_recipes.facts import MODEL_LABELS

SCHEMA_VERSION = 1
MODELS = ("adapter", "base")  # the paper's Table 1 puts the fine-tuned model first
LF_ROWS = (
    ("predict_rouge-1", "ROUGE-1 (LLaMA-Factory, jieba)"),
    ("predict_rouge-2", "ROUGE-2 (LLaMA-Factory, jieba)"),
    ("predict_rouge-l", "ROUGE-L (LLaMA-Factory, jieba)"),
    ("predict_bleu-4", "BLEU-4 (LLaMA-Factory, characters)"),
)
# Generation and data settings that must be the same for both models for the comparison to be fair.
SHARED_KEYS = (
    "model_name_or_path", "template", "eval_dataset", "dataset_dir", "max_samples", "cutoff_len",
    "quantization_bit", "quantization_type", "double_quantization",
    "do_sample", "temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty",
    "per_device_eval_batch_size", "seed",
)
SPEED_FILE = "eai_speed.json"  # written beside the predictions by paths that are not LLaMA-Factory's


def generation_settings(run_dir: Path) -> dict[str, Any]:
    """The shared settings of runs/<run>/predict_{base,adapter}.yaml; an error if the two differ."""
    configs = {}
    for model in MODELS:
        path = run_dir / f"predict_{model}.yaml"
        if path.exists():
            configs[model] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not configs:
        return {}
    shared = {k: v for k, v in next(iter(configs.values())).items() if k in SHARED_KEYS}
    if len(configs) == 2:
        base, adapter = configs["base"], configs["adapter"]
        differ = [k for k in SHARED_KEYS if base.get(k) != adapter.get(k)]
        if differ:
            raise EaiError(f"{run_dir}/predict_base.yaml and predict_adapter.yaml differ in {', '.join(differ)}: "
                           "base and adapter must be predicted with the same data and generation settings")
    return shared


def _speed(pred_dir: Path, lf: dict[str, Any] | None) -> dict[str, Any] | None:
    """Samples per second of the generation loop: LLaMA-Factory's figure, or the one our vLLM path wrote."""
    path = pred_dir / SPEED_FILE
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    if lf and "predict_samples_per_second" in lf:
        return {
            "source": "llamafactory-cli train (do_predict)",
            "samples_per_second": lf.get("predict_samples_per_second"),
            "steps_per_second": lf.get("predict_steps_per_second"),
            "runtime_s": lf.get("predict_runtime"),
            "model_preparation_s": lf.get("predict_model_preparation_time"),
        }
    return None


def evaluate_run(run_dir: Path, *, predict_dir: Path | None = None,
                 settings: BootstrapSettings = BootstrapSettings(),
                 wall_seconds: dict[str, float] | None = None, backend: str = "llamafactory") -> dict[str, Any]:
    """Score runs/<run>/predict/{adapter,base}, bootstrap the intervals, and write runs/<run>/eval/
    metrics.json and table.md. Returns the metrics."""
    predict_dir = predict_dir or run_dir / "predict"
    present = [m for m in MODELS if (predict_dir / m).exists()]
    if not present:
        raise EaiError(f"no predictions under {predict_dir}: run `eai eval` (or `eai predict`) first")
    scored = {m: score_dir(predict_dir / m) for m in present}
    if len(scored) == 2:
        check_aligned(predict_dir / "adapter", scored["adapter"]["rows"], predict_dir / "base", scored["base"]["rows"])

    models: dict[str, Any] = {}
    for m, s in scored.items():
        models[m] = {
            "label": MODEL_LABELS[m],
            "predictions": (predict_dir / m).as_posix(),
            "n": s["n"],
            "empty_answers": sum(1 for r in s["rows"] if not r["predict"].strip()),
            "rouge": {k: mean_ci(s["per_sample"][k], settings) for k in ROUGE_KEYS},
            "llamafactory": s["llamafactory"],
            "speed": _speed(predict_dir / m, s["llamafactory"]),
        }
        if wall_seconds and m in wall_seconds:
            models[m]["wall_seconds"] = round(wall_seconds[m], 3)
    metrics: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "run": run_dir.name,
        "backend": backend,
        "rouge": {"package": "rouge-score", "use_stemmer": True, "score": "F1 x 100, mean over samples",
                  "keys": list(ROUGE_KEYS)},
        "bootstrap": {**settings.as_dict(), "paired_difference": True},
        "generation": generation_settings(run_dir),
        "models": models,
    }
    if len(scored) == 2:
        metrics["difference"] = {
            k: paired_difference_ci(scored["adapter"]["per_sample"][k], scored["base"]["per_sample"][k], settings)
            for k in ROUGE_KEYS
        }
    out = run_dir / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "table.md").write_text(comparison_table(metrics), encoding="utf-8")
    return metrics


# ------------------------------------------------------------------------------------------------ table


def _num(value: Any, digits: int = 2, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _with_ci(stat: dict[str, Any], sign: bool = False) -> str:
    low, high = stat["ci"]
    return f"{_num(stat['mean'], sign=sign)} [{_num(low, sign=sign)}, {_num(high, sign=sign)}]"


def comparison_table(metrics: dict[str, Any]) -> str:
    """A Markdown table in the shape of the paper's Table 1 (fine-tuned first, then base), with 95% bootstrap
    intervals for standard ROUGE and the paired difference, then a note on what the numbers are."""
    models = [m for m in MODELS if m in metrics["models"]]
    has_diff = "difference" in metrics
    cols = [metrics["models"][m]["label"] for m in models] + (["Difference (EAI - base)"] if has_diff else [])
    lines = ["| Metric | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def plain(getter, digits: int, diff: bool = False) -> list[str]:
        values = [getter(metrics["models"][m]) for m in models]
        cells = [_num(v, digits) for v in values]
        if has_diff:
            both = None not in values and diff
            cells.append(_num(values[0] - values[1], digits, sign=True) if both else "")
        return cells

    for key in ROUGE_KEYS:
        cells = [_with_ci(metrics["models"][m]["rouge"][key]) for m in models]
        if has_diff:
            cells.append(_with_ci(metrics["difference"][key], sign=True))
        row(f"{ROUGE_LABELS[key]} (rouge-score, stemmed)", cells)
    for key, label in LF_ROWS:
        row(label, plain(lambda r, k=key: (r.get("llamafactory") or {}).get(k), 2, diff=True))
    row("Samples per second", plain(lambda r: (r.get("speed") or {}).get("samples_per_second"), 3))
    row("Steps per second", plain(lambda r: (r.get("speed") or {}).get("steps_per_second"), 3))
    row("Model preparation time (s)", plain(lambda r: (r.get("speed") or {}).get("model_preparation_s"), 4))
    if any("wall_seconds" in metrics["models"][m] for m in models):
        row("Wall time incl. model load (s)", plain(lambda r: r.get("wall_seconds"), 1))
    row("Samples", plain(lambda r: r["n"], 0))
    if any(metrics["models"][m].get("empty_answers") for m in models):  # a model that says nothing scores 0
        row("Empty answers", plain(lambda r: r.get("empty_answers"), 0))
    return "\n".join(lines) + "\n\n" + table_notes(metrics) + "\n"


def decoding(metrics: dict[str, Any]) -> str:
    """How the predictions were generated, from the settings recorded in metrics.json."""
    g = metrics.get("generation") or {}
    if not g:
        return "as rendered (no predict recipe found)"
    if g.get("do_sample") is False:
        return "greedy"
    # LLaMA-Factory samples unless told not to
    return (f"sampling (temperature {g.get('temperature', 'default')}, top_p {g.get('top_p', 'default')}; "
            "set do_sample: false for a reproducible comparison)")


def table_notes(metrics: dict[str, Any]) -> str:
    b = metrics["bootstrap"]
    g = metrics.get("generation") or {}
    decoding_text = decoding(metrics)
    speed_source = next((m["speed"]["source"] for m in metrics["models"].values() if m.get("speed")), "-")
    notes = [
        f"ROUGE (rouge-score, stemmed): F1 x 100 per sample with the Porter stemmer, averaged; "
        f"[{b['confidence']:.0%} bootstrap interval, {b['method']}, {b['n_resamples']} resamples, seed {b['seed']}"
        + ("; the difference resamples the same samples for both models]" if "difference" in metrics else "]"),
        "LLaMA-Factory, jieba: LLaMA-Factory's own predict_* figures (jieba tokens, no lowercasing or stemming, "
        "sets of n-grams; BLEU-4 on characters). They are not standard English ROUGE and are shown for "
        "comparison with the paper's Table 1 only.",
        f"Generation: {decoding_text}, max_new_tokens {g.get('max_new_tokens', '-')}, batch "
        f"{g.get('per_device_eval_batch_size', '-')}, seed {g.get('seed', '-')}; backend {metrics['backend']}; "
        f"speed from {speed_source}.",
    ]
    if metrics["backend"] == "vllm":
        notes.append("vLLM ran both models unquantized (it cannot load bitsandbytes 4-bit) and the fine-tuned "
                     "one as the merged export: compare these figures with other vLLM figures only.")
    return "\n".join(f"- {n}" for n in notes)
