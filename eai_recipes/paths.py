"""Where the project's files live.

Everything is relative to the project root so that rendered recipes hold no machine path: commands run
from the root, and LLaMA-Factory resolves `dataset_dir: data` and `runs/...` against it.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout the package was installed from (editable install), or EAI_HOME if set."""
    env = os.environ.get("EAI_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


ROOT = project_root()
RECIPES_DIR = ROOT / "recipes"
TEMPLATES_DIR = RECIPES_DIR / "templates"
PROFILES_DIR = RECIPES_DIR / "profiles"
DATASET_INFO_DIR = ROOT / "dataset_info"
# Outputs, relative so they can be written into recipes as they are.
DATA_DIR = Path("data")
RUNS_DIR = Path("runs")
MODELS_DIR = Path("models")
TINY_MODEL_DIR = MODELS_DIR / "tiny-phi4"
