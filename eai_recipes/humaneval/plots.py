"""Diverging stacked Likert bars: disagreement to the left of zero, agreement to the right, the neutral
option split across the middle, so the two models' distributions can be compared at a glance."""

from __future__ import annotations

from pathlib import Path

from eai_recipes.humaneval.items import (
    ITEM_BY_ID,
    ITEMS,
    NEUTRAL_SCORE,
    SCALE_LABELS,
    SCORES,
)

COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#d9d9d9", 4: "#67a9cf", 5: "#2166ac"}


def _segments(percent: dict[int, float]) -> list[tuple[int, float, float]]:
    """(score, left, width) with the neutral option centred on zero."""
    left = -sum(percent[s] for s in SCORES if s < NEUTRAL_SCORE) - percent.get(NEUTRAL_SCORE, 0.0) / 2
    out = []
    for s in SCORES:
        out.append((s, left, percent[s]))
        left += percent[s]
    return out


def _draw(ax, rows: list[tuple[str, dict[int, float]]]) -> None:
    for y, (_, percent) in enumerate(rows):
        for score, left, width in _segments(percent):
            ax.barh(y, width, left=left, color=COLOURS[score], edgecolor="white", linewidth=0.5,
                    label=f"{score} {SCALE_LABELS[score]}" if y == 0 else None)
            if width >= 8:
                ax.text(left + width / 2, y, f"{width:.0f}%", ha="center", va="center", fontsize=7,
                        color="black" if score == NEUTRAL_SCORE else "white")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.invert_yaxis()
    ax.set_xlim(-100, 100)
    ax.set_xticks(range(-100, 101, 25), [f"{abs(t)}%" for t in range(-100, 101, 25)])


def _percentages(analysis: dict, model: str, item: str) -> dict[int, float]:
    return {o["score"]: o["percent"] for o in analysis["frequencies"][model][item]["options"]}


def draw_charts(analysis: dict, out: Path) -> list[str]:
    """One PNG per item (both models) and an overview of all items; returns file names relative to `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = analysis["meta"]["models"]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in ITEMS:
        fig, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * len(models)))
        _draw(ax, [(m, _percentages(analysis, m, item.id)) for m in models])
        ax.set_title(f"{item.label}: {item.description}", fontsize=10)
        ax.legend(ncol=len(SCORES), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
        name = f"likert_{item.id}.png"
        fig.savefig(out / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(name)
    rows = [(f"{ITEM_BY_ID[i.id].label} - {m}", _percentages(analysis, m, i.id)) for i in ITEMS for m in models]
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.32 * len(rows)))
    _draw(ax, rows)
    ax.set_title("Ratings per item and model (share of ratings; neutral split at zero)", fontsize=10)
    ax.legend(ncol=len(SCORES), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.06), frameon=False)
    fig.savefig(out / "likert_overview.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return ["likert_overview.png", *written]
