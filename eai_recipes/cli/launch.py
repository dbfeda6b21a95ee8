"""`eai train`, `eai predict`, `eai export`: llamafactory-cli on a rendered run."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from eai_recipes.cli.common import add_render_options, add_runs_on, prepare
from eai_recipes.launch.run import export, predict, train


def cmd_train(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="eai-render-") as scratch:
        train(prepare(args, stage_in=Path(scratch)), fresh=args.fresh, build_data=args.build_data)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    predict(prepare(args), args.which)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    export(prepare(args))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    common: dict = {}
    t = subparsers.add_parser(
        "train", help="QLoRA fine-tune with llamafactory-cli train (resumes an interrupted run)",
        description="Render the profile's recipes into runs/<run-name>/, validate train.yaml with LLaMA-Factory's "
                    "parser, check packages, model and data, then run `llamafactory-cli train "
                    "runs/<run-name>/train.yaml` with the profile's launch variables (torchrun, Ray), logging to "
                    "runs/<run-name>/logs/train.log. Re-running the same command after an interruption resumes "
                    "from the last complete checkpoint; a finished run is left as it is.",
        **common,
    )
    add_render_options(t)
    add_runs_on(t)
    t.add_argument("--fresh", action="store_true", help="delete a previous adapter of this run and start over")
    t.add_argument("--build-data", action="store_true",
                   help="if data/dataset_info.json is missing, build the datasets first with `eai data build` "
                        "(what `make train` does on a fresh clone); the GPU is checked before")
    t.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "predict", help="generate on the validation set with the base model and/or the adapter",
        description="Run `llamafactory-cli train` with do_predict + predict_with_generate on the eval dataset, "
                    "for the base model and the fine-tuned adapter (same data and generation settings). "
                    "Writes runs/<run-name>/predict/{base,adapter}/generated_predictions.jsonl and metrics.",
        **common,
    )
    add_render_options(p)
    add_runs_on(p)
    p.add_argument("--which", choices=["base", "adapter", "both"], default="both",
                   help="which model(s) to run (default: both)")
    p.set_defaults(func=cmd_predict)

    e = subparsers.add_parser(
        "export", help="merge the adapter into the base model with llamafactory-cli export",
        description="Run `llamafactory-cli export` to merge runs/<run-name>/adapter into the (unquantized) base "
                    "model, writing runs/<run-name>/merged (safetensors, tokenizer, an Ollama Modelfile).",
        **common,
    )
    add_render_options(e)
    add_runs_on(e)
    e.set_defaults(func=cmd_export)
