"""`eai judge`: a rubric judge over a run's base and EAI answers; `eai judge calibrate`: the judge against people."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError


def _run_dir(name: str) -> Path:
    run_dir = paths.RUNS_DIR / name
    if not run_dir.is_dir():
        raise EaiError(f"no run {run_dir}: run `eai demo` or `eai train` and `eai eval` with --run-name {name}")
    return run_dir


def _profile_and_rubric(args):
    from eai_recipes.evaluation.rubrics import load_judge_profile, load_rubric

    profile = load_judge_profile(args.profile)
    return profile, load_rubric(args.rubric or profile.rubric)


def _parse_map(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        dim, sep, item = v.partition("=")
        if not sep or not dim.strip() or not item.strip():
            raise EaiError(f"--map {v!r}: expected DIMENSION=ITEM, e.g. --map empathy=empathy")
        out[dim.strip()] = item.strip()
    return out


def cmd_judge(args: argparse.Namespace) -> int:
    from eai_recipes.evaluation.bootstrap import BootstrapSettings

    profile, rubric = _profile_and_rubric(args)
    if args.action == "calibrate":
        return _calibrate(args, profile, rubric)
    from eai_recipes.evaluation.judge import format_summary, run_judge

    run_dir = _run_dir(args.run_name)
    summary = run_judge(run_dir, profile, rubric, pairwise=args.pairwise, limit=args.limit,
                        with_reference=not args.no_reference, quiet=not args.verbose,
                        settings=BootstrapSettings(n_resamples=args.bootstrap_resamples))
    sys.stdout.write(format_summary(summary))
    print(f"wrote {run_dir / 'judge' / 'judgments.jsonl'} and {run_dir / 'judge' / 'summary.json'}", file=sys.stderr)
    return 0


def _calibrate(args, profile, rubric) -> int:
    from eai_recipes.evaluation.calibration import format_calibration, run_calibration
    from eai_recipes.humaneval.questions import parse_assignments

    if not args.responses:
        raise EaiError("eai judge calibrate needs --responses CSV (the ratings of `eai humaneval`)")
    answers = {m: Path(p) for m, p in parse_assignments(args.answers, "--answers").items()}
    if not answers:
        raise EaiError("eai judge calibrate needs --answers MODEL=PATH for each model the ratings name")
    out_dir = paths.RUNS_DIR / args.run_name / "judge"
    report = run_calibration(rubric=rubric, profile=profile, responses_paths=[Path(p) for p in args.responses],
                             answers_paths=answers, questions_path=Path(args.questions), mapping=_parse_map(args.map),
                             out_dir=out_dir, n_resamples=args.bootstrap_resamples, quiet=not args.verbose)
    sys.stdout.write(format_calibration(report))
    print(f"wrote {out_dir / 'calibration.json'}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "judge", help="score base and EAI answers with a model judge on a rubric; `calibrate` checks it against people",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "eai judge [--pairwise]: a judge model (recipes/judge/profiles/<profile>.yaml) scores the validation\n"
            "answers of the base model and EAI (runs/<run>/predict/{base,adapter}/) on a rubric\n"
            "(recipes/judge/<rubric>.yaml), through LLaMA-Factory in batches. Replies are parsed strictly against\n"
            "the rubric's schema; an unparsable one is asked again once, then counted, never guessed. --pairwise\n"
            "also compares base and EAI on each question in both orders and reports position disagreement.\n"
            "Writes runs/<run>/judge/judgments.jsonl and summary.json.\n\n"
            "eai judge calibrate --responses CSV --answers MODEL=PATH ...: the judge scores the answers people\n"
            "rated (`eai humaneval`), then Spearman and quadratic-weighted kappa per dimension with bootstrap\n"
            "intervals; writes runs/<run>/judge/calibration.json, which summary.json and the report then show."),
    )
    p.add_argument("action", nargs="?", choices=["score", "calibrate"], default="score",
                   help="score (default) or calibrate")
    p.add_argument("--profile", default="tiny", help="judge profile in recipes/judge/profiles/ (default: %(default)s)")
    p.add_argument("--rubric", help="rubric in recipes/judge/ or a YAML path (default: the profile's)")
    p.add_argument("--run-name", default="demo", help="run under runs/ (default: %(default)s)")
    p.add_argument("--pairwise", action="store_true", help="also judge base vs EAI side by side, both orders")
    p.add_argument("--limit", type=int, help="judge the first N questions only")
    p.add_argument("--no-reference", action="store_true",
                   help="do not show the dataset's reference answer to the judge")
    p.add_argument("--bootstrap-resamples", type=int, default=9999, help="default: %(default)s")
    p.add_argument("--verbose", action="store_true", help="stream LLaMA-Factory's output")
    c = p.add_argument_group("calibrate")
    c.add_argument("--responses", action="append", metavar="CSV", help="human ratings (repeatable)")
    c.add_argument("--answers", action="append", metavar="MODEL=PATH",
                   help="the answers the raters saw, per model name of the CSV (repeatable)")
    c.add_argument("--questions", default=str(paths.DATASET_INFO_DIR / "humaneval_questions.json"),
                   help="the study's questions (default: the shipped ones)")
    c.add_argument("--map", action="append", metavar="DIM=ITEM",
                   help="compare rubric dimension DIM with humaneval item ITEM (default: the rubric's humaneval_map)")
    p.set_defaults(func=cmd_judge)
