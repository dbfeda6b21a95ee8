"""From a few shallow Phi-4-shaped runs to the whole model: a least-squares line per profile through
(layers, figure), extrapolated to Phi-4's 40 layers, and the comparison with what each profile promises
(`gpu_memory_gb`) and what the GPU it names holds.

Memory grows linearly with depth (each layer adds its 4-bit weights, LoRA state and checkpointed input; the
embeddings, output layer and logits are the intercept), so a line fits it; time per token grows linearly too,
so tokens per second are extrapolated as 1 / (a line through seconds per token).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eai_recipes.recipes.memory import GIB

TARGET_LAYERS = 40

# Memory as the driver reports it (nvidia-smi's total, GiB), for the GPUs that profiles name. Colab's T4 shows
# 15360 MiB, the L4 23034 MiB; the smaller A100 (40 GB) is the one a profile naming "A100" must fit.
GPU_MEMORY_GIB = {
    "T4": 15.0, "L4": 22.5, "V100": 16.0, "P100": 16.0, "A10": 22.5, "A10G": 22.5,
    "A100": 40.0, "A800": 40.0, "H100": 79.6, "H800": 79.6, "H200": 139.8,
}
CUDA_CONTEXT_GIB = 0.5  # the CUDA context and kernels: outside max_memory_reserved, inside nvidia-smi's figure


@dataclass
class Line:
    slope: float
    intercept: float
    points: int
    max_residual: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


def linear_fit(xs: list[float], ys: list[float]) -> Line:
    """Ordinary least squares y = intercept + slope * x. Needs two distinct x at least."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if len(set(xs)) < 2:
        raise ValueError(f"a line needs two different layer counts at least, got {sorted(set(xs))}")
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    residual = max(abs(y - (intercept + slope * x)) for x, y in zip(xs, ys))
    return Line(slope, intercept, n, residual)


def extrapolate_memory(points: dict[int, float], target: int = TARGET_LAYERS) -> dict[str, Any]:
    """points: layers -> bytes. Returns the line in GiB per layer and the figure at `target` layers."""
    xs = sorted(points)
    line = linear_fit([float(x) for x in xs], [points[x] / GIB for x in xs])
    return {"per_layer_gib": round(line.slope, 4), "base_gib": round(line.intercept, 3),
            "at_target_gib": round(line.at(target), 2), "target_layers": target, "layers": xs,
            "max_residual_gib": round(line.max_residual, 3)}


def extrapolate_speed(points: dict[int, float], target: int = TARGET_LAYERS) -> dict[str, Any]:
    """points: layers -> tokens per second. Seconds per token are linear in depth; invert at the target."""
    xs = sorted(points)
    line = linear_fit([float(x) for x in xs], [1.0 / points[x] for x in xs])
    seconds = line.at(target)
    return {"ms_per_ktoken_per_layer": round(line.slope * 1e6, 3), "at_target_tokens_per_s":
            round(1.0 / seconds, 1) if seconds > 0 else None, "target_layers": target, "layers": xs}


def gpu_capacity_gib(gpu_names: list[str]) -> tuple[str, float] | None:
    """The first GPU a profile names that we know, with its memory."""
    for name in gpu_names:
        key = name.upper()
        if key in GPU_MEMORY_GIB:
            return name, GPU_MEMORY_GIB[key]
    return None


@dataclass
class Verdict:
    profile: str
    phase: str  # train | predict | dpo
    measured_gib: float  # extrapolated max_memory_allocated at 40 layers
    reserved_gib: float | None
    profile_gb: float | None  # the profile's gpu_memory_gb
    gpu: str | None
    gpu_gib: float | None
    estimate_gb: float | None  # the memory model's figure
    fits_gpu: bool | None
    within_profile_figure: bool | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(profile: str, phase: str, allocated: dict[str, Any], reserved: dict[str, Any] | None, *,
            profile_gb: float | None, gpus: list[str], estimate_gb: float | None) -> Verdict:
    """Does the extrapolated peak fit the GPU the profile names, and is it within the profile's figure?
    Fitting the GPU counts what the allocator reserves (its slack is real memory) plus the CUDA context."""
    measured = allocated["at_target_gib"]
    held = reserved["at_target_gib"] if reserved else None
    cap = gpu_capacity_gib(gpus)
    need = (held if held is not None else measured) + CUDA_CONTEXT_GIB
    fits = None if cap is None else need <= cap[1]
    within = None if profile_gb is None else measured <= profile_gb
    parts = []
    if cap is not None:
        parts.append(f"needs ~{need:.1f} GiB with the CUDA context, {cap[0]} has {cap[1]:g} GiB: "
                     + ("fits" if fits else "does NOT fit"))
    else:
        parts.append("names no GPU with known memory")
    if profile_gb is not None:
        parts.append(f"profile says ~{profile_gb:g} GB: " + ("ok" if within else f"too low, measured {measured:.1f}"))
    if estimate_gb is not None:
        parts.append(f"memory model said {estimate_gb:.1f} GB")
    return Verdict(profile, phase, measured, held, profile_gb, cap[0] if cap else None, cap[1] if cap else None,
                   estimate_gb, fits, within, "; ".join(parts))
