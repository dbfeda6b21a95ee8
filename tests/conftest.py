"""Shared fixtures: the tiny offline model, a project working directory with the offline datasets, and one
trained tiny QLoRA run that the predict, export and serving tests reuse (training once per session)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EAI = [sys.executable, "-m", "eai_recipes.cli"]


def run_eai(*args: str, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `eai` command in a working directory, as a user would."""
    proc = subprocess.run([*EAI, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"eai {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from eai_recipes.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-phi4")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory, tiny_model) -> Path:
    """A working directory laid out like the project root after `eai tiny-model` and `eai data build --offline`."""
    d = tmp_path_factory.mktemp("work")
    shutil.copytree(tiny_model, d / "models" / "tiny-phi4")
    run_eai("data", "build", "--offline", "--out", "data", cwd=d)
    return d


@pytest.fixture(scope="session")
def demo_run(workdir) -> tuple[Path, subprocess.CompletedProcess]:
    """`eai demo` run once in `workdir`: real llamafactory-cli QLoRA training, predict (base and adapter)
    and export of the tiny model. Returns runs/itest/ and the finished process."""
    proc = run_eai("demo", "--run-name", "itest", cwd=workdir)
    return workdir / "runs" / "itest", proc


@pytest.fixture(scope="session")
def trained_run(demo_run) -> Path:
    """runs/itest/ in `workdir`: adapter/, predict/{base,adapter}/, merged/, eval/ from the real pipeline."""
    return demo_run[0]


def load_tiny_chat_model(tiny_model: Path, home: Path, **generation):
    """The tiny base model through LLaMA-Factory's ChatModel, as `eai serve --profile tiny` loads it (from a home
    whose models/tiny-phi4 links to the built model), with generation settings changed by keyword. Returns the
    chat model and the serving profile it was loaded for."""
    import dataclasses

    from eai_recipes.serving.model import load_chat_model, plan_model
    from eai_recipes.serving.profile import load_serving_profile

    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "models" / "tiny-phi4").symlink_to(Path(tiny_model).resolve(), target_is_directory=True)
    cwd = os.getcwd()
    os.chdir(home)
    try:
        profile = load_serving_profile("tiny")
        if generation:
            profile = dataclasses.replace(profile, generation=dataclasses.replace(profile.generation, **generation))
        return load_chat_model(plan_model(profile, source="base"), profile.generation.timeout_s), profile
    finally:
        os.chdir(cwd)
