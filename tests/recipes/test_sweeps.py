"""Sweep files: the schema (errors name file, line, key and what is allowed), grid x points expansion,
readable point names, and every point validated before anything runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from eai_recipes.cli import main
from eai_recipes.errors import EaiError
from eai_recipes.recipes.sweeps import SWEEPS_DIR, resolve_path
from eai_recipes.recipes.sweeps import expand as expand_sweep

SHIPPED = sorted(SWEEPS_DIR.rglob("*.yaml"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_sweep_expands_to_valid_recipes(in_tmp, path):
    points = expand_sweep(path)
    assert len(points) >= 2
    for p in points:
        assert re.fullmatch(r"[A-Za-z0-9.+_-]+", p.name), p.name
        assert p.run_dir == Path("runs") / path.stem / p.name
        assert (p.run_dir / "train.yaml").exists()


def test_grid_times_points_with_readable_names(in_tmp):
    points = expand_sweep(SWEEPS_DIR / "lr_rank.yaml")
    assert [p.name for p in points] == ["r8_alpha16_lr5e-5", "r8_alpha16_lr1e-4", "r8_alpha16_lr2e-4",
                                        "r16_alpha32_lr5e-5", "r16_alpha32_lr1e-4", "r16_alpha32_lr2e-4"]
    train = yaml.safe_load(points[4].rendered.files["train"].read_text())
    assert (train["lora_rank"], train["lora_alpha"], train["learning_rate"], train["num_train_epochs"]) == (
        16, 32, 1e-4, 1.0)


def test_invalid_points_fail_at_expansion_and_nothing_runs(in_tmp, capsys):
    path = _write(in_tmp / "bad.yaml", "profile: tiny\npoints:\n  - {learning_rate: 1.0e-4}\n"
                                       "  - {learning_rate: fast}\n  - {lora_rnak: 4}\n")
    with pytest.raises(EaiError) as err:
        expand_sweep(path)
    msg = str(err.value)
    assert "2 of 3 points are invalid, so nothing ran" in msg
    assert "point 2 (learning_rate=fast)" in msg and "expected a number" in msg
    assert "point 3 (lora_rnak=4)" in msg and "did you mean 'lora_rank'" in msg
    assert main(["sweep", str(path)]) == 2
    assert "nothing ran" in capsys.readouterr().err
    assert not list(in_tmp.rglob("adapter"))


@pytest.mark.parametrize(
    ("text", "line", "key", "allowed"),
    [
        ("points: [{learning_rate: 1.0e-4}]\n", None, "profile", "recipes/profiles/"),
        ("profile: tiny\ngrid: {learning_rate: 1.0e-4}\n", 2, "grid.learning_rate", "non-empty lists"),
        ("profile: tiny\ngrid:\n  lora_rank: []\n", 2, "grid", "non-empty list"),
        ("profile: tiny\npoints: [1, 2]\n", 2, "points[0]", "list of mappings"),
        ("profile: tiny\n\ngird: {learning_rate: [1]}\n", 3, "gird", "grid, points"),
    ],
)
def test_a_bad_sweep_file_names_file_line_key_and_what_is_allowed(in_tmp, text, line, key, allowed):
    with pytest.raises(EaiError) as err:
        expand_sweep(_write(in_tmp / "s.yaml", text))
    problem = next(p for p in str(err.value).splitlines() if f"'{key}'" in p)
    assert problem.startswith(f"{in_tmp / 's.yaml'}{f':{line}' if line else ''}: ")
    assert allowed in problem


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("profile: tiny\n", ["'grid'", "'points'"]),
        ("profile: tiny\npoints: [{lora_rank: 8}, {lora_rank: 8}]\n", ["points 1 and 2 are the same"]),
        ("profile: tinny\npoints: [{lora_rank: 8}]\n", ["unknown profile 'tinny'"]),
    ],
)
def test_a_sweep_without_points_or_with_bad_points_is_named(in_tmp, text, words):
    with pytest.raises(EaiError) as err:
        expand_sweep(_write(in_tmp / "s.yaml", text))
    for word in words:
        assert word in str(err.value)


def test_unknown_sweep_lists_the_shipped_ones(in_tmp):
    with pytest.raises(EaiError, match="tiny_lr"):
        resolve_path("nope")
