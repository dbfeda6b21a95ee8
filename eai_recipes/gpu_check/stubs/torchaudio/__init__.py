"""A stand-in for torchaudio, used by `eai gpu-check` only when the real one cannot be imported on the GPU
machine (a wheel built for another CUDA than its torch). LLaMA-Factory 0.9.5's mm_plugin imports torchaudio
at import time but calls it only for audio inputs, which EAI never has; any use here fails loudly."""

__version__ = "0.0.0+eai-gpu-check-stub"


def __getattr__(name):
    raise ImportError(f"torchaudio.{name}: this is eai gpu-check's stand-in (the real torchaudio did not import); "
                      "audio inputs are not supported in this run")
