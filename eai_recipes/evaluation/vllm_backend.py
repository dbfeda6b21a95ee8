"""Predict with vLLM for the base and the merged model, where vLLM is installed and a CUDA GPU is present.

LLaMA-Factory's own predict (`llamafactory-cli train` with do_predict) generates with transformers, batched
with left padding (`per_device_eval_batch_size`); vLLM's continuous batching is many times faster on a GPU.
This follows LLaMA-Factory's `scripts/vllm_infer.py` (which the wheel does not ship): prompts are built by
LLaMA-Factory's own data pipeline and template (so they are token-for-token the ones its predict uses), then
vLLM generates. The output has the same shape as LLaMA-Factory's (generated_predictions.jsonl with prompt,
predict, label), so the same scoring applies; speed goes to eai_speed.json, never into LLaMA-Factory's files.

vLLM cannot load bitsandbytes 4-bit models: both models run unquantized in `infer_dtype`, so compare vLLM
figures with vLLM figures only (metrics.json records the backend). The fine-tuned model is the merged
export (`eai export`), as the issue asks, rather than a LoRA adapter over a quantized base.

Not exercised by the test suite: the development machine has no GPU and no vLLM. The prompt building and
the output writing are shared with code that is tested; the `vllm.LLM` call is not.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError
from eai_recipes.evaluation.compare import SPEED_FILE
from eai_recipes.evaluation.scoring import PREDICTIONS_FILE

VLLM_HINT = "pip install 'vllm<=0.11.0' (the range LLaMA-Factory 0.9.5 supports)"
# The recipe keys that shape the prompts and the generation; quantization keys are left out on purpose.
_INFER_KEYS = ("template", "cutoff_len", "max_samples", "dataset_dir", "trust_remote_code",
               "do_sample", "temperature", "top_p", "top_k", "max_new_tokens", "repetition_penalty")


def unavailable_reason() -> str | None:
    """Why the vLLM path cannot run here, or None when it can."""
    if importlib.util.find_spec("vllm") is None:
        return f"vLLM is not installed ({VLLM_HINT})"
    import torch

    if not torch.cuda.is_available():
        return "vLLM needs a CUDA GPU and none was found"
    return None


def infer_args(values: dict[str, Any], model_path: str) -> dict[str, Any]:
    """LLaMA-Factory inference arguments for one model: the recipe's data and generation keys, unquantized."""
    args = {k: values[k] for k in _INFER_KEYS if values.get(k) is not None}
    args.update(model_name_or_path=model_path, dataset=values["eval_dataset"], preprocessing_num_workers=1)
    return args


def build_prompts(args: dict[str, Any]) -> dict[str, Any]:
    """Tokenized prompts and decoded labels from LLaMA-Factory's own pipeline (the `ppo` stage keeps the
    prompt and the reference apart, as scripts/vllm_infer.py does). Runs on CPU; needs no vLLM."""
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.extras.constants import IGNORE_INDEX
    from llamafactory.hparams import get_infer_args
    from llamafactory.model import load_tokenizer
    from transformers import Seq2SeqTrainingArguments

    model_args, data_args, _, generating_args = get_infer_args(dict(args))
    tokenizer_module = load_tokenizer(model_args)
    tokenizer = tokenizer_module["tokenizer"]
    template = get_template_and_fix_tokenizer(tokenizer, data_args)
    training_args = Seq2SeqTrainingArguments(output_dir="unused", report_to=[])
    dataset = get_dataset(template, model_args, data_args, training_args, "ppo", **tokenizer_module)["train_dataset"]
    input_ids = [list(ids) for ids in dataset["input_ids"]]
    labels = [tokenizer.decode([t for t in ids if t != IGNORE_INDEX], skip_special_tokens=True)
              for ids in dataset["labels"]]
    return {
        "input_ids": input_ids,
        "prompts": tokenizer.batch_decode(input_ids, skip_special_tokens=False),  # as LLaMA-Factory writes them
        "labels": labels,
        "stop_token_ids": template.get_stop_token_ids(tokenizer),
        "model_args": model_args,
        "generating_args": generating_args,
    }


def write_predictions(out_dir: Path, prompts: list[str], predictions: list[str], labels: list[str],
                      speed: dict[str, Any]) -> Path:
    """generated_predictions.jsonl in LLaMA-Factory's shape, and our speed figures beside it."""
    if not len(prompts) == len(predictions) == len(labels):
        raise ValueError(f"{len(prompts)} prompts, {len(predictions)} predictions, {len(labels)} labels")
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / PREDICTIONS_FILE, "w", encoding="utf-8") as f:
        for prompt, pred, label in zip(prompts, predictions, labels):
            f.write(json.dumps({"prompt": prompt, "predict": pred, "label": label}, ensure_ascii=False) + "\n")
    (out_dir / SPEED_FILE).write_text(json.dumps(speed, indent=2) + "\n", encoding="utf-8")
    return out_dir


def predict(values: dict[str, Any], model_path: str, out_dir: Path) -> Path:
    """Greedy (or the recipe's sampling, seeded) generation with vLLM for one model into out_dir."""
    reason = unavailable_reason()
    if reason:
        raise EaiError(f"--backend vllm: {reason}; use --backend llamafactory")
    from vllm import LLM, SamplingParams

    prepared = build_prompts(infer_args(values, model_path))
    gen = prepared["generating_args"]
    do_sample = values.get("do_sample", gen.do_sample)
    seed = values.get("seed")
    start = time.monotonic()
    llm = LLM(model=model_path, trust_remote_code=bool(values.get("trust_remote_code", False)),
              dtype=prepared["model_args"].infer_dtype, seed=seed if seed is not None else 0,
              max_model_len=int(values.get("cutoff_len", 1024)) + int(gen.max_new_tokens), disable_log_stats=True)
    loaded = time.monotonic()
    params = SamplingParams(
        temperature=gen.temperature if do_sample else 0.0,  # temperature 0 is vLLM's greedy decoding
        top_p=(gen.top_p or 1.0) if do_sample else 1.0,
        top_k=(gen.top_k or -1) if do_sample else -1,
        repetition_penalty=gen.repetition_penalty or 1.0,
        max_tokens=gen.max_new_tokens,
        stop_token_ids=prepared["stop_token_ids"],
        skip_special_tokens=True,
        seed=seed,
    )
    print(f"==> vLLM: {len(prepared['input_ids'])} prompts with {model_path}", file=sys.stderr, flush=True)
    outputs = llm.generate([{"prompt_token_ids": ids} for ids in prepared["input_ids"]], params)
    runtime = time.monotonic() - loaded
    n = len(outputs)
    speed = {"source": "vLLM (eai eval --backend vllm)", "samples_per_second": round(n / runtime, 3),
             "steps_per_second": None, "runtime_s": round(runtime, 3),
             "model_preparation_s": round(loaded - start, 3)}
    return write_predictions(out_dir, prepared["prompts"], [o.outputs[0].text for o in outputs],
                             prepared["labels"], speed)
