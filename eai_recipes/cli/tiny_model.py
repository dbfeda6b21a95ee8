"""`eai tiny-model`: build the tiny Phi-4-shaped model the tests and the demo train."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.tiny_model import build_tiny_model, is_built


def cmd_tiny_model(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not is_built(out) and not args.force:
        raise EaiError(f"{out} exists and is not a tiny model; choose another --out or pass --force")
    if is_built(out) and not args.force:
        print(f"tiny model already at {out} (pass --force to rebuild)", file=sys.stderr)
        return 0
    print(f"building tiny Phi-3 model (seed {args.seed}) -> {out}", file=sys.stderr)
    build_tiny_model(out, seed=args.seed, vocab_size=args.vocab_size)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tiny-model",
        help="write a tiny offline Phi-3 model for tests and the demo",
        description=(
            "Write a small, randomly initialised Phi3ForCausalLM (Phi-4's architecture) with a word-level "
            "tokenizer that carries Phi-4's chat tokens, so LLaMA-Factory's `phi4` template works unchanged. "
            "Deterministic for a seed; needs no network."
        ),
    )
    p.add_argument("--out", default=str(paths.TINY_MODEL_DIR), help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="weight initialisation seed (default: %(default)s)")
    p.add_argument("--vocab-size", type=int, default=4096, help="maximum vocabulary size (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="rebuild even if a model is already there")
    p.set_defaults(func=cmd_tiny_model)
