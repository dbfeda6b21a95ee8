"""The GPU check's memory probe, loaded by Python's `site` at start-up in the children the check starts
(this directory is put first on their PYTHONPATH). Inert unless EAI_GPU_PROBE names a file: then, when the
process ends, it writes there what PyTorch's caching allocator saw over the whole run (model loading, every
step, saving): torch.cuda.max_memory_allocated and max_memory_reserved, with the device's name and size.

Why a probe at exit rather than a TrainerCallback: the check runs the real `llamafactory-cli` as a child,
unchanged; a callback would need our own entry point into LLaMA-Factory's run_exp. LLaMA-Factory 0.9.5 logs
no memory figures of its own. The peak over the whole process is the figure that decides out-of-memory.

Any other sitecustomize on the path (a distribution's) is still run, after this one is set up.
"""

import atexit
import json
import os
import sys
import time

_OUT = os.environ.get("EAI_GPU_PROBE")
_STARTED = time.time()


def _dump():
    data = {"seconds": round(time.time() - _STARTED, 2), "argv": sys.argv[:3]}
    try:
        torch = sys.modules.get("torch")
        if torch is None:
            data["cuda"] = False
            data["note"] = "torch was never imported"
        elif not torch.cuda.is_available() or not torch.cuda.is_initialized():
            data["cuda"] = False
        else:
            dev = torch.cuda.current_device()
            props = torch.cuda.get_device_properties(dev)
            data.update(cuda=True, device=props.name, device_total_bytes=props.total_memory,
                        capability=f"{props.major}.{props.minor}",
                        max_memory_allocated=torch.cuda.max_memory_allocated(dev),
                        max_memory_reserved=torch.cuda.max_memory_reserved(dev))
    except Exception as exc:  # a probe must never change how the child ends
        data["error"] = f"{type(exc).__name__}: {exc}"
    try:
        with open(_OUT, "w") as f:
            json.dump(data, f)
    except OSError:
        pass


if _OUT:
    atexit.register(_dump)


def _chain():
    """Run the next sitecustomize on sys.path, if any, as if this one did not exist."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.origin is None or os.path.abspath(spec.origin) == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        print(f"eai gpu-check probe: the other sitecustomize ({spec.origin}) failed: {exc}", file=sys.stderr)


_chain()
