"""Profiles: loading (typed, errors with file, line, key, allowed values), --set parsing, --profile auto."""

from __future__ import annotations

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.hardware import Gpu
from eai_recipes.recipes.profiles import available_profiles, load_profile, load_recipe, parse_sets, pick_profile_for


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(EaiError) as err:
        load_profile("papper")
    assert "papper" in str(err.value) and "paper" in str(err.value) and "tiny" in str(err.value)


@pytest.mark.parametrize("bad", ["learning_rate", "=3", ""])
def test_set_without_key_value_is_refused(bad):
    with pytest.raises(EaiError, match="key=value"):
        parse_sets([bad])


def test_set_values_are_typed():
    assert parse_sets(["a=5e-5", "b=true", "c=8", "d=hello"]) == {"a": 5e-5, "b": True, "c": 8, "d": "hello"}


def test_bad_profile_file_names_file_and_key(tmp_path):
    (tmp_path / "odd.yaml").write_text("recipe: eai\nvalues: [1, 2]\n")
    with pytest.raises(EaiError) as err:
        load_profile("odd", profiles_dir=tmp_path)
    assert "odd.yaml" in str(err.value) and "'values'" in str(err.value)


def test_bad_env_in_a_profile_names_the_file(tmp_path):
    (tmp_path / "odd.yaml").write_text("recipe: eai\nenv: {NNODES: 3, NODE_RANK: 3, MASTER_ADDR: h}\nvalues: {}\n")
    with pytest.raises(EaiError, match=r"odd\.yaml.*NODE_RANK=3 must be below NNODES=3"):
        load_profile("odd", profiles_dir=tmp_path)


@pytest.mark.parametrize(
    ("gpu", "profile"),
    [
        (Gpu("NVIDIA L4", 22.5, (8, 9)), "paper"),
        (Gpu("Tesla T4", 15.0, (7, 5)), "colab-t4"),
        (Gpu("NVIDIA A100-SXM4-40GB", 39.6, (8, 0)), "a100"),
        (Gpu("NVIDIA H100 80GB HBM3", 79.6, (9, 0)), "a100"),
        (Gpu("NVIDIA L40S", 44.4, (8, 9)), "paper"),  # not an L4; bf16 -> the bf16 one-GPU profile
        (Gpu("Quadro RTX 8000", 47.0, (7, 5)), "colab-t4"),  # no bf16 -> fp16
    ],
)
def test_auto_picks_the_profile_for_the_gpu_and_says_why(gpu, profile):
    profiles = [load_profile(n) for n in available_profiles()]
    name, why = pick_profile_for(gpu, profiles)
    assert name == profile
    assert gpu.name in why and ("bf16" in why)


def test_auto_warns_when_the_gpu_is_smaller_than_the_profile_needs():
    profiles = [load_profile(n) for n in available_profiles()]
    name, why = pick_profile_for(Gpu("NVIDIA L4", 12.0, (8, 9)), profiles)
    assert name == "paper" and "warning" in why and "16 GB" in why


def test_every_gpu_profile_states_its_memory_need():
    for name in available_profiles():
        profile = load_profile(name)
        if profile.requires_gpu:
            assert profile.gpu_memory_gb and profile.gpu_memory_gb > 0, name


def _load_error(tmp_path, text: str) -> str:
    (tmp_path / "odd.yaml").write_text(text)
    with pytest.raises(EaiError) as err:
        load_profile("odd", profiles_dir=tmp_path)
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "line", "key", "allowed"),
    [
        ("description: x\nvalus: {bf16: false}\n", 2, "valus", "values"),
        ("values: {}\ngpus: L4\n", 2, "gpus", "[L4]"),
        ("values: {}\ngpu_memory_gb: true\n", 2, "gpu_memory_gb", "GB per GPU"),
        ("values: {}\n\nenv: [FORCE_TORCHRUN]\n", 3, "env", "FORCE_TORCHRUN: 1"),
        ("description: no values\n", None, "values", "LLaMA-Factory keys"),
    ],
)
def test_a_bad_profile_names_file_line_key_and_what_is_allowed(tmp_path, text, line, key, allowed):
    problem = next(p for p in _load_error(tmp_path, text).splitlines() if f"'{key}'" in p)
    assert problem.startswith(f"{tmp_path / 'odd.yaml'}{f':{line}' if line else ''}: ")
    assert allowed in problem


def test_every_problem_of_a_profile_is_reported_at_once(tmp_path):
    message = _load_error(tmp_path, "gpus: L4\ngpu_memory_gb: lots\nvalues: {}\n")
    assert len(message.splitlines()) == 2 and "'gpus'" in message and "'gpu_memory_gb'" in message


def test_a_profile_says_only_what_differs_from_its_recipe():
    recipe = load_recipe("eai")
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.recipe == "eai"
        repeated = {k for k, v in profile.values.items() if k in recipe and recipe[k] == v}
        assert not repeated, f"{name} repeats {sorted(repeated)} from recipes/eai.yaml"
