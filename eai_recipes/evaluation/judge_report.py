"""The report's and model card's judge and dialogue sections, as Markdown lines, from the files `eai judge` and
`eai dialogue` wrote (runs/<run>/judge/summary.json, runs/<run>/dialogue/{summary.json,transcripts.jsonl}).

Kept apart from report.py so the report only calls three functions (its own layout may move to templates).
Rule: a judge figure is never shown without the judge model, the rubric and version, and the calibration status
beside it; an uncalibrated judge's figures carry a warning not to read them as quality.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_FLAGGED_SHOWN = 10
MAX_TURN_CHARS = 600


def _read(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _cell(s: dict[str, Any]) -> str:
    if "counts" in s:
        return ", ".join(f"{k} {v}" for k, v in s["counts"].items()) + f" (n={s['n']})"
    return f"{_f(s['mean'])} [{_f(s['low'])}, {_f(s['high'])}] (n={s['n']})"


def provenance(j: dict[str, Any]) -> str:
    """Judge model, rubric version and calibration status: the line that goes with every judge figure."""
    cal = j.get("calibration") or {"status": "not calibrated"}
    line = (f"Judge `{j['judge_model']}`, rubric `{j['rubric']}` version {j['rubric_version']}, calibration: "
            f"**{cal['status']}**")
    if cal.get("dimensions"):
        parts = [f"{d} vs {e['item']}: kappa {_f(e['weighted_kappa']['value'])}, rho {_f(e['spearman']['value'])}"
                 for d, e in cal["dimensions"].items()]
        line += " (" + "; ".join(parts) + ")"
    return line + "."


def _with_current_calibration(run_dir: Path, j: dict[str, Any]) -> dict[str, Any]:
    """The summary with the calibration `eai judge calibrate` wrote since, if it is for this judge and rubric
    version (a summary records the status at the time it was written)."""
    cal = _read(run_dir / "judge" / "calibration.json")
    if cal and (cal.get("rubric"), str(cal.get("rubric_version")), cal.get("judge_model")) == (
            j["rubric"], str(j["rubric_version"]), j["judge_model"]):
        j = {**j, "calibration": {"status": cal.get("status", "unknown"), "dimensions": cal.get("dimensions", {})}}
    return j


def _warning(j: dict[str, Any]) -> list[str]:
    if (j.get("calibration") or {}).get("status") == "agrees":
        return []
    return ["> These scores come from a model judge that has not been shown to agree with people "
            "(`eai judge calibrate`); model judges overrate answers and miss safety problems. Do not quote them "
            "as quality.", ""]


def section_judge(run_dir: Path) -> list[str]:
    s = _read(run_dir / "judge" / "summary.json")
    if s is None:
        return []
    s = _with_current_calibration(run_dir, s)
    lines = ["## Rubric judge", "", provenance(s), ""] + _warning(s)
    lines += [f"{s['questions']} validation questions; mean score with bootstrap interval and the number of "
              "judgments parsed (unparsable ones, after one retry, are left out and counted):", "",
              "| Dimension | Base model | EAI (fine-tuned) |", "|---|---|---|"]
    for dim, base in s["models"]["base"].items():
        lines.append(f"| {dim} | {_cell(base)} | {_cell(s['models']['eai'][dim])} |")
    u = s["unparsable"]
    lines += ["", "Unparsable after one retry: " + ", ".join(
        f"{label} {u[m]['count']} of {u[m]['of']}" for m, label in (("base", "base"), ("eai", "EAI")))
        + (f", pairwise {u['pairwise']['count']} of {u['pairwise']['of']}" if "pairwise" in u else "") + "."]
    if "pairwise" in s:
        lines += ["", "Pairwise (each question judged with base shown first and with EAI shown first):", "",
                  "| Dimension | EAI better | Base better | Tie | Order changed the verdict | First answer chosen |",
                  "|---|---|---|---|---|---|"]
        for dim, p in s["pairwise"]["dimensions"].items():
            lines.append(f"| {dim} | {p['eai_wins']} | {p['base_wins']} | {p['ties']} | "
                         f"{p['order_disagreements']} of {p['n']} | {_f(p['first_position_share'])} |")
    return lines + [""]


def _reasons(checks: dict[str, Any]) -> list[str]:
    out = []
    if checks.get("crisis_handled_within_one_turn") is False:
        out.append(f"risk disclosed at turn {checks['disclosure_turn']} not answered with the crisis path within "
                   "one turn")
    if checks.get("identity_claims_other"):
        out.append(f"another identity claimed at turn(s) {checks['identity_claims_other']}")
    if checks.get("identity_question_unanswered"):
        out.append(f"asked who it is, did not name itself at turn(s) {checks['identity_question_unanswered']}")
    if checks.get("method_details"):
        out.append(f"possible method details at turn(s) {sorted(checks['method_details'])}")
    return out


def section_dialogue(run_dir: Path, md_text: Callable[[str], str]) -> list[str]:
    s = _read(run_dir / "dialogue" / "summary.json")
    if s is None:
        return []
    lines = ["## Simulated clients", "",
             f"{s['conversations']} conversations of up to {s['turns_requested']} turns ({s['turns']} in all) between "
             f"persona cards ({s['client']}) and `{s.get('eai_model', 'EAI')}` through the serving pipeline.", "",
             "| Check (needs no judge) | Result |", "|---|---|",
             f"| Risk disclosure answered with the crisis path within one turn | {s['crisis_handled_within_one_turn']} "
             f"of {s['crisis_disclosed']} disclosures ({s['crisis_personas']} risk personas) |",
             f"| Crisis path where no risk was disclosed | {s['crisis_path_without_risk']} conversations |",
             f"| Identity held | {s['identity_held']} of {s['conversations']} |",
             f"| Answers with possible method details | {s['method_details']} conversations |", ""]
    j = s.get("judge")
    if j:
        j = _with_current_calibration(run_dir, j)
        lines += [provenance(j), ""] + _warning(j)
        lines += ["| Dimension | Conversation score |", "|---|---|"]
        lines += [f"| {d} | {_cell(v)} |" for d, v in j["dimensions"].items()]
        lines += ["", f"Unparsable after one retry: {j['unparsable']['count']} of {j['unparsable']['of']}.", ""]
    flagged = []
    path = run_dir / "dialogue" / "transcripts.jsonl"
    if s["flagged"] and path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            t = json.loads(line)
            if t["checks"].get("flagged"):
                flagged.append(t)
    lines += ["### Flagged transcripts", ""]
    if not s["flagged"]:
        lines += ["None.", ""]
    for t in flagged[:MAX_FLAGGED_SHOWN]:
        lines += [f"#### `{t['persona']}` ({t['risk']} risk)", "", "Why: " + "; ".join(_reasons(t["checks"])) + ".",
                  "", "| Turn | Client | EAI |", "|---|---|---|"]
        for turn in t["turns"]:
            lines.append(f"| {turn['turn']} | {md_text(turn['user'][:MAX_TURN_CHARS])} | "
                         f"{md_text(turn['eai']['text'][:MAX_TURN_CHARS])} |")
        lines.append("")
    if len(flagged) > MAX_FLAGGED_SHOWN:
        lines += [f"... and {len(flagged) - MAX_FLAGGED_SHOWN} more in `{path.as_posix()}`.", ""]
    return lines


def card_lines(run_dir: Path) -> list[str]:
    """For the model card's Evaluation: the judge and dialogue figures, each with its provenance."""
    lines = []
    s = _read(run_dir / "judge" / "summary.json")
    if s is not None:
        s = _with_current_calibration(run_dir, s)
        dims = [d for d, v in s["models"]["eai"].items() if "counts" not in v]
        means = ", ".join(f"{d} {_f(s['models']['base'][d]['mean'])} -> {_f(s['models']['eai'][d]['mean'])}"
                          for d in dims)
        lines += [f"Rubric judge (base -> fine-tuned means): {means}. {provenance(s)}", ""] + _warning(s)
    d = _read(run_dir / "dialogue" / "summary.json")
    if d is not None:
        lines += [f"Simulated clients: {d['crisis_handled_within_one_turn']} of {d['crisis_disclosed']} risk "
                  f"disclosures answered with the crisis path within one turn; identity held in {d['identity_held']} "
                  f"of {d['conversations']} conversations; {d['method_details']} with possible method details "
                  "(checks that need no judge).", ""]
    return lines
