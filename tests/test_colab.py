"""The Colab notebook does the README's commands (make setup, make train) and nothing hidden."""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "colab_train.ipynb"


def _code_lines() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["nbformat"] == 4 and nb["metadata"]["accelerator"] == "GPU"
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "no stale outputs"
            lines += [line.rstrip("\n") for line in cell["source"]]
    return lines


def test_notebook_runs_only_setup_and_train_with_optional_drive():
    shell = [line.strip() for line in _code_lines() if line.strip().startswith(("!", "%"))]
    assert shell == ["!nvidia-smi -L", "!git clone {REPO_URL} eai-recipes", "%cd eai-recipes", "!make setup",
                     "!make train {RUNS_ON}"]
    python = [line.strip() for line in _code_lines() if line.strip() and not line.strip().startswith(("!", "%"))]
    allowed = re.compile(r"^(#.*|USE_DRIVE = (True|False)\b.*|DRIVE_RUNS = \"/content/drive/.*\"|if USE_DRIVE:|"
                         r"from google\.colab import drive|drive\.mount\(\"/content/drive\"\)|REPO_URL = \".*\".*|"
                         r"RUNS_ON = f\"RUNS_ON=\{DRIVE_RUNS\}\" if USE_DRIVE else \"\")$")
    assert all(allowed.match(line) for line in python), [line for line in python if not allowed.match(line)]
    text = NOTEBOOK.read_text()
    assert "pip install" not in text and "token" not in text.lower()
