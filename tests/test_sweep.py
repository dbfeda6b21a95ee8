from __future__ import annotations

import re
from pathlib import Path

import pytest

from eai_recipes import recipes, sweep
from eai_recipes.cli import main
from eai_recipes.errors import EaiError

SHIPPED = sorted(recipes.SWEEPS_DIR.rglob("*.yaml"))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_sweep_expands_to_valid_recipes(in_tmp, path):
    points = sweep.expand(path)
    assert len(points) >= 2
    for p in points:
        assert re.fullmatch(r"[A-Za-z0-9.+_-]+", p.name), p.name
        assert p.run_dir == Path("runs") / path.stem / p.name
        assert (p.run_dir / "train.yaml").exists()


def test_grid_times_points_with_readable_names(in_tmp):
    points = sweep.expand(recipes.SWEEPS_DIR / "lr_rank.yaml")
    assert [p.name for p in points] == ["r8_alpha16_lr5e-5", "r8_alpha16_lr1e-4", "r8_alpha16_lr2e-4",
                                        "r16_alpha32_lr5e-5", "r16_alpha32_lr1e-4", "r16_alpha32_lr2e-4"]
    import yaml

    train = yaml.safe_load(points[4].rendered.files["train"].read_text())
    assert (train["lora_rank"], train["lora_alpha"], train["learning_rate"], train["num_train_epochs"]) == (
        16, 32, 1e-4, 1.0)


def test_invalid_points_fail_at_expansion_and_nothing_runs(in_tmp, capsys):
    path = _write(in_tmp / "bad.yaml", "profile: tiny\npoints:\n  - {learning_rate: 1.0e-4}\n"
                                       "  - {learning_rate: fast}\n  - {lora_rnak: 4}\n")
    with pytest.raises(EaiError) as err:
        sweep.expand(path)
    msg = str(err.value)
    assert "2 of 3 points are invalid, so nothing ran" in msg
    assert "point 2 (learning_rate=fast)" in msg and "expected a number" in msg
    assert "point 3 (lora_rnak=4)" in msg and "did you mean 'lora_rank'" in msg
    assert main(["sweep", str(path)]) == 2
    assert "nothing ran" in capsys.readouterr().err
    assert not list(in_tmp.rglob("adapter"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("points: [{learning_rate: 1.0e-4}]\n", ["'profile'"]),
        ("profile: tiny\n", ["'grid'", "'points'"]),
        ("profile: tiny\ngrid: {learning_rate: 1.0e-4}\n", ["learning_rate", "non-empty list"]),
        ("profile: tiny\npoints: [1, 2]\n", ["'points'", "list of mappings"]),
        ("profile: tiny\ngird: {learning_rate: [1]}\n", ["unknown key", "gird"]),
        ("profile: tiny\npoints: [{lora_rank: 8}, {lora_rank: 8}]\n", ["points 1 and 2 are the same"]),
        ("profile: tinny\npoints: [{lora_rank: 8}]\n", ["unknown profile 'tinny'"]),
    ],
)
def test_bad_sweep_files_are_named(in_tmp, text, words):
    with pytest.raises(EaiError) as err:
        sweep.expand(_write(in_tmp / "s.yaml", text))
    for word in words:
        assert word in str(err.value)


def test_dry_run_prints_each_command_and_runs_nothing(in_tmp, capsys):
    assert main(["sweep", "tiny_lr", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "[1/3] lr5e-4: would train" in out
    assert "llamafactory-cli train runs/tiny_lr/lr8e-3/train.yaml" in out
    assert not list(in_tmp.rglob("adapter"))


def test_unknown_sweep_lists_the_shipped_ones(in_tmp):
    with pytest.raises(EaiError, match="tiny_lr"):
        sweep.resolve_path("nope")


@pytest.mark.integration
def test_a_sweep_trains_each_point_tabulates_and_then_skips_finished_points(workdir):
    from conftest import run_eai

    (workdir / "two.yaml").write_text(
        "profile: tiny\nset: {max_steps: 4, save_steps: 2, eval_steps: 2, logging_steps: 1}\n"
        "grid:\n  learning_rate: [1.0e-3, 4.0e-3]\n")
    first = run_eai("sweep", "two.yaml", cwd=workdir)
    out_dir = workdir / "runs" / "two"
    table = (out_dir / "results.md").read_text()
    for name in ("lr1e-3", "lr4e-3"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {name} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == "trained"
        assert float(cells[3]) > 0 and float(cells[4]) > 0  # final train loss, eval loss
        assert cells[5] == f"runs/two/{name}"
        assert (workdir / cells[5] / "adapter" / "adapter_model.safetensors").exists()
    assert "Lowest eval loss:" in table
    assert "| lr1e-3 | 0.001 | trained |" in first.stdout  # the table is printed too
    assert (out_dir / "loss.png").stat().st_size > 1000
    assert (out_dir / "results.csv").read_text().startswith("point,learning_rate,status,train_loss,eval_loss")

    dry = run_eai("sweep", "two.yaml", "--dry-run", cwd=workdir)
    assert "[1/2] lr1e-3: finished, would skip" in dry.stdout
    again = run_eai("sweep", "two.yaml", cwd=workdir)
    assert again.stderr.count("finished, skipped") == 2
    assert "skipped (finished)" in (out_dir / "results.md").read_text()
