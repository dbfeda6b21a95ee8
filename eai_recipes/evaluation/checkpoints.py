"""Checkpoint choice: predict with every saved checkpoint-N on the validation set, score each with standard
ROUGE, and name the best by a stated rule (the paper exported checkpoints 1500 to 3000 and chose by eye).

Each checkpoint's predict file is derived from the run's rendered predict_adapter.yaml, changing only
`adapter_name_or_path`, `output_dir` (and `max_samples` when asked), so the generation settings are the
ones the base-vs-adapter comparison uses.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.errors import EaiError
from eai_recipes.evaluation.bootstrap import BootstrapSettings, mean_ci
from eai_recipes.evaluation.plots import loss_history, plot_checkpoints
from eai_recipes.evaluation.scoring import (
    PREDICTIONS_FILE,
    ROUGE_KEYS,
    ROUGE_LABELS,
    score_dir,
)

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
TIE_DECIMALS = 4


def rule_text(metric: str) -> str:
    return (f"highest mean {ROUGE_LABELS[metric]} F1 (rouge-score, stemmed) on the validation set; "
            f"a tie (equal to {TIE_DECIMALS} decimals) goes to the earlier step")


def choose_best(scores: dict[int, float]) -> int:
    """The step with the highest score; among scores equal to TIE_DECIMALS decimals, the earliest step
    (the less trained adapter is the cheaper, less over-fitted choice when the metric cannot tell them apart)."""
    if not scores:
        raise ValueError("no checkpoint scores to choose from")
    return min(scores, key=lambda step: (-round(scores[step], TIE_DECIMALS), step))


def find_checkpoints(adapter_dir: Path) -> list[tuple[int, Path]]:
    """(step, dir) of every complete checkpoint-N under the adapter dir, by step: one with a saved model and
    trainer_state.json (which the Trainer writes last, so a checkpoint cut off mid-write is left out)."""
    found = []
    for path in adapter_dir.glob("checkpoint-*"):
        m = _CHECKPOINT.match(path.name)
        model = (path / "adapter_config.json").exists() or (path / "config.json").exists()
        if m and path.is_dir() and model and (path / "trainer_state.json").exists():
            found.append((int(m.group(1)), path))
    if not found:
        raise EaiError(f"no checkpoint-N with a saved model under {adapter_dir}: train with `save_steps` below "
                       "the number of steps (and without deleting checkpoints) to score checkpoints")
    return sorted(found)


def checkpoint_config(predict_adapter_yaml: Path, checkpoint: Path, out_dir: Path,
                      max_samples: int | None = None) -> Path:
    """Write <out_dir>.yaml: the run's predict_adapter.yaml pointed at one checkpoint. Returns its path."""
    config = yaml.safe_load(predict_adapter_yaml.read_text(encoding="utf-8"))
    config["adapter_name_or_path"] = checkpoint.as_posix()
    config["output_dir"] = out_dir.as_posix()
    if max_samples:
        config["max_samples"] = max_samples
    path = out_dir.parent / f"{out_dir.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# EAI: predict on the validation set with {checkpoint.as_posix()}. Run from the project root:\n"
              f"#   llamafactory-cli train {path.as_posix()}\n"
              f"# Written by `eai eval --checkpoints` from {predict_adapter_yaml.as_posix()}: only "
              "adapter_name_or_path, output_dir" + (" and max_samples" if max_samples else "") + " differ.\n")
    path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def predict_checkpoints(rendered, checkpoints: list[tuple[int, Path]], out_root: Path, *,
                        max_samples: int | None = None, skip_existing: bool = False,
                        quiet: bool = False) -> dict[int, Path]:
    """Run llamafactory-cli predict once per checkpoint (the slow part: progress on stderr)."""
    from eai_recipes.launch.preflight import (
        check_datasets,
        check_model,
        llamafactory_cli,
        validate_once,
    )
    from eai_recipes.launch.run import run_logged

    validate_once(rendered, "predict_adapter")
    check_model(rendered.values)
    check_datasets(rendered.values, ("eval_dataset",))
    out: dict[int, Path] = {}
    for i, (step, ckpt) in enumerate(checkpoints, 1):
        pred_dir = out_root / ckpt.name
        out[step] = pred_dir
        if skip_existing and (pred_dir / PREDICTIONS_FILE).exists():
            print(f"==> [{i}/{len(checkpoints)}] {ckpt.name}: predictions exist, kept", file=sys.stderr)
            continue
        config = checkpoint_config(rendered.files["predict_adapter"], ckpt, pred_dir, max_samples)
        log = rendered.run_dir / "logs" / f"predict_{ckpt.name}.log"
        print(f"==> [{i}/{len(checkpoints)}] {ckpt.name}: llamafactory-cli train {config.as_posix()}  (log: {log})",
              file=sys.stderr, flush=True)
        seconds = run_logged([llamafactory_cli(), "train", str(config)], log, quiet=quiet)
        print(f"==> [{i}/{len(checkpoints)}] {ckpt.name}: done in {seconds:.1f}s", file=sys.stderr, flush=True)
    return out


def score_checkpoints(pred_dirs: dict[int, Path], *, metric: str = "rougeL",
                      settings: BootstrapSettings = BootstrapSettings()) -> dict[str, Any]:
    """Score each checkpoint's predictions and choose the best: {"metric", "rule", "best", "checkpoints"}."""
    if metric not in ROUGE_KEYS:
        raise EaiError(f"--metric {metric!r}: allowed {', '.join(ROUGE_KEYS)}")
    rows = []
    n_seen = set()
    for step in sorted(pred_dirs):
        s = score_dir(pred_dirs[step])
        n_seen.add(s["n"])
        rows.append({"step": step, "name": pred_dirs[step].name, "predictions": pred_dirs[step].as_posix(),
                     "n": s["n"], "rouge": {k: mean_ci(s["per_sample"][k], settings) for k in ROUGE_KEYS}})
    if len(n_seen) > 1:
        raise EaiError(f"checkpoint predictions have different sample counts {sorted(n_seen)}: predict them "
                       "again on the same data (without --skip-predict)")
    best = choose_best({r["step"]: r["rouge"][metric]["mean"] for r in rows})
    return {"metric": metric, "rule": rule_text(metric), "best": best, "bootstrap": settings.as_dict(),
            "checkpoints": rows}


def checkpoint_table(result: dict[str, Any]) -> str:
    metric, best = result["metric"], result["best"]
    lines = ["| Checkpoint | Step | " + " | ".join(f"{ROUGE_LABELS[k]} [95% CI]" for k in ROUGE_KEYS) + " |",
             "|---|---:|" + "---|" * len(ROUGE_KEYS)]
    for r in result["checkpoints"]:
        cells = []
        for k in ROUGE_KEYS:
            st = r["rouge"][k]
            text = f"{st['mean']:.2f} [{st['ci'][0]:.2f}, {st['ci'][1]:.2f}]"
            cells.append(f"**{text}**" if k == metric and r["step"] == best else text)
        name = f"**{r['name']}** (chosen)" if r["step"] == best else r["name"]
        lines.append(f"| {name} | {r['step']} | " + " | ".join(cells) + " |")
    b = result["bootstrap"]
    lines += ["", f"- Rule: {result['rule']}.",
              f"- Chosen: checkpoint-{best}. Intervals: {b['confidence']:.0%} bootstrap ({b['method']}, "
              f"{b['n_resamples']} resamples, seed {b['seed']}); checkpoints whose intervals overlap the chosen "
              "one's are not clearly worse on this validation set."]
    return "\n".join(lines) + "\n"


def evaluate_checkpoints(rendered, *, metric: str = "rougeL", max_samples: int | None = None,
                         skip_predict: bool = False, settings: BootstrapSettings = BootstrapSettings(),
                         quiet: bool = False) -> dict[str, Any]:
    """`eai eval --checkpoints`: predict (unless skipped), score, choose, and write runs/<run>/eval/
    checkpoints.{json,md,png}."""
    run_dir = rendered.run_dir
    adapter_dir = run_dir / "adapter"
    checkpoints = find_checkpoints(adapter_dir)
    out_root = run_dir / "eval" / "checkpoints"
    if skip_predict:
        pred_dirs = {step: out_root / ckpt.name for step, ckpt in checkpoints}
    else:
        pred_dirs = predict_checkpoints(rendered, checkpoints, out_root, max_samples=max_samples, quiet=quiet)
    result = score_checkpoints(pred_dirs, metric=metric, settings=settings)
    history, source = loss_history(adapter_dir)
    result["loss_source"] = source
    result["best_path"] = dict(checkpoints)[result["best"]].as_posix()
    eval_dir = run_dir / "eval"
    plot = plot_checkpoints(result["checkpoints"], metric, ROUGE_LABELS[metric], result["best"], history,
                            eval_dir / "checkpoints.png")
    result["plot"] = plot.as_posix()
    (eval_dir / "checkpoints.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n",
                                               encoding="utf-8")
    (eval_dir / "checkpoints.md").write_text(checkpoint_table(result), encoding="utf-8")
    return result
