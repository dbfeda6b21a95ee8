from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from eai_recipes import recipes
from eai_recipes.errors import EaiError


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("profile", recipes.available_profiles())
def test_every_profile_renders_flat_yaml_with_its_command_and_validates(in_tmp, profile):
    rendered = recipes.render(profile)
    assert set(rendered.files) == set(recipes.STAGES)
    for stage, path in rendered.files.items():
        text = path.read_text()
        first_lines = "\n".join(text.splitlines()[:3])
        assert " ".join(rendered.command(stage)) in first_lines
        config = yaml.safe_load(text)
        assert all(not isinstance(v, (dict, list)) for v in config.values()), "recipe must be flat"
        # No machine paths: everything is relative to the project root.
        assert not re.search(r":\s+/", text), text
    recipes.validate_rendered(rendered)


def test_paper_profile_holds_the_papers_hyperparameters(in_tmp):
    train = yaml.safe_load(recipes.render("paper").files["train"].read_text())
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
    r = recipes.render("tiny")
    base = yaml.safe_load(r.files["predict_base"].read_text())
    adapter = yaml.safe_load(r.files["predict_adapter"].read_text())
    assert adapter.pop("adapter_name_or_path") == "runs/tiny/adapter"
    assert base.pop("output_dir").endswith("predict/base") and adapter.pop("output_dir").endswith("predict/adapter")
    assert base == adapter


def test_set_overrides_a_value_and_is_recorded_in_the_header(in_tmp):
    r = recipes.render("tiny", recipes.parse_sets(["learning_rate=1e-4", "lora_rank=16"]), run_name="sweep1")
    text = r.files["train"].read_text()
    config = yaml.safe_load(text)
    assert config["learning_rate"] == 1e-4 and config["lora_rank"] == 16
    assert "--set learning_rate=0.0001 lora_rank=16" in text
    assert r.run_dir == Path("runs/sweep1")


def test_unknown_key_is_named_with_a_suggestion(in_tmp):
    r = recipes.render("tiny", recipes.parse_sets(["lora_rnak=16"]))
    assert "lora_rnak: 16" in r.files["train"].read_text()  # lands in the file, under ### overrides
    with pytest.raises(EaiError) as err:
        recipes.validate_rendered(r, ["train"])
    msg = str(err.value)
    assert "train.yaml" in msg and "unknown key 'lora_rnak'" in msg and "lora_rank" in msg


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("learning_rate=fast", ["learning_rate", "a number"]),
        ("bf16=maybe", ["bf16", "true or false"]),
        ("lora_rank=8.5", ["lora_rank", "an integer"]),
        ("stage=dance", ["stage", "one of", "sft"]),
    ],
)
def test_wrong_type_is_named_with_what_is_allowed(in_tmp, setting, words):
    r = recipes.render("tiny", recipes.parse_sets([setting]))
    with pytest.raises(EaiError) as err:
        recipes.validate_rendered(r, ["train"])
    for word in words:
        assert word in str(err.value)


def test_value_llamafactory_refuses_is_reported(in_tmp):
    # LLaMA-Factory only quantizes LoRA/OFT fine-tuning.
    r = recipes.render("tiny", recipes.parse_sets(["finetuning_type=full"]))
    with pytest.raises(EaiError, match="LLaMA-Factory refuses"):
        recipes.validate_rendered(r, ["train"])


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(EaiError) as err:
        recipes.load_profile("papper")
    assert "papper" in str(err.value) and "paper" in str(err.value) and "tiny" in str(err.value)


@pytest.mark.parametrize("bad", ["learning_rate", "=3", ""])
def test_set_without_key_value_is_refused(bad):
    with pytest.raises(EaiError, match="key=value"):
        recipes.parse_sets([bad])


def test_set_values_are_typed():
    assert recipes.parse_sets(["a=5e-5", "b=true", "c=8", "d=hello"]) == {"a": 5e-5, "b": True, "c": 8, "d": "hello"}


def test_validate_command_checks_a_directory_recursively(in_tmp, capsys):
    from eai_recipes.cli import main

    good = recipes.render("tiny")
    bad = in_tmp / "nested" / "deeper" / "typo.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(good.files["train"].read_text().replace("lora_rank:", "lora_rnak:"))
    assert main(["recipes", "validate", str(good.run_dir)]) == 0
    assert main(["recipes", "validate", "nested"]) == 1
    assert "unknown key 'lora_rnak'" in capsys.readouterr().err


def test_bad_profile_file_names_file_and_key(tmp_path):
    (tmp_path / "odd.yaml").write_text("recipe: eai\nvalues: [1, 2]\n")
    with pytest.raises(EaiError) as err:
        recipes.load_profile("odd", profiles_dir=tmp_path)
    assert "odd.yaml" in str(err.value) and "'values'" in str(err.value)
