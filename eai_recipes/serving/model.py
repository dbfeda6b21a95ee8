"""Which weights `eai serve` loads, and loading them through LLaMA-Factory's own chat engine.

The base model and template come from the run's rendered train.yaml (what the adapter was really trained on)
or, without one, from the training profile the serving profile names. Everything is checked before the
model loads, so a missing adapter or export is a one-line error naming the command that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.hardware import has_cuda
from eai_recipes.recipes.profiles import load_profile, merge_values
from eai_recipes.serving.profile import ServingProfile

# LLaMA-Factory keys for 4-bit NF4 with double quantization, as the paper served Phi-4 (section 4.5.2).
FOUR_BIT = {
    "quantization_bit": 4,
    "quantization_method": "bnb",
    "quantization_type": "nf4",
    "double_quantization": True,
}


@dataclass(frozen=True)
class ModelPlan:
    args: dict[str, Any]  # arguments of llamafactory.chat.ChatModel (get_infer_args)
    source: str
    summary: str  # one line for the startup log, e.g. "models/tiny-phi4 + runs/demo/adapter, full precision"


def _training_values(profile: ServingProfile, run_dir: Path) -> dict[str, Any]:
    rendered = run_dir / "train.yaml"
    if rendered.is_file():
        data = yaml.safe_load(rendered.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("model_name_or_path"):
            return data
    return merge_values(load_profile(profile.training_profile), {})


def _quantize(profile: ServingProfile) -> bool:
    if profile.quantization == "auto":
        return has_cuda()
    return profile.quantization == "4bit"


def _local_model_missing(model: str) -> bool:
    looks_local = model.startswith((".", "/", "models/", "runs/")) or Path(model).exists()
    return looks_local and not (Path(model) / "config.json").exists()


def plan_model(profile: ServingProfile, *, source: str | None = None, run: str | None = None,
               runs_dir: Path = paths.RUNS_DIR) -> ModelPlan:
    source = source or profile.source
    run = run or profile.run
    run_dir = runs_dir / run
    values = _training_values(profile, run_dir)
    base = str(values["model_name_or_path"])
    args: dict[str, Any] = {
        "template": values.get("template", "phi4"),
        "infer_backend": "huggingface",
        "trust_remote_code": bool(values.get("trust_remote_code", False)),
    }
    retrain = f"`eai train --profile {profile.training_profile} --run-name {run}`"
    if source == "adapter":
        adapter = run_dir / "adapter"
        if not (adapter / "adapter_config.json").is_file():
            raise EaiError(f"model source 'adapter': no trained adapter at {adapter.as_posix()} (run {retrain} "
                           "or `make demo` first, or pick another --run-name or --model-source)")
        args |= {"model_name_or_path": base, "adapter_name_or_path": adapter.as_posix(), "finetuning_type": "lora"}
        summary = f"{base} + {adapter.as_posix()}"
    elif source == "merged":
        merged = run_dir / "merged"
        if not (merged / "config.json").is_file():
            raise EaiError(f"model source 'merged': no merged model at {merged.as_posix()} (run `eai export "
                           f"--profile {profile.training_profile} --run-name {run}` after training)")
        args |= {"model_name_or_path": merged.as_posix()}
        base, summary = merged.as_posix(), merged.as_posix()
    elif source == "base":
        args |= {"model_name_or_path": base}
        summary = f"{base} (base model, no fine-tuning)"
    else:
        raise EaiError(f"--model-source {source!r}: expected adapter, merged or base")
    if _local_model_missing(base):
        hint = " (build it with `eai tiny-model`)" if Path(base) == paths.TINY_MODEL_DIR else ""
        raise EaiError(f"model {base} has no config.json{hint}")

    quantize = _quantize(profile)
    if quantize:
        args |= FOUR_BIT
    gen = profile.generation
    args |= {
        "do_sample": gen.do_sample,
        "temperature": gen.temperature,
        "top_p": gen.top_p,
        "top_k": gen.top_k,
        "repetition_penalty": gen.repetition_penalty,
        "max_new_tokens": gen.max_new_tokens,
    }
    summary += ", 4-bit NF4" if quantize else ", full precision"
    return ModelPlan(args=args, source=source, summary=summary)


def validate_plan(plan: ModelPlan) -> None:
    """LLaMA-Factory's own parser on the arguments, before the weights load."""
    from llamafactory.hparams import get_infer_args

    try:
        get_infer_args(dict(plan.args))
    except (ValueError, TypeError, ImportError) as exc:
        raise EaiError(f"LLaMA-Factory refuses the serving model arguments {plan.args}: {exc}") from None


def load_chat_model(plan: ModelPlan, timeout_s: float):
    """A `llamafactory.chat.ChatModel` for the plan, with the generation timeout installed."""
    from llamafactory.chat import ChatModel

    chat_model = ChatModel(dict(plan.args))
    engine = chat_model.engine
    if not getattr(engine, "can_generate", False):
        raise EaiError(f"{plan.summary}: LLaMA-Factory loaded it as a scoring model; it cannot chat")
    # GeneratingArguments has no timeout; the engine builds a transformers GenerationConfig from this dict for
    # every request, and `max_time` there stops generate() (MaxTimeCriteria) so a slow answer ends on time.
    engine.generating_args["max_time"] = float(timeout_s)
    return chat_model
