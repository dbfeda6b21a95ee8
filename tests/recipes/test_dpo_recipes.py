"""The preference pass as a recipe: recipes/eai_dpo.yaml chained onto an SFT run with --from-run, its header
saying what the reference model is, ORPO as a --set, validation across every profile, the sweep."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.recipes.profiles import available_profiles, load_profile
from eai_recipes.recipes.render import CHAIN_STAGES, STAGES, render
from eai_recipes.recipes.sweeps import expand as expand_sweep


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dpo_starts_from_the_sft_adapter_and_the_reference_is_the_sft_model(in_tmp):
    r = render("tiny", recipe="eai_dpo", from_run="demo", run_name="demo-dpo")
    assert set(r.files) == set(STAGES) | set(CHAIN_STAGES)
    train = r.config("train")
    assert train["stage"] == "dpo" and train["pref_loss"] == "sigmoid" and train["dataset"] == "eai_pref"
    assert train["adapter_name_or_path"] == "runs/demo/adapter"  # the policy's start
    assert train["ref_model"] == train["model_name_or_path"] == "models/tiny-phi4"
    assert train["ref_model_adapters"] == "runs/demo/adapter"  # the reference: base + SFT adapter
    assert train["ref_model_quantization_bit"] == train["quantization_bit"] == 4
    header = r.files["train"].read_text().split("### model")[0]
    assert "Reference model: the SFT model" in header and "ref_model_adapters runs/demo/adapter" in header
    assert "--from-run demo --recipe eai_dpo" in header
    assert r.sources["ref_model_adapters"] == "--from-run demo"
    # Predictions: the SFT validation set, with each adapter; the crisis prompts with both adapters.
    assert r.config("predict_adapter")["stage"] == "sft"
    assert r.config("predict_adapter")["eval_dataset"] == r.config("predict_sft")["eval_dataset"] == "eai_val"
    assert r.config("predict_sft")["adapter_name_or_path"] == "runs/demo/adapter"
    assert r.config("predict_adapter")["adapter_name_or_path"] == "runs/demo-dpo/adapter"
    assert r.config("predict_crisis_adapter")["eval_dataset"] == "eai_crisis"
    assert r.config("predict_crisis_sft")["output_dir"] == "runs/demo-dpo/predict-crisis/sft"
    assert r.config("export")["adapter_name_or_path"] == "runs/demo-dpo/adapter"  # SFT + DPO in one LoRA


def test_orpo_is_a_set_and_has_no_reference_model(in_tmp):
    r = render("tiny", {"pref_loss": "orpo"}, recipe="eai_dpo", from_run="demo", run_name="orpo")
    train = r.config("train")
    assert train["pref_loss"] == "orpo" and train["adapter_name_or_path"] == "runs/demo/adapter"
    assert not {"ref_model", "ref_model_adapters"} & set(train)
    assert "Reference model: none (orpo is reference-free)" in r.files["train"].read_text()


def test_the_sft_recipe_renders_as_before(in_tmp):
    r = render("tiny")
    assert set(r.files) == set(STAGES)
    train = r.config("train")
    assert train["stage"] == "sft" and not {"adapter_name_or_path", "ref_model", "pref_loss"} & set(train)
    assert "Preference pass" not in r.files["train"].read_text()
    assert r.config("predict_adapter")["eval_dataset"] == "eai_val"


def test_from_run_and_a_set_of_the_same_key_clash(in_tmp):
    with pytest.raises(EaiError, match="--set ref_model: --from-run sets it"):
        render("tiny", {"ref_model": "x"}, recipe="eai_dpo", from_run="demo")


def test_an_unknown_recipe_names_the_available_ones(in_tmp):
    with pytest.raises(EaiError) as err:
        render("tiny", recipe="eai_dpoo")
    assert "recipe 'eai_dpoo' not found" in str(err.value) and "eai_dpo" in str(err.value)


def test_every_profile_states_the_extra_memory_of_dpo_and_recipes_list_shows_it(capsys):
    from eai_recipes.cli import main

    gpu = [p for p in available_profiles() if load_profile(p).requires_gpu]
    assert gpu and all(load_profile(p).dpo_extra_memory_gb for p in gpu)
    assert main(["recipes", "list"]) == 0
    out = capsys.readouterr().out
    for name in available_profiles():
        assert f"eai train --profile {name} --recipe eai_dpo --from-run <sft run>" in out
    a100 = load_profile("a100")
    assert f"+~{a100.dpo_extra_memory_gb:g} GB per GPU" in out


def test_recipes_validate_covers_the_dpo_recipe_for_every_profile():
    from eai_recipes.recipes.check import validate_any

    kind, notes = validate_any(paths.RECIPES_DIR / "eai_dpo.yaml")
    assert kind == "recipe"
    assert notes == [f"with --recipe eai_dpo through every profile: {', '.join(available_profiles())}"]


def test_a_bad_dpo_value_fails_validation_naming_the_key_and_allowed(in_tmp):
    from eai_recipes.recipes.validate import validate_rendered

    r = render("tiny", {"pref_loss": "sigmod"}, recipe="eai_dpo", from_run="demo")
    with pytest.raises(EaiError) as err:
        validate_rendered(r)
    message = str(err.value)
    assert "pref_loss" in message and "set in --set" in message and "sigmoid" in message and "orpo" in message


def test_the_beta_sweep_expands_to_two_chained_points(in_tmp):
    path = paths.RECIPES_DIR / "sweeps" / "tiny_dpo_beta.yaml"
    points = expand_sweep(path, staging=in_tmp / "stage")
    assert [p.name for p in points] == ["beta0.1", "beta0.5"]
    for p, beta in zip(points, (0.1, 0.5)):
        train = p.rendered.config("train")
        assert train["pref_beta"] == beta and train["ref_model_adapters"] == "runs/demo/adapter"
    assert yaml.safe_load(path.read_text())["from_run"] == "demo"
