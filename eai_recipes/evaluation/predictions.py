"""Predictions for the comparison: LLaMA-Factory's predict (the default) or vLLM on the merged model."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import check_datasets
from eai_recipes.launch.run import predict
from eai_recipes.recipes.render import Rendered


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


def run_predictions(rendered: Rendered, backend: str, *, quiet: bool = True) -> tuple[Path, dict[str, float]]:
    """Predict with the base model and the fine-tuned one; return the predictions dir and wall seconds."""
    wall: dict[str, float] = {}
    if backend == "llamafactory":
        # A chained run (--from-run) also predicts with the SFT adapter, and both adapters on the crisis prompts.
        for which in ("base", "adapter") + (("sft", "crisis") if rendered.from_run is not None else ()):
            start = time.monotonic()
            predict(rendered, which, quiet=quiet)
            wall[which] = time.monotonic() - start
        return rendered.run_dir / "predict", wall
    from eai_recipes.evaluation import vllm_backend

    merged = rendered.run_dir / "merged"
    if not (merged / "config.json").exists():
        raise EaiError(f"--backend vllm predicts with the merged model and {merged} has none: run "
                       f"`eai export --profile {rendered.profile.name}` first")
    check_datasets(rendered.values, ("eval_dataset",))
    out = rendered.run_dir / "predict-vllm"
    for which, model in (("base", str(rendered.values["model_name_or_path"])), ("adapter", merged.as_posix())):
        start = time.monotonic()
        vllm_backend.predict(rendered.values, model, out / which)
        wall[which] = time.monotonic() - start
    return out, wall
