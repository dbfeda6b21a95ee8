#!/usr/bin/env bash
# `make setup`: create .venv (Python >= 3.11) and install eai-recipes with LLaMA-Factory 0.9.5.
#  - Without CUDA: pins torch/torchaudio/torchvision 2.11/2.11/0.26, a set that imports on CPU
#    (LLaMA-Factory imports torchaudio at start-up; the CPU-only torch builds can't load PyPI's torchaudio).
#  - With CUDA (Colab): the venv sees the system's preinstalled CUDA torch and leaves it alone.
#  - Without CUDA the install goes through uv (pip-installed into the venv first) where it can: the same set, faster.
#  - Idempotent: a second run with unchanged inputs only checks a stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
CPU_TORCH=(torch==2.11.0 torchaudio==2.11.0 torchvision==0.26.0)
UV=uv==0.13.10  # the version measured in bench/README.md, "Setup"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python >= 3.11 is needed; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=python3.11." >&2
  exit 1
fi

has_cuda=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then has_cuda=1; fi

stamp="$VENV/.eai-setup-stamp"
want="$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1) cuda=$has_cuda"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/eai" ]; then
  echo "setup: $VENV is up to date (delete $stamp to force a reinstall)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if [ "$has_cuda" = 1 ]; then
    echo "setup: CUDA found: creating $VENV over the system's packages (keeps the preinstalled CUDA torch)"
    "$PYTHON" -m venv --system-site-packages "$VENV"
  else
    echo "setup: no CUDA: creating $VENV with a CPU-importable torch set (${CPU_TORCH[*]})"
    "$PYTHON" -m venv "$VENV"
  fi
fi

pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off)
if [ "$has_cuda" = 1 ] && "$VENV/bin/python" -c 'import torch, torchaudio' 2>/dev/null; then
  # pip, not uv: uv ignores --system-site-packages (astral-sh/uv#4466) and would replace the system's CUDA torch.
  "${pip[@]}" -c constraints.txt -e ".[test]"
else
  # uv downloads in parallel: 165 s against pip's 283 s for this set on 2 cores (bench/README.md, "Setup").
  # Where uv cannot be installed, pip does the same install.
  if "${pip[@]}" -q "$UV" && "$VENV/bin/uv" --version >/dev/null 2>&1; then
    "$VENV/bin/uv" pip install --python "$VENV/bin/python" -c constraints.txt "${CPU_TORCH[@]}" -e ".[test]"
  else
    "${pip[@]}" -c constraints.txt "${CPU_TORCH[@]}" -e ".[test]"
  fi
fi
"$VENV/bin/python" -c 'import llamafactory, torchaudio, eai_recipes' # fail here, not in the first run
echo "$want" > "$stamp"
echo "setup: done. Next: make demo (or: source $VENV/bin/activate && eai --help)"
