"""The `eai` command. Each stage module registers its own sub-commands; this file only wires them."""

from __future__ import annotations

import argparse
import importlib
import sys

from eai_recipes import __version__
from eai_recipes.errors import EaiError

# Stage modules, each with `register(subparsers)`. Heavy imports (torch, llamafactory) stay inside the
# command functions so that `eai --help` is instant.
STAGES = (
    "eai_recipes.tiny_model",
    "eai_recipes.data",
    "eai_recipes.recipes",
    "eai_recipes.launch",
    "eai_recipes.sweep",
    "eai_recipes.webui",
    "eai_recipes.evaluation",
    "eai_recipes.report",
    "eai_recipes.humaneval",
    "eai_recipes.safety",
    "eai_recipes.serving",
    "eai_recipes.demo",
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
    for name in STAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # stage not written yet
                continue
            raise
        module.register(subparsers)
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
