"""`eai safety`: crisis screening from the command line."""

from __future__ import annotations

import argparse
import re
import sys


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


def _warn_then(func):
    def run(args: argparse.Namespace) -> int:
        warning = unknown_locale_warning(getattr(args, "locale", None))
        if warning:
            print(warning, file=sys.stderr)
        return func(args)

    return run


def _text_only(func):
    """A file that is not UTF-8 text (binary, UTF-16) is a clean error, as the same bytes on stdin are."""

    def run(args: argparse.Namespace) -> int:
        from eai_recipes.errors import EaiError

        try:
            return func(args)
        except UnicodeDecodeError as exc:
            name = getattr(args, "file", None) or "stdin"
            raise EaiError(f"{name}: not UTF-8 text (byte {exc.start}: {exc.reason}); a binary or UTF-16 file? "
                           "Convert it to UTF-8 JSON lines, e.g. iconv -f UTF-16 -t UTF-8") from None

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    from eai_recipes import safety

    safety.register(subparsers)
    parser = subparsers.choices.get("safety")
    actions = [a for a in getattr(parser, "_actions", []) if isinstance(a, argparse._SubParsersAction)]
    commands = actions[0].choices if actions else {}
    # `eai safety reply --locale XX` warns when XX is unknown, as the README says, before it falls back.
    reply = commands.get("reply")
    if reply is not None and reply.get_default("func") is not None:
        reply.set_defaults(func=_warn_then(reply.get_default("func")))
    screen = commands.get("screen")
    if screen is not None and screen.get_default("func") is not None:
        screen.set_defaults(func=_text_only(screen.get_default("func")))
