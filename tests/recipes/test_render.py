"""Rendering: flat, complete, relative YAMLs per stage with their command on top."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.recipes.profiles import available_profiles, parse_sets
from eai_recipes.recipes.render import STAGES, render
from eai_recipes.recipes.sweeps import expand as expand_sweep
from eai_recipes.recipes.validate import validate_rendered

ROOT = paths.ROOT
ABSOLUTE = re.compile(r"^(/|~|[A-Za-z]:[\\/])")
SECRET_VALUE = re.compile(r"(hf_[A-Za-z0-9]{10,}|sk-[A-Za-z0-9]{10,}|ghp_[A-Za-z0-9]{10,}|xox[bp]-)")
SECRET_KEY = re.compile(r"(token|api_key|apikey|secret|password|passwd)$", re.IGNORECASE)


@pytest.mark.parametrize("profile", available_profiles())
def test_every_profile_renders_flat_yaml_with_its_command_and_validates(in_tmp, profile):
    rendered = render(profile)
    assert set(rendered.files) == set(STAGES)
    for stage, path in rendered.files.items():
        text = path.read_text()
        first_lines = "\n".join(text.splitlines()[:3])
        assert " ".join(rendered.command(stage)) in first_lines
        config = yaml.safe_load(text)
        assert all(not isinstance(v, (dict, list)) for v in config.values()), "recipe must be flat"
        # No machine paths: everything is relative to the project root.
        assert not re.search(r":\s+/", text), text
    validate_rendered(rendered)


def test_paper_profile_holds_the_papers_hyperparameters(in_tmp):
    train = yaml.safe_load(render("paper").files["train"].read_text())
    expected = {
        "model_name_or_path": "microsoft/phi-4", "template": "phi4", "quantization_bit": 4,
        "quantization_type": "nf4", "double_quantization": True, "num_train_epochs": 3.0, "bf16": True,
        "learning_rate": 5e-5, "per_device_train_batch_size": 2, "gradient_accumulation_steps": 8,
        "lora_rank": 8, "lora_alpha": 16, "lora_dropout": 0.1, "lr_scheduler_type": "cosine",
        "warmup_steps": 50, "cutoff_len": 1024, "logging_steps": 100, "save_steps": 500, "plot_loss": True,
        "optim": "adamw_torch", "stage": "sft", "finetuning_type": "lora",
    }
    assert {k: train[k] for k in expected} == expected


def test_predict_recipes_differ_only_by_the_adapter(in_tmp):
    r = render("tiny")
    base = yaml.safe_load(r.files["predict_base"].read_text())
    adapter = yaml.safe_load(r.files["predict_adapter"].read_text())
    assert adapter.pop("adapter_name_or_path") == "runs/tiny/adapter"
    assert base.pop("output_dir").endswith("predict/base") and adapter.pop("output_dir").endswith("predict/adapter")
    assert base == adapter


def test_set_overrides_a_value_and_is_recorded_in_the_header(in_tmp):
    r = render("tiny", parse_sets(["learning_rate=1e-4", "lora_rank=16"]), run_name="sweep1")
    text = r.files["train"].read_text()
    config = yaml.safe_load(text)
    assert config["learning_rate"] == 1e-4 and config["lora_rank"] == 16
    assert "--set learning_rate=0.0001 lora_rank=16" in text
    assert r.run_dir == Path("runs/sweep1")


def test_an_absolute_out_inside_the_project_is_rendered_relative(in_tmp, capsys):
    from eai_recipes.cli import main

    assert main(["recipes", "render", "--profile", "tiny", "--out", str(in_tmp / "elsewhere"), "--no-validate"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert "llamafactory-cli train elsewhere/tiny/train.yaml" in captured.out
    texts = _rendered_texts(in_tmp / "elsewhere")
    assert len(texts) == len(STAGES)
    assert not any(str(in_tmp) in text for text in texts.values())
    assert yaml.safe_load(texts[in_tmp / "elsewhere" / "tiny" / "export.yaml"])["export_dir"] == "elsewhere/tiny/merged"


def test_an_absolute_out_outside_the_project_warns_once(tmp_path, monkeypatch, capsys):
    from eai_recipes.cli import main

    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    out = tmp_path / "scratch"
    assert main(["recipes", "render", "--profile", "tiny", "--out", str(out), "--no-validate"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert f"{out} is outside the current directory" in err and "only run on this machine" in err
    adapter = yaml.safe_load((out / "tiny" / "predict_adapter.yaml").read_text())["adapter_name_or_path"]
    assert adapter == f"{out.as_posix()}/tiny/adapter"  # rendered as asked, and said so


def test_staged_files_leave_the_run_directory_alone_until_committed(in_tmp):
    r = render("multi-gpu", stage_in=in_tmp / "scratch")
    assert not (in_tmp / "runs").exists()
    assert r.files["train"] == Path("runs/multi-gpu/train.yaml") and r.path_of("train").parent == in_tmp / "scratch"
    assert r.config("train")["deepspeed"] == "runs/multi-gpu/deepspeed.json"
    validate_rendered(r)  # the DeepSpeed JSON is read from the scratch copy
    r.commit()
    assert r.staged is None and r.path_of("train") == r.files["train"]
    assert sorted(p.name for p in r.run_dir.iterdir()) == sorted(
        ["deepspeed.json", *(f"{stage}.yaml" for stage in STAGES)])
    assert "llamafactory-cli train runs/multi-gpu/train.yaml" in r.files["train"].read_text()




def test_auto_without_a_gpu_points_at_the_demo(in_tmp):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(EaiError, match="no CUDA GPU.*make demo"):
        render("auto")


@pytest.mark.parametrize("name", ["my run", "../outside", "a/../../b", ""])
def test_run_names_that_would_break_a_path_or_torchrun_are_refused(in_tmp, name):
    with pytest.raises(EaiError, match="run name"):
        render("tiny", run_name=name or "/")


def _rendered_texts(root: Path) -> dict[Path, str]:
    return {p: p.read_text() for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".json")}


def test_no_rendered_file_holds_a_machine_path_or_a_secret(in_tmp, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyz")  # the environment must not leak in
    for name in available_profiles():
        render(name)
    for path in sorted((ROOT / "recipes" / "sweeps").rglob("*.yaml")):
        expand_sweep(path)
    texts = _rendered_texts(in_tmp / "runs")
    assert len([p for p in texts if p.name == "train.yaml"]) >= len(available_profiles()) + 2
    machine = [str(in_tmp), str(ROOT), str(Path.home())]
    for path, text in texts.items():
        assert not any(m in text for m in machine), path
        assert not SECRET_VALUE.search(text), path
        if path.suffix == ".yaml":
            for key, value in yaml.safe_load(text).items():
                assert not (isinstance(value, str) and ABSOLUTE.match(value)), (path, key, value)
                assert not SECRET_KEY.search(key), (path, key)
