"""What this machine has: a CUDA GPU or not, and which one (imports torch only when asked)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gb: float
    capability: tuple[int, int]

    @property
    def bf16(self) -> bool:
        return self.capability >= (8, 0)  # Ampere and newer


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def detect_gpu() -> Gpu | None:
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return Gpu(props.name, props.total_memory / 2**30, (props.major, props.minor))
