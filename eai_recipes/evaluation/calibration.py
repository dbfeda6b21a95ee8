"""`eai judge calibrate`: does the judge agree with people? Judge scores against human ratings, per dimension.

Input: human ratings in the long CSV format of `eai humaneval` (rater_id, model, question_id, item, score 1-5;
eai_recipes/humaneval/responses.py reads and checks it) and the answers those people rated (one file per model,
as `eai humaneval` takes them). The judge scores each (model, question) answer on the rubric; each rubric
dimension is compared with one human item through the rubric's `humaneval_map` (or --map DIM=ITEM).

Unit of comparison: one answer. The human side is the raters' consensus on that answer and item: their mean
for Spearman's rho (scipy.stats.spearmanr), their mean rounded to the nearest point of 1-5 for the quadratic-
weighted Cohen's kappa. A judge scale other than 1-5 (MentalChat's 1-10) is mapped linearly onto 1-5 and
rounded for kappa only. Intervals: percentile bootstrap over answers (resampled with replacement, seeded);
resamples where a statistic is undefined (one side constant) are dropped and counted.

Status: "agrees" when every mapped dimension has a weighted kappa of at least 0.6 (Landis and Koch's
"substantial") with the interval's low end above 0; "does not agree" otherwise; a dimension with fewer than
5 judged answers makes it "too few judged answers". CounselBench's finding is why this exists: model judges
overrate answers and miss safety problems, so a judge is quoted only with its calibration beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from eai_recipes.errors import EaiError
from eai_recipes.evaluation import rubrics
from eai_recipes.evaluation.judge import (
    CALIBRATION_FILE,
    Generate,
    Request,
    judge_requests,
)
from eai_recipes.evaluation.rubrics import JudgeProfile, Rubric

HUMAN_SCALE = (1, 2, 3, 4, 5)
KAPPA_AGREES = 0.6
MIN_ANSWERS = 5


def weighted_kappa(a: list[int], b: list[int], categories: list[int] | tuple[int, ...] = HUMAN_SCALE) -> float:
    """Cohen's kappa with quadratic weights: 1 - sum(w * observed) / sum(w * expected), w = (i-j)^2/(k-1)^2.
    NaN where the expected disagreement is zero (both raters constant on the same value)."""
    k = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[index[x], index[y]] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    denominator = (weights * expected).sum()
    return float("nan") if denominator == 0 else float(1 - (weights * observed).sum() / denominator)


def spearman(a: list[float], b: list[float]) -> float:
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return float("nan")  # undefined for a constant side; scipy would warn and return nan
    return float(spearmanr(a, b).statistic)


def to_human_scale(value: int, scale: list[int]) -> int:
    """A judge score on its own integer scale, mapped linearly onto 1-5 and rounded (half up)."""
    lo, hi = min(scale), max(scale)
    if (lo, hi) == (1, 5):
        return int(value)
    return int(np.floor(1 + 4 * (value - lo) / (hi - lo) + 0.5))


def _bootstrap(stat, a: list, b: list, *, n_resamples: int, seed: int, confidence: float) -> dict[str, Any]:
    value = stat(a, b)
    rng = np.random.default_rng(seed)
    n = len(a)
    xs, ys = np.asarray(a), np.asarray(b)
    draws = []
    for _ in range(n_resamples):
        idx = rng.integers(0, n, n)
        v = stat(list(xs[idx]), list(ys[idx]))
        if np.isfinite(v):
            draws.append(v)
    if not np.isfinite(value) or not draws:
        return {"value": None if not np.isfinite(value) else value, "low": None, "high": None,
                "resamples_used": len(draws)}
    alpha = (1 - confidence) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return {"value": value, "low": float(low), "high": float(high), "resamples_used": len(draws)}


def human_consensus(responses, item: str) -> dict[tuple[str, str], float]:
    """(model, question_id) -> the raters' mean score on one item."""
    from eai_recipes.humaneval.items import ITEM_IDS

    if item not in ITEM_IDS:
        raise EaiError(f"humaneval item {item!r} is not one of {list(ITEM_IDS)}")
    k = ITEM_IDS.index(item)
    out = {}
    for mi, model in enumerate(responses.models):
        for qi, qid in enumerate(responses.question_ids):
            out[(model, qid)] = float(responses.scores[:, mi, qi, k].mean())
    return out


def compare(rubric: Rubric, judged: dict[tuple[str, str], dict[str, Any]], responses, mapping: dict[str, str], *,
            n_resamples: int = 2000, seed: int = 0, confidence: float = 0.95) -> dict[str, Any]:
    """Spearman and weighted kappa per mapped dimension over the answers the judge scored."""
    dims: dict[str, Any] = {}
    for dim_id, item in mapping.items():
        d = rubric.dimension(dim_id)
        if not d.numeric:
            raise EaiError(f"dimension {dim_id!r} has the scale {d.scale}: only numeric dimensions can be compared "
                           "with the 1-5 human items")
        human = human_consensus(responses, item)
        keys = [k for k in human if judged.get(k) is not None]
        judge_scores = [judged[k][dim_id] for k in keys]
        human_means = [human[k] for k in keys]
        # Higher is worse on e.g. toxicity: flip so that agreement is positive against a higher-is-better item.
        if d.higher_is_better is False:
            judge_scores = [min(d.scale) + max(d.scale) - s for s in judge_scores]
        entry: dict[str, Any] = {"item": item, "n": len(keys), "of": len(human)}
        if len(keys) >= 2:
            entry["spearman"] = _bootstrap(spearman, [float(s) for s in judge_scores], human_means,
                                           n_resamples=n_resamples, seed=seed, confidence=confidence)
            jk = [to_human_scale(s, d.scale) for s in judge_scores]
            hk = [int(np.floor(m + 0.5)) for m in human_means]
            entry["weighted_kappa"] = _bootstrap(weighted_kappa, jk, hk, n_resamples=n_resamples, seed=seed,
                                                 confidence=confidence)
            entry["judge_mean"] = float(np.mean(judge_scores))
            entry["human_mean"] = float(np.mean(human_means))
        else:
            entry["spearman"] = entry["weighted_kappa"] = {"value": None, "low": None, "high": None}
        dims[dim_id] = entry
    return {"dimensions": dims, "status": status(dims)}


def status(dims: dict[str, Any]) -> str:
    if not dims:
        return "no dimension mapped"
    if any(e["n"] < MIN_ANSWERS for e in dims.values()):
        return "too few judged answers"
    ok = all((k := e["weighted_kappa"])["value"] is not None and k["value"] >= KAPPA_AGREES
             and k["low"] is not None and k["low"] > 0 for e in dims.values())
    return "agrees" if ok else "does not agree"


def calibration_requests(rubric: Rubric, questions, answers: dict[str, dict[str, str]]) -> list[Request]:
    system, schema = rubrics.system_prompt(rubric), rubric.schema()
    return [Request(f"{model}/{q.id}", system, rubrics.render_single(rubric, question=q.question,
                                                                     answer=answers[model][q.id]), schema)
            for model in answers for q in questions]


def run_calibration(*, rubric: Rubric, profile: JudgeProfile, responses_paths: list[Path],
                    answers_paths: dict[str, Path], questions_path: Path, mapping: dict[str, str] | None,
                    out_dir: Path, generate: Generate | None = None, n_resamples: int = 2000, seed: int = 0,
                    quiet: bool = True) -> dict[str, Any]:
    from eai_recipes.evaluation.judge import make_generator
    from eai_recipes.humaneval.answers import load_answers
    from eai_recipes.humaneval.questions import load_questions
    from eai_recipes.humaneval.responses import load_responses

    mapping = mapping if mapping else dict(rubric.humaneval_map)
    if not mapping:
        raise EaiError(f"rubric {rubric.label} has no humaneval_map and no --map DIM=ITEM was given")
    for dim in mapping:
        try:
            rubric.dimension(dim)
        except KeyError:
            raise EaiError(f"--map {dim}=...: rubric {rubric.label} has no dimension {dim!r}; it has "
                           f"{[d.id for d in rubric.dimensions]}") from None
    questions = load_questions(questions_path)
    responses = load_responses(responses_paths, models=list(answers_paths) or None, questions=questions_path)
    missing = sorted(set(responses.models) - set(answers_paths))
    if missing:
        raise EaiError(f"the ratings name model(s) {missing} but no --answers MODEL=PATH was given for them")
    notes: list[str] = []
    answers = {m: load_answers(p, m, questions, notes) for m, p in answers_paths.items()}
    rated = [q for q in questions if q.id in responses.question_ids]
    out_dir.mkdir(parents=True, exist_ok=True)
    generate = generate or make_generator(profile, out_dir / "work-calibration", quiet=quiet)
    judgments = judge_requests(calibration_requests(rubric, rated, answers), generate)
    judged = {tuple(j.key.split("/", 1)): j.scores for j in judgments}
    result = compare(rubric, judged, responses, mapping, n_resamples=n_resamples, seed=seed)
    report = {"rubric": rubric.name, "rubric_version": rubric.version, "judge_model": profile.label,
              "judge_profile": profile.name, "status": result["status"], "dimensions": result["dimensions"],
              "answers": len(judgments), "unparsable": sum(j.scores is None for j in judgments),
              "raters": len(responses.raters), "responses": [str(p) for p in responses_paths],
              "method": {"spearman": "scipy.stats.spearmanr, judge score vs raters' mean",
                         "kappa": "quadratic-weighted Cohen's kappa vs raters' rounded mean (1-5)",
                         "intervals": f"percentile bootstrap over answers, {n_resamples} resamples, seed {seed}",
                         "agrees_when": f"every mapped dimension: kappa >= {KAPPA_AGREES} and interval low > 0"},
              "notes": notes}
    with open(out_dir / "calibration_judgments.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"key": j.key, "scores": j.scores, "tries": j.tries, "problems": j.problems,
                                "replies": j.replies}, ensure_ascii=False) + "\n" for j in judgments)
    (out_dir / CALIBRATION_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def format_calibration(report: dict[str, Any]) -> str:
    def f(x):
        return "-" if x is None else f"{x:.2f}"

    lines = [f"Calibration of {report['judge_model']} on {report['rubric']} v{report['rubric_version']} against "
             f"{report['raters']} raters ({report['answers']} answers judged, {report['unparsable']} unparsable): "
             f"{report['status']}", "", "| dimension | human item | n | Spearman [95% CI] | weighted kappa [95% CI] |",
             "|---|---|---|---|---|"]
    for dim, e in report["dimensions"].items():
        s, k = e["spearman"], e["weighted_kappa"]
        lines.append(f"| {dim} | {e['item']} | {e['n']}/{e['of']} | {f(s['value'])} [{f(s['low'])}, "
                     f"{f(s['high'])}] | {f(k['value'])} [{f(k['low'])}, {f(k['high'])}] |")
    return "\n".join(lines) + "\n"
