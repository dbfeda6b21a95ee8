"""`eai safety`: screen messages or conversations, evaluate on labelled sets, show the crisis reply."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

from eai_recipes.errors import EaiError


def _decoded(lines: Iterable[str], name: str) -> Iterator[str]:
    """Lines of a text stream; a file that is not UTF-8 text (binary, UTF-16) is a clean error, not a traceback."""
    try:
        for line in lines:
            if "\x00" in line:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "NUL byte")
            yield line
    except UnicodeDecodeError:
        raise EaiError(f"{name}: not UTF-8 text (binary or UTF-16?); give JSON Lines in UTF-8") from None


def screen_lines(lines: Iterable[str], *, conversations: bool = False,
                 rules_only: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Screen JSONL lines: {"text"} (one message each) or, with `conversations`, {"messages": [...]}.

    One output record per non-blank line, (record, ok): a message keeps its input keys and gains "crisis",
    "level", "category" and "reason"; a conversation gets exactly those four. A line that cannot be read gets
    an error record {"line": n, "error": ...} in its place, so that every input line is accounted for.
    """
    from eai_recipes.safety import screen, screen_conversation

    model = None if rules_only else "shipped"
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"line": n, "error": f"not valid JSON ({exc.msg})"}, False
            continue
        if conversations:
            messages = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(messages, list) or not all(
                    isinstance(m, dict) and isinstance(m.get("role"), str)
                    and isinstance(m.get("content"), (str, list)) for m in messages):
                yield {"line": n, "error": "expected a JSON object with `messages`: [{\"role\", \"content\"}]"}, False
                continue
            result = screen_conversation(messages, model=model)
            yield {"crisis": result.crisis, "level": result.level, "category": result.category,
                   "reason": result.reason}, True
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            yield {"line": n, "error": "expected a JSON object with a string `text`"}, False
            continue
        result = screen(row["text"], model=model)
        yield {**row, "crisis": result.crisis, "level": result.level, "category": result.category,
               "reason": result.reason}, True


def _open(path: str, mode: str, stack: contextlib.ExitStack) -> IO[str]:
    try:
        return stack.enter_context(open(path, mode, encoding="utf-8"))
    except OSError as exc:
        raise EaiError(f"{path}: cannot {'read' if mode == 'r' else 'write'} ({exc.strerror})") from None


def _cmd_screen(args: argparse.Namespace) -> int:
    stdin = args.file in (None, "-")
    name = "stdin" if stdin else args.file
    unit = "conversations" if args.conversations else "messages"
    counts = {"crisis": 0, "concern": 0, "none": 0}
    bad: list[int] = []
    with contextlib.ExitStack() as stack:
        source = sys.stdin if stdin else _open(args.file, "r", stack)
        out = _open(args.output, "w", stack) if args.output else sys.stdout
        for record, ok in screen_lines(_decoded(source, name), conversations=args.conversations,
                                          rules_only=args.rules_only):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if ok:
                counts[record["level"]] += 1
            else:
                bad.append(record["line"])
    total = sum(counts.values())
    print(f"screened {total} {unit} from {name}: {counts['crisis']} crisis, {counts['concern']} concern, "
          f"{counts['none']} none" + (f", {len(bad)} unreadable" if bad else ""), file=sys.stderr)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        what = "JSON objects with `messages`" if args.conversations else "JSON objects with a string `text`"
        raise EaiError(f"{name}: {len(bad)} line(s) are not {what} (lines {shown}); each has an error record "
                       "{\"line\", \"error\"} in the output")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from eai_recipes import safety

    files = args.files or ([str(f) for f in safety.ALL_FILES] if args.all else [safety.LABELLED_FILE])
    if args.guard:
        judge, failures = _guard_judge(args)
        results = [safety.evaluate(f, judge=judge) for f in files]
        print(f"model guard {args.guard!r} (profile {args.profile}): {len(failures)} failure(s) or timeout(s), "
              "counted as concern (the server appends the resources)", file=sys.stderr)
    else:
        from eai_recipes.safety.evaluate import screen_example, screen_example_rules

        judge = screen_example_rules if args.rules_only else screen_example
        results = [safety.evaluate(f, judge=judge) for f in files]
    if args.json:
        print(json.dumps([r.as_dict(texts=not args.no_text) for r in results], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(safety.format_evaluation(r, texts=not args.no_text) for r in results))
    if args.check and not all(r.meets_goals() for r in results):
        failing = "; ".join(f"{r.file}: {', '.join(r.shortfalls())}" for r in results if not r.meets_goals())
        raise EaiError(f"crisis screening misses its goals on {failing}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from eai_recipes.safety import classifier, train

    files = [Path(f) for f in args.files] or train.training_files()
    out = Path(args.out) if args.out else classifier.CLASSIFIER_DIR
    model = train.train(files, out, cross_validate=not args.no_cv,
                        progress=lambda line: print(line, file=sys.stderr))
    for unit, f in model.card["out_of_group"]["pooled"].items():
        print(f"{unit}, out of group (each set scored by a model that never saw it), pooled: crisis recall "
              f"{f['crisis_recall']:.3f} at false positives {f['crisis_false_positives']:.3f}; crisis or "
              f"concern {f['crisis_or_concern_recall']:.3f} at others marked {f['others_marked']:.3f}")
    return 0


def _guard_judge(args: argparse.Namespace):
    """A judge for `safety.evaluate` that asks the model guard (loaded like `eai serve` loads its model)."""
    from eai_recipes.safety import guard
    from eai_recipes.safety.screen import Screening
    from eai_recipes.serving.model import load_chat_model, plan_model
    from eai_recipes.serving.profile import load_serving_profile

    profile = load_serving_profile(args.profile)
    chat_model = None
    if args.guard == "self":
        chat_model = load_chat_model(plan_model(profile, source=args.source), profile.generation.timeout_s)
    model_guard = guard.load_guard(args.guard, chat_model, timeout_s=args.timeout)
    failures: list[int] = []

    def judge(example):
        messages = list(example.messages) if example.messages else [{"role": "user", "content": example.text}]
        verdict = model_guard.check_sync(messages)
        if not verdict.ok:
            failures.append(example.line)
            return Screening.make("concern", "suicide", verdict.reason)
        return Screening.make(verdict.level, verdict.category, verdict.reason)

    return judge, failures


def unknown_locale_warning(locale: str | None) -> str | None:
    """The warning for a locale that is not in the crisis resources (None when it is listed, or not given)."""
    from eai_recipes import safety

    if not locale or not locale.strip():
        return None
    table = safety.load_resources()
    parts = {locale.strip().upper(), *(p for p in re.split(r"[-_.@\s]+", locale.strip().upper()) if p)}
    if parts & (set(table["locales"]) | set(table["aliases"])):
        return None
    shown = safety.resolve_locale(locale)
    known = ", ".join(sorted(table["locales"]))
    return (f"warning: locale {locale!r} is not listed in dataset_info/crisis/resources.yaml (known: {known}); "
            f"showing the {table['locales'][shown].get('label', shown)} list ({shown})")


def _cmd_reply(args: argparse.Namespace) -> int:
    from eai_recipes import safety

    warning = unknown_locale_warning(args.locale)  # before the fallback, as the README says
    if warning:
        print(warning, file=sys.stderr)

    print(safety.concern_footer(args.locale) if args.concern else safety.crisis_reply(args.locale, args.category))
    return 0


CATEGORIES = ("suicide", "self_harm", "harm_others", "danger")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "safety",
        help="crisis screening: screen messages or conversations, evaluate on labelled sets, show the crisis reply",
        description=(
            "Crisis screening used by `eai serve` on every conversation: suicidal intent, self-harm, intent to "
            "harm others, or being in danger. Three levels: crisis (the fixed crisis reply), concern (the answer "
            "carries the resources as a footer), none. Rules over concept lexicons and a small learned layer "
            "(dataset_info/crisis/classifier/), English only, CPU, no network; a model guard is optional."
        ),
    )
    sub = parser.add_subparsers(dest="safety_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser(
        "screen",
        help="screen JSONL messages {\"text\"} or conversations {\"messages\"} from FILE or stdin",
        description=(
            "Read JSONL lines {\"text\": ...} from FILE (or stdin) and write one JSONL line per message: the input "
            "object plus \"crisis\" (true only at level crisis), \"level\" (crisis, concern or none), \"category\" "
            "(suicide, self_harm, harm_others, danger or null) and \"reason\" (never quotes the text). With "
            "--conversations, read {\"messages\": [{\"role\", \"content\"}, ...]} and write one line per "
            "conversation, in order: {\"crisis\", \"level\", \"category\", \"reason\"}, the verdict on the "
            "conversation as a whole. A line that cannot be read gets an error record {\"line\": N, \"error\"} in "
            "its place, the others are still screened, and the command then exits with status 2 naming the bad "
            "lines. Blank lines are skipped. A summary goes to stderr."
        ),
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="JSONL input (default: stdin; '-' also means stdin)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the JSONL results here instead of stdout")
    p.add_argument("--conversations", action="store_true",
                   help="each line is a conversation {\"messages\": [...]}, screened as a whole")
    p.add_argument("--rules-only", action="store_true", help="the rule layer alone, without the learned layer")
    p.set_defaults(func=_cmd_screen)

    p = sub.add_parser(
        "evaluate",
        help="recall and false-positive rates per level on labelled sets",
        description=(
            "Screen every line of labelled JSONL sets ({\"text\", \"crisis\": bool, \"kind\"} or, for "
            "conversations, {\"messages\", \"crisis\", \"pattern\"}) and print, per level, recall and the share "
            "of other lines marked, false positives on idioms, counts by kind, and every miss and false alarm. "
            "Default: dataset_info/crisis/labelled.jsonl; --all: every shipped set. With --guard, the model guard "
            "is measured instead of the rules (needs the model; a GPU for real figures)."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="labelled JSONL sets (default: the shipped labelled set)")
    p.add_argument("--all", action="store_true",
                   help="every shipped evaluation set in dataset_info/crisis/ and its blind/ rounds")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--no-text", action="store_true", help="list misses by line and kind only, without their text")
    p.add_argument("--check", action="store_true",
                   help="exit 2 unless every set meets its goals: messages: crisis level recall >= 0.90 at "
                        "<= 0.05 false positives, crisis or concern >= 0.97 marking <= 0.15 of the others; "
                        "conversations: recall >= 0.90 at <= 0.10; idioms: <= 0.10 flagged")
    p.add_argument("--guard", metavar="GUARD",
                   help="measure a model guard: 'self' (the profile's model) or a classifier's model id or path")
    p.add_argument("--profile", default="paper", help="serving profile the guard's model comes from (default paper)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per guard call (default 30)")
    p.add_argument("--rules-only", action="store_true", help="measure the rule layer alone")
    p.add_argument("--source", choices=("adapter", "merged", "base"),
                   help="with --guard self: which model of the profile (default: the profile's source)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "train",
        help="train the learned layer on the labelled sets and choose its thresholds out of group",
        description=(
            "Train the crisis classifier (hashed n-grams and the rules' signals, multinomial logistic regression; "
            "CPU, about eight minutes on 2 cores for the shipped sets) on every labelled set under "
            "dataset_info/crisis/ except unseen/ (or the FILEs given). Sets are never split: they are dealt into 10 "
            "folds, each scored by a model trained on the others, and the thresholds are chosen on those "
            "predictions so that crisis false positives stay <= 0.04 and crisis-or-concern marks <= 0.12 of the "
            "others; conversations are decided there as the server decides them, and their `settled` level keeps "
            "their crisis false positives <= 0.10. The out-of-group figures per set go into the card. Writes "
            "model.safetensors and card.json."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="labelled JSONL sets (default: all under dataset_info/crisis/ but unseen/)")
    p.add_argument("--out", metavar="DIR", help="where to write the model (default dataset_info/crisis/classifier/)")
    p.add_argument("--no-cv", action="store_true",
                   help="skip cross-validation (fast; default thresholds, no out-of-group figures)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "reply",
        help="print the crisis reply (or the concern footer) for a locale",
        description="Print the fixed crisis reply with the resources of dataset_info/crisis/resources.yaml.",
    )
    p.add_argument("--locale", help="locale such as en-US, en-GB, GB, AU (default: the file's default)")
    p.add_argument("--category", choices=CATEGORIES, help="tailor the first paragraph to a crisis category")
    p.add_argument("--concern", action="store_true", help="print the footer a concern-level answer carries")
    p.set_defaults(func=_cmd_reply)
