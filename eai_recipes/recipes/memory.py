"""The published memory model: how much GPU memory a profile's QLoRA training needs at its peak.

An estimate from the profile's settings and the model's shape, term by term, so that a reader can see where
the gigabytes go and a GPU check (`eai gpu-check`) can correct it with measured figures:

  weights      the decoder's linear layers in 4-bit NF4 (0.5 byte per parameter, plus the block scales:
               with double quantization about 0.127 bit per parameter more, blocksize 64)
  embeddings   the input embedding and the output layer (lm_head) stay 16-bit: bitsandbytes never
               quantizes them (2 bytes per parameter each; Phi-4 does not tie them)
  lora         the LoRA matrices in fp32 (LLaMA-Factory upcasts trainable parameters), their gradients and
               AdamW's two moments: 16 bytes per LoRA parameter
  activations  with gradient checkpointing, each layer keeps only its 16-bit input (batch x cutoff x hidden x
               2 bytes per layer), plus one layer's recomputed working set during backward (attention and
               MLP intermediates, 16-bit) and the dequantized 16-bit copy of the largest weight matrix;
               without checkpointing every layer keeps its working set
  logits       batch x cutoff x vocabulary in fp32: the upcast logits and their gradient (2 copies; the loss
               upcasts the 16-bit logits to fp32) plus the 16-bit logits themselves

The figure is `torch.cuda.max_memory_allocated` as a GPU check measures it: the CUDA context (~0.5 GB) and
the allocator's slack (reserved minus allocated) come on top; the calibration records both.

Shapes come from the model's published config.json (microsoft/phi-4: Phi3ForCausalLM, hidden 5120, 40
layers, 40 heads, 10 key-value heads, MLP 17920, vocabulary 100,352, max_position_embeddings 16384,
rope_theta 250000, untied embeddings) or from a local model directory's config.json.

Calibration: recipes/memory/calibration.yaml holds what a GPU check measured (peak memory fitted per layer
and extrapolated to the whole model), with the date and the GPU; it is empty until a check has run on a GPU
and someone committed the candidate file the check writes (runs/gpu-check/calibration.yaml).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError

GB = 1e9
GIB = 2**30
CALIBRATION_FILE = paths.RECIPES_DIR / "memory" / "calibration.yaml"

# Bytes per parameter of a 4-bit NF4 weight with double quantization: 4 bits + 8-bit absmax per 64 weights
# + (double quantization) fp32 scale per 256 absmax blocks ~= 4.127 bits.
NF4_BYTES = (4 + 8 / 64 + 32 / (64 * 256)) / 8
INT8_BYTES = 1 + 4 / 4096  # bitsandbytes LLM.int8: 1 byte + a row scale
LORA_BYTES = 4 + 4 + 8  # fp32 parameter, fp32 gradient, AdamW exp_avg + exp_avg_sq
LOGIT_FP32_COPIES = 2  # the upcast fp32 logits and their gradient (the 16-bit logits are counted apart)


@dataclass(frozen=True)
class ModelShape:
    """The dimensions that decide memory: those of a Phi3ForCausalLM config.json."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tie_embeddings: bool = False
    name: str = ""

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def linears(self) -> dict[str, tuple[int, int]]:
        """One decoder layer's linear layers as (in, out), named as in transformers' Phi3 code (fused qkv and
        gate_up projections): what LoRA's `lora_target: all` adapts and bitsandbytes quantizes."""
        kv = self.kv_heads * self.head_dim
        return {
            "qkv_proj": (self.hidden, self.hidden + 2 * kv),
            "o_proj": (self.hidden, self.hidden),
            "gate_up_proj": (self.hidden, 2 * self.intermediate),
            "down_proj": (self.intermediate, self.hidden),
        }

    def layer_params(self) -> int:
        return sum(i * o for i, o in self.linears().values()) + 2 * self.hidden  # + two RMSNorms

    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tie_embeddings else 2)

    def params(self) -> int:
        return self.layers * self.layer_params() + self.embedding_params() + self.hidden

    def with_layers(self, layers: int) -> ModelShape:
        return ModelShape(self.hidden, layers, self.heads, self.kv_heads, self.intermediate, self.vocab,
                          self.tie_embeddings, self.name)

    @classmethod
    def from_config(cls, config: dict[str, Any], name: str = "") -> ModelShape:
        try:
            return cls(hidden=int(config["hidden_size"]), layers=int(config["num_hidden_layers"]),
                       heads=int(config["num_attention_heads"]),
                       kv_heads=int(config.get("num_key_value_heads") or config["num_attention_heads"]),
                       intermediate=int(config["intermediate_size"]), vocab=int(config["vocab_size"]),
                       tie_embeddings=bool(config.get("tie_word_embeddings", False)), name=name)
        except KeyError as exc:
            raise EaiError(f"{name or 'config'}: config.json lacks {exc.args[0]!r}, so no memory estimate") from None


# microsoft/phi-4's config.json (checked against published copies of it; see recipes/README.md).
PHI4 = ModelShape(hidden=5120, layers=40, heads=40, kv_heads=10, intermediate=17920, vocab=100352,
                  tie_embeddings=False, name="microsoft/phi-4")
PHI4_CONFIG_EXTRA = {"max_position_embeddings": 16384, "original_max_position_embeddings": 16384,
                     "rope_theta": 250000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu"}
KNOWN_SHAPES = {"microsoft/phi-4": PHI4}


def shape_for(model: str, root: Path | None = None) -> ModelShape | None:
    """The shape of a profile's model: a known hub name, or a local directory's config.json; else None."""
    if model in KNOWN_SHAPES:
        return KNOWN_SHAPES[model]
    path = Path(model)
    if not path.is_absolute() and root is not None:
        path = root / path
    config = path / "config.json"
    if config.is_file():
        return ModelShape.from_config(json.loads(config.read_text()), name=model)
    return None


@dataclass
class Settings:
    """The profile values that decide memory (LLaMA-Factory's keys, with its defaults)."""

    batch: int = 1
    cutoff: int = 1024
    gradient_checkpointing: bool = True
    quantization_bit: int | None = 4
    lora_rank: int = 8
    lora_target_all: bool = True
    precision: str = "bf16"  # bf16 | fp16 | fp32
    zero3_shards: int = 1  # DeepSpeed ZeRO-3 spreads the weights over this many GPUs

    @classmethod
    def from_values(cls, values: dict[str, Any], env: dict[str, Any] | None = None) -> Settings:
        env = env or {}
        precision = "bf16" if values.get("bf16") else "fp16" if values.get("fp16") else "fp32"
        shards = 1
        if str(values.get("deepspeed", "")).startswith("zero3") or "zero3" in str(values.get("deepspeed", "")):
            try:
                shards = int(env.get("NNODES") or 1) * int(env.get("NPROC_PER_NODE") or 1)
            except (TypeError, ValueError):
                shards = 1
        target = values.get("lora_target", "all")
        return cls(
            batch=int(values.get("per_device_train_batch_size", 1)),
            cutoff=int(values.get("cutoff_len", 2048)),  # LLaMA-Factory's default cutoff_len
            gradient_checkpointing=not bool(values.get("disable_gradient_checkpointing", False)),
            quantization_bit=values.get("quantization_bit"),
            lora_rank=int(values.get("lora_rank", 8)),
            lora_target_all=target in ("all", None),
            precision=precision,
            zero3_shards=max(1, shards),
        )


@dataclass
class Estimate:
    """Peak GPU memory of QLoRA training, term by term, in bytes."""

    shape: ModelShape
    settings: Settings
    terms: dict[str, float] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.terms.values())

    @property
    def total_gb(self) -> float:
        return self.total / GB

    def lines(self) -> list[str]:
        return [f"{k:12s} {v / GB:6.2f} GB  {self.how[k]}" for k, v in self.terms.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"total_gb": round(self.total_gb, 3), "terms_gb": {k: round(v / GB, 3) for k, v in self.terms.items()},
                "how": self.how, "shape": asdict(self.shape), "settings": asdict(self.settings)}


def lora_params(shape: ModelShape, rank: int) -> int:
    return shape.layers * sum(rank * (i + o) for i, o in shape.linears().values())


def estimate(shape: ModelShape, settings: Settings) -> Estimate:
    """Peak `max_memory_allocated` of a LoRA/QLoRA training step, from the terms in the module docstring."""
    s, m = settings, shape
    act = 4 if s.precision == "fp32" else 2  # bytes per activation element
    wbytes = {4: NF4_BYTES, 8: INT8_BYTES}.get(s.quantization_bit or 0, act)
    wname = {4: "4-bit NF4 (+ double-quantized scales)", 8: "8-bit"}.get(s.quantization_bit or 0, f"{act}-byte")
    tokens = s.batch * s.cutoff
    body = m.layers * sum(i * o for i, o in m.linears().values())
    e = Estimate(shape, settings)
    e.terms["weights"] = body * wbytes / s.zero3_shards
    e.how["weights"] = (f"{body / 1e9:.2f}B decoder linear parameters x {wbytes:.3f} byte ({wname})"
                        + (f" / {s.zero3_shards} GPUs (ZeRO-3)" if s.zero3_shards > 1 else ""))
    emb = m.embedding_params() + m.layers * 2 * m.hidden + m.hidden
    e.terms["embeddings"] = emb * act / s.zero3_shards
    e.how["embeddings"] = (f"embedding + output layer {m.embedding_params() / 1e9:.2f}B parameters (and norms) "
                           f"x {act} bytes, never quantized")
    lp = lora_params(m, s.lora_rank)
    e.terms["lora"] = lp * LORA_BYTES
    e.how["lora"] = f"{lp / 1e6:.1f}M LoRA parameters (rank {s.lora_rank}) x 16 bytes (fp32 weight, grad, AdamW)"
    kv = m.kv_heads * m.head_dim
    working = tokens * (6 * m.hidden + 2 * kv + 4 * m.intermediate) * act  # q,k,v,attn,o,norms; gate,up,act,prod
    largest = max(i * o for i, o in m.linears().values()) * act if s.quantization_bit else 0
    if s.gradient_checkpointing:
        e.terms["activations"] = m.layers * tokens * m.hidden * act + working + largest
        e.how["activations"] = (f"checkpointed: {m.layers} layer inputs x {tokens} tokens x {m.hidden} x {act} B, "
                                f"+ one layer recomputed ({working / GB:.2f} GB), + dequantized largest weight")
    else:
        e.terms["activations"] = m.layers * working + largest
        e.how["activations"] = f"no checkpointing: {m.layers} layers x {working / GB:.2f} GB working set"
    e.terms["logits"] = tokens * m.vocab * (4 * LOGIT_FP32_COPIES + act)
    e.how["logits"] = (f"{s.batch} x {s.cutoff} x {m.vocab} logits: {act}-byte + fp32 upcast + its gradient")
    return e


def estimate_values(values: dict[str, Any], env: dict[str, Any] | None = None, *,
                    root: Path | None = None) -> Estimate | None:
    shape = shape_for(str(values.get("model_name_or_path", "")), root)
    if shape is None:
        return None
    return estimate(shape, Settings.from_values(values, env))


# ------------------------------------------------------------------------------------------- calibration


def empty_calibration() -> dict[str, Any]:
    return {"profiles": {}}


def load_calibration(path: Path = CALIBRATION_FILE) -> dict[str, Any]:
    """The measured figures per profile ({} until a GPU check has been committed). Each profile entry:
    date, gpu, peak_allocated_gb, peak_reserved_gb (extrapolated to the whole model), tokens_per_s,
    layers_measured, estimate_gb (the model's figure at the time), and the fit."""
    if not path.is_file():
        return empty_calibration()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EaiError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles") or {}, dict):
        raise EaiError(f"{path}: expected a mapping with key 'profiles' (profile name -> measured figures)")
    data["profiles"] = data.get("profiles") or {}
    for name, entry in data["profiles"].items():
        missing = [k for k in ("date", "gpu", "peak_allocated_gb") if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise EaiError(f"{path}: profile {name!r} lacks {missing}; a GPU check writes date, gpu and "
                           "peak_allocated_gb for each profile it measured")
    return data


def calibration_note(name: str, calibration: dict[str, Any]) -> str:
    entry = calibration.get("profiles", {}).get(name)
    if not entry:
        return "not calibrated (no GPU check yet: see recipes/README.md, GPU acceptance check)"
    reserved = f", reserved {entry['peak_reserved_gb']:.1f}" if entry.get("peak_reserved_gb") is not None else ""
    return (f"calibrated {entry['date']} on {entry['gpu']}: measured {entry['peak_allocated_gb']:.1f} GB"
            f"{reserved} (fitted over {entry.get('layers_measured', '?')} layers, extrapolated)")
