"""`eai recipes validate`: any YAML under recipes/ or runs/, recursively, by kind."""

from __future__ import annotations

import yaml

from eai_recipes import paths
from eai_recipes.recipes.profiles import available_profiles, parse_sets
from eai_recipes.recipes.render import render

ROOT = paths.ROOT


def test_validate_command_checks_a_directory_recursively(in_tmp, capsys):
    from eai_recipes.cli import main

    good = render("tiny")
    bad = in_tmp / "nested" / "deeper" / "typo.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(good.files["train"].read_text().replace("lora_rank:", "lora_rnak:"))
    assert main(["recipes", "validate", str(good.run_dir)]) == 0
    assert main(["recipes", "validate", "nested"]) == 1
    assert "unknown key 'lora_rnak'" in capsys.readouterr().err


def test_shipped_recipes_tree_validates_recursively(capsys):
    from eai_recipes.cli import main

    assert main(["recipes", "validate", str(ROOT / "recipes")]) == 0
    out = capsys.readouterr().out
    for name in available_profiles():
        assert f"profiles/{name}.yaml (profile" in out
    sweeps = sorted((ROOT / "recipes" / "sweeps").rglob("*.yaml"))
    assert sweeps, "no sweep is shipped"
    for path in sweeps:
        assert f"sweeps/{path.name} (sweep: " in out
    assert "eai.yaml (recipe" in out
    assert "invalid" not in out


def test_a_typo_in_a_profile_is_caught_naming_the_profile(tmp_path, monkeypatch, capsys):
    from eai_recipes.cli import main

    profiles = tmp_path / "recipes" / "profiles"
    profiles.mkdir(parents=True)
    (tmp_path / "recipes" / "eai.yaml").write_text((ROOT / "recipes" / "eai.yaml").read_text())
    text = (ROOT / "recipes" / "profiles" / "tiny.yaml").read_text().replace("warmup_steps:", "warmup_stpes:")
    (profiles / "typo.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["recipes", "validate", "recipes"]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'warmup_stpes' (set in recipes/profiles/typo.yaml)" in err and "warmup_steps" in err


def test_a_serving_profile_is_skipped_not_misread(tmp_path, capsys):
    from eai_recipes.cli import main

    (tmp_path / "serve.yaml").write_text("model: {run: demo}\ngeneration: {top_p: 0.9}\n")
    assert main(["recipes", "validate", str(tmp_path)]) == 0
    assert "skip" in capsys.readouterr().out


def test_a_rendered_ray_file_with_a_mapping_is_still_validated(in_tmp, capsys):
    from eai_recipes.cli import main

    r = render("ray", parse_sets(["ray_init_kwargs={num_cpus: 4}"]))
    assert yaml.safe_load(r.files["train"].read_text())["ray_init_kwargs"] == {"num_cpus": 4}
    assert main(["recipes", "validate", str(r.files["train"])]) == 0
    assert "(config" in capsys.readouterr().out
