"""`eai safety`: crisis screening from the command line."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from eai_recipes import safety

    safety.register(subparsers)
