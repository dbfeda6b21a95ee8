"""`eai eval`: base vs fine-tuned on the validation set, or every saved checkpoint (`--checkpoints`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from eai_recipes.errors import EaiError

BACKENDS = ("auto", "llamafactory", "vllm")


def _settings(args: argparse.Namespace):
    from eai_recipes.evaluation.bootstrap import BootstrapSettings

    try:
        return BootstrapSettings(n_resamples=args.bootstrap_resamples, confidence=args.confidence,
                                 seed=args.bootstrap_seed, method=args.bootstrap_method)
    except ValueError as exc:
        raise EaiError(f"bootstrap options: {exc}") from None


def choose_backend(requested: str, run_dir: Path) -> str:
    """`auto` takes vLLM only where it can run and the merged model it needs exists; otherwise LLaMA-Factory's
    predict, saying why, so that a user with a GPU knows the fast path is there."""
    if requested != "auto":
        return requested
    from eai_recipes.evaluation import vllm_backend

    reason = vllm_backend.unavailable_reason()
    if reason is None and not (run_dir / "merged" / "config.json").exists():
        reason = f"no merged model at {run_dir / 'merged'} (run `eai export` first)"
    if reason is None:
        return "vllm"
    print(f"==> predict backend: llamafactory-cli ({reason} for the vLLM path)", file=sys.stderr)
    return "llamafactory"


def run_predictions(rendered, backend: str, *, quiet: bool = True) -> tuple[Path, dict[str, float]]:
    """Predict with the base model and the fine-tuned one; return the predictions dir and wall seconds."""
    from eai_recipes import launch

    wall: dict[str, float] = {}
    if backend == "llamafactory":
        for which in ("base", "adapter"):
            start = time.monotonic()
            launch.predict(rendered, which, quiet=quiet)
            wall[which] = time.monotonic() - start
        return rendered.run_dir / "predict", wall
    from eai_recipes.evaluation import vllm_backend

    merged = rendered.run_dir / "merged"
    if not (merged / "config.json").exists():
        raise EaiError(f"--backend vllm predicts with the merged model and {merged} has none: run "
                       f"`eai export --profile {rendered.profile.name}` first")
    launch.check_datasets(rendered.values, ("eval_dataset",))
    out = rendered.run_dir / "predict-vllm"
    for which, model in (("base", str(rendered.values["model_name_or_path"])), ("adapter", merged.as_posix())):
        start = time.monotonic()
        vllm_backend.predict(rendered.values, model, out / which)
        wall[which] = time.monotonic() - start
    return out, wall


def cmd_eval(args: argparse.Namespace) -> int:
    from eai_recipes import launch
    from eai_recipes.evaluation import checkpoints, compare

    settings = _settings(args)
    rendered = launch.prepare(args)  # renders like `eai predict` does, with the same options
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
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from eai_recipes import recipes
    from eai_recipes.evaluation.bootstrap import (DEFAULT_CONFIDENCE, DEFAULT_METHOD, DEFAULT_RESAMPLES,
                                                  DEFAULT_SEED)

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
            "beside the training loss: runs/<run>/eval/checkpoints.{json,md,png}."
        ),
    )
    recipes.add_render_options(p)
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
