"""`eai humaneval`: the human-evaluation kit of the paper's section 4.4, made rerunnable.

prepare -> (llamafactory-cli predict runs) -> questionnaire -> raters fill in the form -> analyze.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.humaneval.items import ITEMS, SCALE_LABELS

CSV_FORMAT = """\
The responses CSV (long format, one row per rating; header on line 1):

  rater_id,gender,major,model,question_id,item,score
  R01,female,STEM,A,q01,clarity,4
  R01,female,STEM,A,q01,professionalism,5
  ...

  rater_id     who rated (matched ignoring case)
  gender,major demographic factors; any further column (e.g. age_group) is analysed as one too, unless its
               value changes within a rater; a blank value leaves that rater out of that factor's test
  model        a model name, or the blinded label A/B from the questionnaire (then pass --key)
  question_id  the question's id: one of the key's with --key, else of --questions FILE (default: the
               shipped questions, q01..q10); q1 matches q01
  item         {items}
  score        an integer {low}-{high} ({scale})

Every rater must rate every item of every question for both models; a score outside {low}-{high} or not an
integer, an unknown item, model or question, a duplicate rating, a rater who rated one model but not the
other and missing ratings are errors naming the file and line (or the rater), and nothing is analysed.
Without --key or --models, the two models are the two names with the most rows over all files; any
other name is an unknown model, reported on each of its lines. Comma, semicolon or tab delimited, UTF-8 (a
BOM is fine). Several files (e.g. one per rater, as the form's download button writes them) are read as one.
""".format(items=", ".join(i.id for i in ITEMS), low=min(SCALE_LABELS), high=max(SCALE_LABELS),
           scale=", ".join(f"{k} = {v}" for k, v in SCALE_LABELS.items()))


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def cmd_prepare(args: argparse.Namespace) -> int:
    from eai_recipes.humaneval import questions as q

    questions = q.load_questions(args.questions)
    models = q.parse_assignments(args.model, "--model")
    adapters = q.parse_assignments(args.adapter, "--adapter")
    overrides = q.parse_overrides(args.set)
    if args.max_new_tokens < 1:
        raise EaiError(f"--max-new-tokens must be at least 1 (got {args.max_new_tokens})")
    if args.run and not models:
        raise EaiError("--run needs at least one --model NAME=PATH to answer the questions")
    system = None if args.no_system else (args.system or q.default_system())
    out = Path(args.out)
    configs = q.prepare(questions, out, models=models, adapters=adapters, template=args.template, system=system,
                        max_new_tokens=args.max_new_tokens, seed=args.seed, overrides=overrides)
    _say(f"wrote {len(questions)} questions as dataset '{q.DATASET_NAME}' to {out / 'data'}")
    if not configs:
        _say(f"no --model given: point your own predict config at eval_dataset: {q.DATASET_NAME}, "
             f"dataset_dir: {out / 'data'}")
        return 0
    for name, (yaml_path, predictions) in configs.items():
        if args.run:
            _run_predict(name, yaml_path, out)
        else:
            _say(f"  {name}: llamafactory-cli train {yaml_path}   -> {predictions}")
    pairs = " ".join(f"--answers {name}={predictions}" for name, (_, predictions) in configs.items())
    _say(f"{'then' if not args.run else 'next'}: eai humaneval questionnaire {pairs} --out {out / 'form'}")
    return 0


def _run_predict(name: str, yaml_path: Path, out: Path) -> None:
    from eai_recipes.launch.preflight import llamafactory_cli
    from eai_recipes.launch.run import run_logged

    log_path = out / "logs" / f"predict_{name}.log"
    _say(f"==> answers of {name}: llamafactory-cli train {yaml_path}  (log: {log_path})")
    seconds = run_logged([llamafactory_cli(), "train", str(yaml_path)], log_path, quiet=True)
    _say(f"==> answers of {name}: done in {seconds:.1f}s")


def cmd_questionnaire(args: argparse.Namespace) -> int:
    from eai_recipes.humaneval import questionnaire as qn
    from eai_recipes.humaneval.answers import load_answers
    from eai_recipes.humaneval.questions import load_questions, parse_assignments

    questions = load_questions(args.questions)
    sources = parse_assignments(args.answers, "--answers")
    if len(sources) != 2:
        raise EaiError(f"give --answers MODEL=PATH exactly twice (got {len(sources)}); the form compares two models")
    if args.raters < 1:
        raise EaiError(f"--raters must be at least 1 (got {args.raters})")
    demographics = qn.parse_demographics(args.demographic)
    notes: list[str] = []
    answers = {model: load_answers(path, model, questions, notes) for model, path in sources.items()}
    notes += qn.identity_leaks(questions, answers)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    written = qn.build(questions, answers, sources, Path(args.out), seed=seed, demographics=demographics,
                       raters=args.raters, title=args.title)
    for note in notes:
        _say(note)
    _say(f"questionnaire: {len(questions)} questions x 2 answers x {len(ITEMS)} items, blinded with seed {seed}")
    _say(f"  form for raters:   {written['form']}")
    _say(f"  CSV template:      {written['template']}")
    _say(f"  unblinding key:    {written['key']}  (keep it away from raters)")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from eai_recipes.humaneval import report
    from eai_recipes.humaneval.questionnaire import load_key
    from eai_recipes.humaneval.responses import load_responses
    from eai_recipes.humaneval.stats import analyse

    key = load_key(args.key) if args.key else None
    _say(f"reading {len(args.responses)} response file(s)")
    responses = load_responses(args.responses, key=key, models=_split_list(args.models),
                               factors=_split_list(args.factors), questions=args.questions)
    for note in responses.notes:
        _say(f"note: {note}")
    _say(f"{responses.rows} ratings from {len(responses.raters)} raters of {', '.join(responses.models)}; "
         f"factors: {', '.join(responses.factors) or 'none'}")
    analysis = analyse(responses)
    for note in report.test_notes(analysis):
        _say(f"note: {note}")
    out = Path(args.out)
    charts = [] if args.no_charts else _charts(analysis, out)
    written = report.write(analysis, charts, out)
    for model, summary in analysis["models"].items():
        sd = summary["sd_total"]
        _say(f"  {model}: mean total {summary['mean_total']:.2f}" + (f" (SD {sd:.2f})" if sd is not None else ""))
    paired = analysis["paired"]
    _say(f"  {paired['difference']}: paired t p = {_fmt_p(paired['p_ttest'])}, "
         f"Wilcoxon p = {_fmt_p(paired['p_wilcoxon'])}")
    _say(f"wrote {written['analysis']}, {written['tables']}" + (f" and {len(charts)} charts" if charts else ""))
    return 0


def _charts(analysis: dict, out: Path) -> list[str]:
    from eai_recipes.humaneval.plots import draw_charts

    _say("drawing Likert charts")
    return draw_charts(analysis, out)


def _fmt_p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "humaneval", help="human evaluation: questions, a blinded questionnaire, and its analysis",
        description="The paper's Likert study (section 4.4), end to end: `prepare` writes the questions as a "
                    "LLaMA-Factory dataset and predict configs, `questionnaire` blinds two models' answers into a "
                    "printable form, `analyze` reproduces Tables 2-8 from the ratings.")
    sub = parser.add_subparsers(dest="humaneval_command", metavar="STEP", required=True)

    p = sub.add_parser(
        "prepare", help="write the questions as a dataset and one predict config per model",
        description="Write OUT/data/ (the questions as the Alpaca dataset 'eai_humaneval', with the identity "
                    "system prompt, and its dataset_info.json) and OUT/predict_<MODEL>.yaml for each --model, a "
                    "greedy LLaMA-Factory predict run whose generated_predictions.jsonl feeds `questionnaire`.")
    p.add_argument("--questions", default=str(paths.DATASET_INFO_DIR / "humaneval_questions.json"),
                   help="JSON list of {id, topic, question} (default: the 10 shipped questions)")
    p.add_argument("--out", default=str(paths.RUNS_DIR / "humaneval"), help="output folder (default: %(default)s)")
    p.add_argument("--model", action="append", metavar="NAME=PATH",
                   help="a model to answer the questions (hub id or folder); give it twice, e.g. "
                        "--model phi-4=microsoft/phi-4 --model EAI=microsoft/phi-4")
    p.add_argument("--adapter", action="append", metavar="NAME=PATH",
                   help="a LoRA adapter for the model of that name, e.g. --adapter EAI=runs/eai/adapter")
    p.add_argument("--template", default="phi4", help="LLaMA-Factory chat template (default: %(default)s)")
    p.add_argument("--system", help="system prompt for every question (default: EAI's identity prompt, for both "
                                    "models, so the base model is prompted like the deployed one)")
    p.add_argument("--no-system", action="store_true", help="no system prompt")
    p.add_argument("--max-new-tokens", type=int, default=512, help="answer length limit (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="seed in the predict configs (default: %(default)s)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="another LLaMA-Factory key for every predict config, e.g. --set quantization_bit=4 "
                        "--set bf16=true (replaces the key if the config has it)")
    p.add_argument("--run", action="store_true",
                   help="also run the predict configs now, one after the other, with llamafactory-cli "
                        "(logs in OUT/logs/)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser(
        "questionnaire", help="blind two models' answers into a printable HTML form, a CSV template and a key",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Blind two models' answers as 'Answer A'/'Answer B' (which model is A is randomised per "
                    "question with --seed, balanced so each model is A on half the questions) and write to OUT:\n"
                    "  questionnaire.html      self-contained form (print it, or fill it in and download a CSV)\n"
                    "  responses_template.csv  the long-format CSV with blank scores, labels A/B as model\n"
                    "  key.json                (question_id, label) -> model; keep it from the raters\n\n"
                    "Each PATH is LLaMA-Factory's generated_predictions.jsonl from a predict run over the "
                    "questions (one line per question, in order), or a JSON list / JSONL of "
                    "{question_id, answer}.")
    p.add_argument("--answers", action="append", metavar="MODEL=PATH", required=True,
                   help="a model's answers; give exactly twice")
    p.add_argument("--questions", default=str(paths.DATASET_INFO_DIR / "humaneval_questions.json"),
                   help="JSON list of {id, topic, question} (default: the 10 shipped questions)")
    p.add_argument("--seed", type=int, help="blinding seed (default: a random one, recorded in key.json)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--demographic", action="append", metavar="NAME",
                   help="an extra demographic field on the form and column in the CSV (e.g. age_group)")
    p.add_argument("--raters", type=int, default=1,
                   help="rows for this many raters (R01, R02, ...) in the CSV template (default: one blank block)")
    p.add_argument("--title", default="Rating answers to mental-health questions", help="the form's title")
    p.set_defaults(func=cmd_questionnaire)

    p = sub.add_parser(
        "analyze", help="the paper's Tables 2-8, paired tests and Likert charts from the ratings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Analyse the ratings and write to OUT: analysis.json, tables.md (Table 2: mean and SD of "
                    "the raters' totals; Tables 3-4: frequency tables per item; Tables 5-8: per demographic "
                    "factor Student's and Welch's t-test, or ANOVA for more than two levels; the paired t-test "
                    "and Wilcoxon signed-rank test between the models with effect sizes) and likert_*.png.\n"
                    "SDs are sample SDs (ddof=1); all tests are scipy.stats.\n\n" + CSV_FORMAT)
    p.add_argument("responses", nargs="+", metavar="RESPONSES.csv", help="one or more response CSVs")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--key", help="key.json from `questionnaire`, to unblind labels A/B in the model column")
    p.add_argument("--questions", metavar="FILE",
                   help="the study's questions file, as given to `prepare` and `questionnaire`: every question_id "
                        "must be one of its ids, and every rater must rate all of them (default: the 10 shipped "
                        "questions; with --key, the key's questions, which FILE must then match)")
    p.add_argument("--models", metavar="FIRST,SECOND",
                   help="the two model names, in the order to compare (difference = SECOND - FIRST; default: the "
                        "key's order, else the two names with the most rows, in the order they first appear)")
    p.add_argument("--factors", metavar="COL,COL",
                   help="demographic columns to analyse (default: gender, major and every extra column whose "
                        "value is constant within each rater)")
    p.add_argument("--no-charts", action="store_true", help="skip the Likert PNGs")
    p.set_defaults(func=cmd_analyze)
