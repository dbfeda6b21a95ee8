"""Phi-4's real shape with random weights, a few layers deep, written locally in safetensors: what the GPU
check trains and predicts with to measure memory and speed per layer, without downloading 29 GB.

The config is microsoft/phi-4's (eai_recipes.recipes.memory.PHI4: Phi3ForCausalLM, hidden 5120, 40 heads,
10 key-value heads, MLP 17920, vocabulary 100,352, rope_theta 250000, max_position_embeddings 16384) with
only `layers` decoder layers. The tokenizer is the tiny model's (a few thousand words with Phi-4's chat
tokens): the model keeps Phi-4's 100,352-row embedding and output layer, because those are what the memory
figures must include. Output rows past the tokenizer's size are zeroed so that greedy generation only picks
tokens the tokenizer can decode.

Sharing: the smaller depths reuse the deepest model's weight file (a symlink) with their own config.json;
transformers loads the first `layers` layers and ignores the rest, so 2, 4 and 8 layers cost one write.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from eai_recipes.recipes.memory import PHI4, PHI4_CONFIG_EXTRA, ModelShape

MARKER = "eai_shape_model.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


def shape_config(shape: ModelShape, layers: int, tokenizer_ids: dict[str, int]) -> dict[str, Any]:
    """A Phi3Config's keyword arguments: the shape with `layers` layers and the tokenizer's special ids."""
    extra = PHI4_CONFIG_EXTRA if shape == PHI4 else {"max_position_embeddings": 4096, "rope_theta": 10000.0}
    return {
        "vocab_size": shape.vocab,
        "hidden_size": shape.hidden,
        "intermediate_size": shape.intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": shape.heads,
        "num_key_value_heads": shape.kv_heads,
        "tie_word_embeddings": shape.tie_embeddings,
        "attention_bias": False,
        **extra,
        **tokenizer_ids,
    }


def _tokenizer_ids(tokenizer) -> dict[str, int]:
    return {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id}


def build_shape_model(out: Path, layers: int, tokenizer_dir: Path, *, shape: ModelShape = PHI4,
                      device: str = "cpu", dtype: str = "bfloat16", seed: int = 0) -> Path:
    """Write a random-weight model of `shape` with `layers` layers (config.json, model.safetensors, the
    tokenizer of tokenizer_dir) to `out`; return `out`. On CUDA the weights are drawn on the GPU (seconds
    for billions of parameters) and then written."""
    import torch
    from transformers import AutoTokenizer, Phi3Config, Phi3ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    if len(tokenizer) > shape.vocab:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens, more than the model's vocabulary {shape.vocab}")
    config = Phi3Config(**shape_config(shape, layers, _tokenizer_ids(tokenizer)))
    torch.manual_seed(seed)
    torch_dtype = getattr(torch, dtype)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch_dtype)
    try:
        with torch.device(device):
            model = Phi3ForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.fill_(1.0)
            else:
                param.normal_(0.0, 0.02)
        model.lm_head.weight[len(tokenizer):].zero_()
        model.lm_head.weight[: len(tokenizer)].normal_(0.0, 0.15)  # legible, varied greedy output
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.to("cpu").save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    _write_marker(out, shape, layers, len(tokenizer), dtype, shared_from=None)
    del model
    return out


def derive_shallower(deep: Path, out: Path, layers: int) -> Path:
    """A model directory with `layers` layers whose weights are the first layers of `deep`'s file (linked,
    not copied): its own config.json, the same tokenizer."""
    config = json.loads((deep / "config.json").read_text())
    if layers > config["num_hidden_layers"]:
        raise ValueError(f"{deep} has {config['num_hidden_layers']} layers; cannot derive {layers}")
    out.mkdir(parents=True, exist_ok=True)
    config["num_hidden_layers"] = layers
    if isinstance(config.get("layer_types"), list):
        config["layer_types"] = config["layer_types"][:layers]
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for path in deep.iterdir():
        if path.name in ("config.json", MARKER):
            continue
        target = out / path.name
        if target.exists() or target.is_symlink():
            target.unlink()
        if path.suffix == ".safetensors" or path.name.endswith(".safetensors.index.json"):
            os.symlink(path.resolve(), target)
        elif path.is_file():
            shutil.copyfile(path, target)
    marker = json.loads((deep / MARKER).read_text())
    _write_marker(out, ModelShape(**marker["shape"]), layers, marker["tokenizer_size"], marker["dtype"],
                  shared_from=str(deep))
    return out


def _write_marker(out: Path, shape: ModelShape, layers: int, tokenizer_size: int, dtype: str,
                  shared_from: str | None) -> None:
    from dataclasses import asdict

    (out / MARKER).write_text(json.dumps({
        "shape": asdict(shape), "layers": layers, "tokenizer_size": tokenizer_size, "dtype": dtype,
        "weights": "random (normal, std 0.02)", "shared_from": shared_from,
    }, indent=2) + "\n")


def build_depths(root: Path, depths: list[int], tokenizer_dir: Path, *, shape: ModelShape = PHI4,
                 device: str = "cpu", dtype: str = "bfloat16") -> dict[int, Path]:
    """Models for every depth under root/phi4-shape-L<n>: the deepest built, the others derived from it."""
    depths = sorted(set(depths))
    deepest = depths[-1]
    out = {deepest: build_shape_model(root / f"phi4-shape-L{deepest}", deepest, tokenizer_dir, shape=shape,
                                      device=device, dtype=dtype)}
    for n in depths[:-1]:
        out[n] = derive_shallower(out[deepest], root / f"phi4-shape-L{n}", n)
    return out


def scaled_shape(vocab: int, *, divide: int = 1) -> ModelShape:
    """Phi-4's shape with another vocabulary (and optionally every width divided by `divide`, keeping the
    head count ratio): for CPU tests that must stay small."""
    return ModelShape(hidden=PHI4.hidden // divide, layers=PHI4.layers, heads=PHI4.heads // divide,
                      kv_heads=max(1, PHI4.kv_heads // divide), intermediate=PHI4.intermediate // divide,
                      vocab=vocab, tie_embeddings=False, name=f"phi-4 shape, vocab {vocab}"
                      + (f", widths / {divide}" if divide > 1 else ""))
