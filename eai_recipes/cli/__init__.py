"""The `eai` command: the only place that parses argv. One module per command; each has `register(subparsers)`
and calls plain library functions. Heavy imports (torch, llamafactory) stay inside those functions so that
`eai --help` is instant."""

from __future__ import annotations

import argparse
import importlib
import sys

from eai_recipes import __version__
from eai_recipes.errors import EaiError

# In pipeline order, as `eai --help` lists them.
COMMANDS = (
    "tiny_model",
    "data",
    "recipes",
    "launch",
    "sweep",
    "webui",
    "evaluation",
    "judge",
    "dialogue",
    "report",
    "humaneval",
    "safety",
    "serve",
    "demo",
    "gpu_check",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eai",
        description=(
            "Fine-tune, evaluate and serve EAI, an empathetic mental-health support companion, "
            "with LLaMA-Factory. Run from the project root; outputs go to data/, runs/ and models/."
        ),
    )
    parser.add_argument("--version", action="version", version=f"eai-recipes {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"eai_recipes.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EaiError as exc:
        print(f"eai: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("eai: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
