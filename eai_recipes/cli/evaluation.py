"""`eai eval`: base vs fine-tuned on the validation set, or every saved checkpoint (`--checkpoints`)."""

from __future__ import annotations

import argparse
import sys

from eai_recipes.cli.common import add_render_options, prepare
from eai_recipes.errors import EaiError

BACKENDS = ("auto", "llamafactory", "vllm")


def _settings(args: argparse.Namespace):
    from eai_recipes.evaluation.bootstrap import BootstrapSettings

    try:
        return BootstrapSettings(n_resamples=args.bootstrap_resamples, confidence=args.confidence,
                                 seed=args.bootstrap_seed, method=args.bootstrap_method)
    except ValueError as exc:
        raise EaiError(f"bootstrap options: {exc}") from None


def cmd_eval(args: argparse.Namespace) -> int:
    from eai_recipes.evaluation import checkpoints, compare
    from eai_recipes.evaluation.predictions import choose_backend, run_predictions

    settings = _settings(args)
    rendered = prepare(args)  # renders like `eai predict` does, with the same options
    if args.checkpoints:
        if args.backend == "vllm":
            raise EaiError("--checkpoints predicts with llamafactory-cli (each checkpoint is an adapter; vLLM "
                           "would need every one merged): leave out --backend vllm")
        result = checkpoints.evaluate_checkpoints(rendered, metric=args.metric, max_samples=args.max_samples,
                                                  skip_predict=args.skip_predict, settings=settings,
                                                  quiet=not args.verbose)
        sys.stdout.write(checkpoints.checkpoint_table(result))
        print(f"\nbest: checkpoint-{result['best']} ({result['best_path']})")
        eval_dir = rendered.run_dir / "eval"
        print(f"wrote {eval_dir / 'checkpoints.json'}, {eval_dir / 'checkpoints.md'}, {result['plot']}",
              file=sys.stderr)
        return 0
    if args.max_samples:
        raise EaiError("--max-samples applies to --checkpoints; for the comparison use --set max_samples=N "
                       "(it goes into both predict recipes)")
    if args.skip_predict and args.backend == "auto":  # score what is there
        vllm_only = not (rendered.run_dir / "predict").exists() and (rendered.run_dir / "predict-vllm").exists()
        backend = "vllm" if vllm_only else "llamafactory"
    else:
        backend = choose_backend(args.backend, rendered.run_dir)
    wall = None
    predict_dir = rendered.run_dir / ("predict" if backend == "llamafactory" else "predict-vllm")
    if not args.skip_predict:
        predict_dir, wall = run_predictions(rendered, backend, quiet=not args.verbose)
    print("==> scoring: rouge-score (stemmed) and bootstrap intervals", file=sys.stderr, flush=True)
    metrics = compare.evaluate_run(rendered.run_dir, predict_dir=predict_dir, settings=settings,
                                   wall_seconds=wall, backend=backend)
    sys.stdout.write(compare.comparison_table(metrics))
    eval_dir = rendered.run_dir / "eval"
    print(f"wrote {eval_dir / 'metrics.json'} and {eval_dir / 'table.md'}", file=sys.stderr)
    if rendered.from_run is not None and backend == "llamafactory":
        from eai_recipes.evaluation.stages import compare_stages, stages_table

        result = compare_stages(rendered.run_dir, rendered.from_run, rendered.config("train"), settings)
        print(f"\nSFT ({rendered.from_run.as_posix()}) vs SFT + preference pass ({rendered.run_dir.as_posix()}):\n")
        sys.stdout.write(stages_table(result))
        print(f"wrote {eval_dir / 'stages.json'} and {eval_dir / 'stages.md'}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from eai_recipes.evaluation.bootstrap import (
        DEFAULT_CONFIDENCE,
        DEFAULT_METHOD,
        DEFAULT_RESAMPLES,
        DEFAULT_SEED,
    )

    p = subparsers.add_parser(
        "eval", help="base vs fine-tuned ROUGE with confidence intervals, or choose the best checkpoint",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Predict on the validation set with the base model and the fine-tuned adapter (same data, same\n"
            "generation settings: greedy and seeded in the shipped recipes), score both with standard\n"
            "ROUGE-1/2/L F1 (rouge-score, Porter stemming), with seeded bootstrap 95% intervals for each model\n"
            "and for the paired difference, and show LLaMA-Factory's own jieba-based figures beside them.\n"
            "Writes runs/<run>/eval/metrics.json and table.md (the paper's Table 1 shape).\n\n"
            "With --checkpoints: predict with every runs/<run>/adapter/checkpoint-N instead, and name the best\n"
            "(highest mean ROUGE-L F1; a tie goes to the earlier step), with a plot of the metric per step\n"
            "beside the training loss: runs/<run>/eval/checkpoints.{json,md,png}.\n\n"
            "With --recipe eai_dpo --from-run SFT_RUN (a preference pass): also predict with the SFT adapter, and\n"
            "with both adapters on the held-out crisis prompts, and write the SFT vs SFT + DPO table (ROUGE with\n"
            "intervals, the crisis-handling rate): runs/<run>/eval/stages.{json,md}."
        ),
    )
    add_render_options(p)
    p.add_argument("--skip-predict", action="store_true", help="score existing predictions only")
    p.add_argument("--verbose", action="store_true",
                   help="stream LLaMA-Factory's full output (it always goes to runs/<run>/logs/)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="predict with llamafactory-cli (batched, left padding) or vLLM (GPU, base and merged "
                        "model); auto: vLLM where installed with a GPU and a merged model, else llamafactory "
                        "(default: %(default)s)")
    c = p.add_argument_group("checkpoint choice")
    c.add_argument("--checkpoints", action="store_true", help="score every saved checkpoint-N and choose one")
    c.add_argument("--metric", choices=["rougeL", "rouge1", "rouge2"], default="rougeL",
                   help="metric of the choice rule (default: %(default)s)")
    c.add_argument("--max-samples", type=int, help="score checkpoints on the first N validation samples only")
    b = p.add_argument_group("bootstrap intervals")
    b.add_argument("--bootstrap-resamples", type=int, default=DEFAULT_RESAMPLES, help="default: %(default)s")
    b.add_argument("--bootstrap-seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    b.add_argument("--bootstrap-method", choices=["BCa", "percentile", "basic"], default=DEFAULT_METHOD,
                   help="scipy.stats.bootstrap method (default: %(default)s)")
    b.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE, help="default: %(default)s")
    p.set_defaults(func=cmd_eval)
