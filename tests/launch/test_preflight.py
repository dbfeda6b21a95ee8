"""Preflight: llamafactory-cli, datasets, model, GPU and optional packages checked before anything loads."""

from __future__ import annotations

import json
import sys

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import check_datasets, check_gpu, check_model, check_packages, llamafactory_cli
from eai_recipes.recipes.profiles import load_profile


def test_missing_llamafactory_cli_says_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EaiError, match="make setup"):
        llamafactory_cli()



def test_datasets_must_be_built_and_registered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values = {"dataset_dir": "data", "dataset": "eai_train", "eval_dataset": "eai_val"}
    with pytest.raises(EaiError, match="eai data build"):
        check_datasets(values, ("dataset",))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps({"eai_train": {"file_name": "eai_train.json"}}))
    with pytest.raises(EaiError, match="eai_train.json, which is missing"):
        check_datasets(values, ("dataset",))
    (tmp_path / "data" / "eai_train.json").write_text("[]")
    check_datasets(values, ("dataset",))
    with pytest.raises(EaiError, match="'eai_val' is not in"):
        check_datasets(values, ("eval_dataset",))



def test_missing_local_model_points_at_tiny_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EaiError, match="eai tiny-model"):
        check_model({"model_name_or_path": "models/tiny-phi4"})
    check_model({"model_name_or_path": "microsoft/phi-4"})  # a hub id is left to LLaMA-Factory



def test_gpu_profile_fails_fast_on_cpu_pointing_at_the_demo():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(EaiError, match="make demo"):
        check_gpu(load_profile("paper"))



def test_missing_optional_packages_are_named_with_the_pip_command():
    import importlib.util

    if not importlib.util.find_spec("ray"):
        with pytest.raises(EaiError, match=r"USE_RAY=1 needs the ray package: pip install 'ray\[train\]'"):
            check_packages({}, {"USE_RAY": "1"})
    if not importlib.util.find_spec("swanlab"):
        with pytest.raises(EaiError, match="pip install swanlab"):
            check_packages({"use_swanlab": True}, {})
    if not importlib.util.find_spec("deepspeed"):
        with pytest.raises(EaiError, match="pip install deepspeed"):
            check_packages({"deepspeed": "runs/x/deepspeed.json"}, {})
    check_packages({"report_to": "tensorboard"}, {})  # installed with the project



def test_flash_attention_without_its_package_is_a_warning(capsys):
    import importlib.util

    if importlib.util.find_spec("flash_attn"):
        pytest.skip("flash-attn is installed here")
    check_packages({"flash_attn": "fa2"}, {})
    assert "pip install flash-attn" in capsys.readouterr().err

