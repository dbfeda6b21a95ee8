"""The analysis of a complete response array, with scipy.stats doing every test.

SDs are sample standard deviations (ddof=1) throughout. A rater's total is the sum of their scores over all
questions and items for one model (the paper's Table 2: 8 items x 10 questions x 5 points = 400 at most).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from eai_recipes.humaneval.items import ITEM_IDS, ITEMS, SCORES
from eai_recipes.humaneval.responses import Responses

SD_NOTE = "sample standard deviation (ddof=1)"


def _num(value: Any) -> float | None:
    """A JSON-safe float: NaN and infinities (e.g. the SD of one value) become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _sd(values: np.ndarray) -> float | None:
    return _num(np.std(values, ddof=1)) if len(values) > 1 else None


def _describe(values: np.ndarray) -> dict:
    return {"mean": _num(np.mean(values)), "sd": _sd(values), "n": len(values)}


def _quietly(notes: list[str], what: str, test, *args, **kwargs):
    """Run a scipy test, turning its warnings (small samples, ties, zero variance) into notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = test(*args, **kwargs)
        except ValueError as exc:
            notes.append(f"{what}: not computed ({exc})")
            return None
    for warning in caught:
        notes.append(f"{what}: {warning.message}")
    return result


def totals(r: Responses) -> np.ndarray:
    """[rater, model] total scores."""
    return r.scores.sum(axis=(2, 3))


def model_summary(r: Responses) -> dict:
    tot = totals(r)
    ratings_per_rater = len(r.question_ids) * len(ITEM_IDS)
    out = {}
    for m, model in enumerate(r.models):
        values = tot[:, m]
        out[model] = {
            "mean_total": _num(values.mean()),
            "sd_total": _sd(values),
            "n_raters": len(values),
            "median_total": _num(np.median(values)),
            "min_total": int(values.min()),
            "max_total": int(values.max()),
            "mean_per_rating": _num(values.mean() / ratings_per_rater),
            "item_means": {item: _num(r.scores[:, m, :, i].mean()) for i, item in enumerate(ITEM_IDS)},
        }
    return out


def frequencies(r: Responses) -> dict:
    """Per model and item: count, percent and cumulative percent of each option over all ratings."""
    out: dict[str, dict] = {}
    for m, model in enumerate(r.models):
        out[model] = {}
        for i, item in enumerate(ITEM_IDS):
            ratings = r.scores[:, m, :, i].ravel()
            counts = np.array([(ratings == s).sum() for s in SCORES])
            percent = 100.0 * counts / counts.sum()
            out[model][item] = {
                "n": int(counts.sum()),
                "mean": _num(ratings.mean()),
                "sd": _sd(ratings),
                "options": [{"score": s, "count": int(c), "percent": _num(p), "cumulative_percent": _num(cp)}
                            for s, c, p, cp in zip(SCORES, counts, percent, np.cumsum(percent), strict=True)],
            }
    return out


def subgroup(values_by_level: dict[str, np.ndarray], factor: str, model: str, n_missing: int) -> dict:
    """Group means +- SD and the equal- and unequal-variance tests between the levels of one factor.

    Two levels: Student's t-test (the paper's choice) and Welch's t-test. More levels: one-way ANOVA and
    Welch's ANOVA, which reduce to those two t-tests when there are two groups.
    """
    from scipy import stats

    notes: list[str] = []
    entry: dict[str, Any] = {
        "factor": factor, "model": model,
        "groups": {level: _describe(v) for level, v in values_by_level.items()},
        "n_missing": n_missing,
        "test": None, "statistic_student": None, "p_student": None, "statistic_welch": None, "p_welch": None,
        "notes": notes,
    }
    samples = [v for v in values_by_level.values()]
    what = f"{model} by {factor}"
    if len(samples) < 2:
        notes.append(f"{what}: only {len(samples)} level(s) given; no test")
        return entry
    if len(samples) == 2:
        entry["test"] = "t-test (Student's, equal variances; Welch's, unequal variances)"
        student = _quietly(notes, f"{what}, Student's t", stats.ttest_ind, *samples, equal_var=True)
        welch = _quietly(notes, f"{what}, Welch's t", stats.ttest_ind, *samples, equal_var=False)
        if student is not None:
            entry.update(statistic_student=_num(student.statistic), df_student=_num(student.df),
                         p_student=_num(student.pvalue))
        if welch is not None:
            entry.update(statistic_welch=_num(welch.statistic), df_welch=_num(welch.df), p_welch=_num(welch.pvalue))
        first, second = values_by_level
        entry["mean_difference"] = _num(samples[0].mean() - samples[1].mean())
        entry["difference"] = f"{first} - {second}"
    else:
        entry["test"] = (f"one-way ANOVA over {len(samples)} levels (p_student: classic F test, equal variances; "
                         "p_welch: Welch's ANOVA, unequal variances)")
        classic = _quietly(notes, f"{what}, ANOVA", stats.f_oneway, *samples, equal_var=True)
        welch = _quietly(notes, f"{what}, Welch's ANOVA", stats.f_oneway, *samples, equal_var=False)
        if classic is not None:
            entry.update(statistic_student=_num(classic.statistic), p_student=_num(classic.pvalue))
        if welch is not None:
            entry.update(statistic_welch=_num(welch.statistic), p_welch=_num(welch.pvalue))
    return entry


def subgroups(r: Responses) -> list[dict]:
    tot = totals(r)
    out = []
    for factor, by_rater in r.factors.items():
        levels: dict[str, list[int]] = {}
        for position, rater in enumerate(r.raters):
            level = by_rater[rater]
            if level is not None:
                levels.setdefault(level, []).append(position)
        n_missing = sum(1 for level in by_rater.values() if level is None)
        for m, model in enumerate(r.models):
            values = {level: tot[idx, m] for level, idx in sorted(levels.items())}
            out.append(subgroup(values, factor, model, n_missing))
    return out


def paired(first: np.ndarray, second: np.ndarray, what: str) -> dict:
    """Second minus first over raters: paired t-test, Wilcoxon signed-rank, Cohen's d_z and the rank-biserial.

    The Wilcoxon test drops zero differences (scipy's default zero_method='wilcox'), and so does the
    matched-pairs rank-biserial correlation: (sum of ranks of positive - of negative differences) / sum of ranks.
    """
    from scipy import stats

    notes: list[str] = []
    diff = (second - first).astype(float)
    out: dict[str, Any] = {
        "n": len(diff), "mean_first": _num(first.mean()), "mean_second": _num(second.mean()),
        "mean_difference": _num(diff.mean()), "sd_difference": _sd(diff),
        "t": None, "df": None, "p_ttest": None, "ci95_mean_difference": None, "cohens_dz": None,
        "wilcoxon_statistic": None, "p_wilcoxon": None, "n_nonzero": int(np.count_nonzero(diff)),
        "rank_biserial": None, "notes": notes,
    }
    if len(diff) < 2:
        notes.append(f"{what}: {len(diff)} rater(s); the paired tests need at least 2")
        return out
    sd = out["sd_difference"]
    if sd:
        out["cohens_dz"] = _num(diff.mean() / sd)
        ttest = _quietly(notes, f"{what}, paired t-test", stats.ttest_rel, second, first)
        if ttest is not None:
            ci = ttest.confidence_interval(0.95)
            out.update(t=_num(ttest.statistic), df=_num(ttest.df), p_ttest=_num(ttest.pvalue),
                       ci95_mean_difference=[_num(ci.low), _num(ci.high)])
    else:
        notes.append(f"{what}: every rater's difference is the same ({diff[0]:g}); no paired t-test")
    nonzero = diff[diff != 0]
    if len(nonzero):
        ranks = stats.rankdata(np.abs(nonzero))
        out["rank_biserial"] = _num((ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum())
        wilcoxon = _quietly(notes, f"{what}, Wilcoxon signed-rank", stats.wilcoxon, diff)
        if wilcoxon is not None:
            out.update(wilcoxon_statistic=_num(wilcoxon.statistic), p_wilcoxon=_num(wilcoxon.pvalue))
    else:
        notes.append(f"{what}: every difference is zero; no Wilcoxon test")
    return out


def paired_items(r: Responses) -> list[dict]:
    """Per item, the paired tests on each rater's item total (summed over questions), with BH-adjusted p."""
    from scipy import stats

    out = []
    for i, item in enumerate(ITEMS):
        per_rater = r.scores[:, :, :, i].sum(axis=2)
        entry = paired(per_rater[:, 0], per_rater[:, 1], f"item {item.id}")
        if len(r.raters) < 2:
            entry["notes"] = []  # the overall comparison already says so, once
        out.append({"item": item.id, **entry})
    for key in ("p_ttest", "p_wilcoxon"):
        present = [e for e in out if e[key] is not None]
        if present:
            adjusted = stats.false_discovery_control([e[key] for e in present], method="bh")
            for e, p in zip(present, adjusted, strict=True):
                e[f"{key}_bh"] = _num(p)
    return out


def analyse(r: Responses) -> dict:
    tot = totals(r)
    n_ratings = len(r.question_ids) * len(ITEM_IDS)
    overall = paired(tot[:, 0], tot[:, 1], "totals")
    overall.update(first=r.models[0], second=r.models[1], difference=f"{r.models[1]} - {r.models[0]}")
    return {
        "meta": {
            "sd": SD_NOTE,
            "n_raters": len(r.raters), "n_questions": len(r.question_ids), "n_items": len(ITEM_IDS),
            "n_ratings": int(r.scores.size), "total_range": [n_ratings * SCORES[0], n_ratings * SCORES[-1]],
            "models": r.models, "questions": r.question_ids, "items": list(ITEM_IDS),
            "factors": list(r.factors), "files": r.files, "notes": r.notes,
            "tests": "scipy.stats: ttest_ind (equal_var True/False), f_oneway (equal_var True/False), ttest_rel, "
                     "wilcoxon (zero_method='wilcox', method='auto'), false_discovery_control (BH)",
        },
        "models": model_summary(r),
        "frequencies": frequencies(r),
        "subgroups": subgroups(r),
        "paired": overall,
        "paired_items": paired_items(r),
    }
