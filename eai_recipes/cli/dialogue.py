"""`eai dialogue`: simulated clients talk to EAI through the real serving pipeline; checks and a judge score it."""

from __future__ import annotations

import argparse
import sys

from eai_recipes import paths
from eai_recipes.errors import EaiError


def cmd_dialogue(args: argparse.Namespace) -> int:
    from eai_recipes.serving.app import set_private_env

    set_private_env()  # as `eai serve`: no telemetry, libraries at WARNING (LLaMA-Factory logs every load step)
    from eai_recipes.evaluation import dialogue

    if args.turns < 1:
        raise EaiError(f"--turns {args.turns}: expected at least 1")
    run_dir = paths.RUNS_DIR / args.run_name
    summary = dialogue.run_dialogues(
        run_dir=run_dir, serving_profile=args.serving_profile, judge_profile=args.profile, rubric=args.rubric,
        turns=args.turns, scripted=args.scripted, personas_path=args.personas, only=args.persona,
        limit=args.limit, locale=args.locale, judge=not args.no_judge, model_source=args.model_source,
        quiet=not args.verbose)
    sys.stdout.write(dialogue.format_summary(summary))
    out = run_dir / "dialogue"
    print(f"wrote {out / 'transcripts.jsonl'} and {out / 'summary.json'}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dialogue", help="simulated clients (persona cards) talk to EAI through the serving pipeline; checks + judge",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Each persona card (recipes/dialogue/personas.yaml) drives an N-turn conversation with EAI through the\n"
            "real serving pipeline (identity prompt, input and output clean-up, crisis screening), as `eai serve`\n"
            "builds it. The client is a model (the judge profile's model, told to play the card) or, with\n"
            "--scripted, the card's own script. A card that escalates to risk says its disclosure verbatim at its\n"
            "turn either way, so the crisis check measures EAI, not the client. Checks that need no judge: risk\n"
            "answered with the crisis path within one turn, identity held, no method details; each conversation\n"
            "is also judged on the rubric. Writes runs/<run>/dialogue/transcripts.jsonl and summary.json."),
    )
    p.add_argument("--profile", default="tiny",
                   help="judge profile (recipes/judge/profiles/): the judge, and the client model unless --scripted "
                        "(default: %(default)s)")
    p.add_argument("--serving-profile", default="tiny",
                   help="serving profile (recipes/serving/) that builds EAI's pipeline (default: %(default)s)")
    p.add_argument("--run-name", default="demo", help="run under runs/ whose adapter EAI serves (default: %(default)s)")
    p.add_argument("--model-source", choices=["adapter", "merged", "base"],
                   help="serve EAI's adapter, the merged export, or the base model for comparison (default: the "
                        "serving profile's)")
    p.add_argument("--rubric", help="rubric for the conversation judge (default: the judge profile's)")
    p.add_argument("--turns", type=int, default=4, help="client turns per conversation (default: %(default)s)")
    p.add_argument("--scripted", action="store_true", help="the client says the card's script, no client model")
    p.add_argument("--personas", default=str(paths.RECIPES_DIR / "dialogue" / "personas.yaml"),
                   help="persona cards file (default: the shipped 36)")
    p.add_argument("--persona", action="append", metavar="ID", help="only this persona (repeatable)")
    p.add_argument("--limit", type=int, help="the first N personas only")
    p.add_argument("--locale", help="crisis resources locale (default: the serving profile's)")
    p.add_argument("--no-judge", action="store_true", help="run the conversations and the checks only")
    p.add_argument("--verbose", action="store_true", help="stream LLaMA-Factory's output")
    p.set_defaults(func=cmd_dialogue)
