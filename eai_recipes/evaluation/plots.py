"""Training history and the plots a person would rather look at than read: the loss curve, and the
validation metric per checkpoint beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eai_recipes.evaluation.scoring import ROUGE_LABELS

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def _from_trainer_state(path: Path) -> list[dict[str, float]]:
    state = json.loads(path.read_text(encoding="utf-8"))
    return [{"step": e["step"], "loss": e["loss"]} for e in state.get("log_history", [])
            if "loss" in e and "step" in e]


def _from_trainer_log(path: Path) -> list[dict[str, float]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by an interrupted run
        if isinstance(e, dict) and e.get("loss") is not None and "current_steps" in e:
            out.append({"step": e["current_steps"], "loss": e["loss"]})
    return out


def loss_history(adapter_dir: Path) -> tuple[list[dict[str, float]], str | None]:
    """(step, loss) points of a training run and the file they came from: the final trainer_state.json,
    else LLaMA-Factory's trainer_log.jsonl, else the latest checkpoint's trainer_state.json (an
    interrupted run). Empty when the run logged no loss."""
    candidates = [adapter_dir / "trainer_state.json", adapter_dir / "trainer_log.jsonl"]
    checkpoints = sorted((int(m.group(1)), p) for p in adapter_dir.glob("checkpoint-*")
                         if (m := _CHECKPOINT.match(p.name)))
    candidates += [p / "trainer_state.json" for _, p in reversed(checkpoints)]
    for path in candidates:
        if not path.exists():
            continue
        points = _from_trainer_state(path) if path.suffix == ".json" else _from_trainer_log(path)
        if points:
            return points, path.as_posix()
    return [], None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _draw_loss(ax, history: list[dict[str, float]], marks: list[int] = (), best: int | None = None) -> None:
    if history:
        ax.plot([p["step"] for p in history], [p["loss"] for p in history], color="tab:blue", marker=".",
                label="training loss")
    else:
        ax.text(0.5, 0.5, "no training loss logged", ha="center", va="center", transform=ax.transAxes)
    for step in marks:
        ax.axvline(step, color="grey", lw=0.6, ls=":")
    if best is not None:
        ax.axvline(best, color="tab:red", lw=1.2, label=f"chosen: checkpoint-{best}")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    if history or best is not None:
        ax.legend(loc="upper right")


def plot_loss(history: list[dict[str, float]], out: Path, title: str = "") -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _draw_loss(ax, history)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_checkpoints(checkpoints: list[dict[str, Any]], metric: str, metric_label: str, best: int,
                     history: list[dict[str, float]], out: Path) -> Path:
    """Left: each ROUGE F1 per checkpoint step (the chosen metric with its bootstrap interval); right: the
    training loss with the checkpoint steps marked and the chosen one in red."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    steps = [c["step"] for c in checkpoints]
    for key, style in (("rouge1", ":"), ("rouge2", "--"), ("rougeL", "-")):
        if key == metric:
            continue
        left.plot(steps, [c["rouge"][key]["mean"] for c in checkpoints], ls=style, marker=".", alpha=0.6,
                  label=ROUGE_LABELS[key])
    means = [c["rouge"][metric]["mean"] for c in checkpoints]
    lows = [m - c["rouge"][metric]["ci"][0] for m, c in zip(means, checkpoints)]
    highs = [c["rouge"][metric]["ci"][1] - m for m, c in zip(means, checkpoints)]
    left.errorbar(steps, means, yerr=[lows, highs], color="tab:red", marker="o", capsize=3,
                  label=f"{metric_label} (95% CI)")
    left.scatter([best], [means[steps.index(best)]], s=160, facecolors="none", edgecolors="black", zorder=5,
                 label=f"chosen: checkpoint-{best}")
    left.set_xlabel("step")
    left.set_ylabel("F1 x 100 (rouge-score, stemmed)")
    left.set_title("Validation ROUGE per checkpoint")
    left.grid(alpha=0.3)
    left.legend(loc="best", fontsize="small")
    _draw_loss(right, history, marks=steps, best=best)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
