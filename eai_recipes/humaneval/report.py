"""analysis.json and the Markdown tables, shaped like the paper's Tables 2-8."""

from __future__ import annotations

import json
from pathlib import Path

from eai_recipes.humaneval.items import ITEM_BY_ID, ITEMS

ANALYSIS_FILE = "analysis.json"
TABLES_FILE = "tables.md"


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def overall_table(analysis: dict) -> list[str]:
    meta = analysis["meta"]
    low, high = meta["total_range"]
    rows = [[model, s["n_raters"], _f(s["mean_total"]), _f(s["sd_total"]), s["min_total"], s["max_total"],
             _f(s["mean_per_rating"])] for model, s in analysis["models"].items()]
    return [
        "## Overall scores (the paper's Table 2)", "",
        f"A rater's total is the sum of their {meta['n_questions']} x {meta['n_items']} ratings of one model "
        f"({low} to {high}). SD is the {meta['sd']}.", "",
        *_table(["Model", "Raters", "Mean total", "SD", "Min", "Max", "Mean per rating (1-5)"], rows),
    ]


def paired_table(analysis: dict) -> list[str]:
    p = analysis["paired"]
    ci = p["ci95_mean_difference"]
    ci_text = f"[{_f(ci[0])}, {_f(ci[1])}]" if ci else "n/a"
    lines = [
        f"## Paired comparison over raters ({p['difference']})", "",
        "Each rater rated both models, so the comparison is paired: the paired t-test on the totals, and the "
        "Wilcoxon signed-rank test (zero differences dropped). Effect sizes: Cohen's d_z (mean difference / SD of "
        "the differences) and the matched-pairs rank-biserial correlation.", "",
        *_table(["Raters", "Mean difference", "95% CI", "t (df)", "p (paired t)", "d_z", "Wilcoxon W",
                 "p (Wilcoxon)", "Rank-biserial"],
                [[p["n"], _f(p["mean_difference"]), ci_text,
                  f"{_f(p['t'])} ({_f(p['df'], 0)})" if p["t"] is not None else "n/a", _p(p["p_ttest"]),
                  _f(p["cohens_dz"]), _f(p["wilcoxon_statistic"], 1), _p(p["p_wilcoxon"]),
                  _f(p["rank_biserial"])]]),
        "### Per item", "",
        "Each rater's item total over all questions, compared the same way; p_BH are Benjamini-Hochberg "
        "adjusted over the items.", "",
    ]
    first, second = p["first"], p["second"]
    rows = [[ITEM_BY_ID[e["item"]].label, _f(e["mean_first"]), _f(e["mean_second"]), _f(e["mean_difference"]),
             _p(e["p_ttest"]), _p(e.get("p_ttest_bh")), _p(e["p_wilcoxon"]), _p(e.get("p_wilcoxon_bh")),
             _f(e["rank_biserial"])] for e in analysis["paired_items"]]
    lines += _table(["Item", f"Mean {first}", f"Mean {second}", "Difference", "p (paired t)", "p_BH",
                     "p (Wilcoxon)", "p_BH", "Rank-biserial"], rows)
    return lines


def frequency_tables(analysis: dict) -> list[str]:
    lines = ["## Frequency analysis (the paper's Tables 3-4)", ""]
    for model, items in analysis["frequencies"].items():
        lines += [f"### {model}", ""]
        rows = []
        for number, item in enumerate(ITEMS, start=1):
            entry = items[item.id]
            for k, option in enumerate(entry["options"]):
                rows.append([number if k == 0 else "", item.label if k == 0 else "", option["score"],
                             option["count"], _f(option["percent"]), _f(option["cumulative_percent"])])
        lines += _table(["No.", "Item", "Option", "Frequency", "Percentage (%)", "Cumulative (%)"], rows)
        lines += [f"Each item has {items[ITEMS[0].id]['n']} ratings (raters x questions).", ""]
    return lines


def subgroup_tables(analysis: dict) -> list[str]:
    lines = ["## Scores by demographic factor (the paper's Tables 5-8)", "",
             "Group mean +- SD of the raters' totals. Two groups: Student's t-test (the paper's choice) and "
             "Welch's t-test. More groups: one-way ANOVA (equal variances) and Welch's ANOVA.", ""]
    for entry in analysis["subgroups"]:
        title = f"### {entry['model']} by {entry['factor']}"
        missing = f" ({entry['n_missing']} rater(s) did not give it)" if entry["n_missing"] else ""
        rows = []
        for k, (level, g) in enumerate(entry["groups"].items()):
            rows.append([f"{level} (n = {g['n']})", f"{_f(g['mean'])} +- {_f(g['sd'])}",
                         _p(entry["p_student"]) if k == 0 else "", _p(entry["p_welch"]) if k == 0 else ""])
        equal, unequal = ("p (ANOVA)", "p (Welch's ANOVA)") if len(entry["groups"]) > 2 else \
            ("p (Student)", "p (Welch)")
        lines += [title + missing, ""]
        lines += _table(["Group", "Mean +- SD", equal, unequal], rows)
    return lines


def markdown(analysis: dict, charts: list[str]) -> str:
    meta = analysis["meta"]
    lines = [
        "# Human evaluation", "",
        f"{meta['n_raters']} raters each rated both models ({', '.join(meta['models'])}) on "
        f"{meta['n_questions']} questions x {meta['n_items']} items, 1-5 ({meta['n_ratings']} ratings).", "",
        *overall_table(analysis), *paired_table(analysis), *frequency_tables(analysis), *subgroup_tables(analysis),
    ]
    if charts:
        lines += ["## Likert charts", ""] + [f"![{Path(c).stem}]({c})" for c in charts] + [""]
    notes = meta["notes"] + test_notes(analysis)
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def test_notes(analysis: dict) -> list[str]:
    """What the tests had to say: too few levels or raters, scipy's warnings (ties, zero variance)."""
    entries = [*analysis["subgroups"], analysis["paired"], *analysis["paired_items"]]
    return [note for entry in entries for note in entry["notes"]]


def write(analysis: dict, charts: list[str], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"analysis": out / ANALYSIS_FILE, "tables": out / TABLES_FILE}
    paths["analysis"].write_text(json.dumps(analysis, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                                 encoding="utf-8")
    paths["tables"].write_text(markdown(analysis, charts), encoding="utf-8")
    return paths
