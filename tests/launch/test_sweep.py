from __future__ import annotations

from pathlib import Path

import pytest

from eai_recipes.cli import main
from eai_recipes.errors import EaiError
from eai_recipes.launch.resume import TRAIN_RECORD
from eai_recipes.launch.sweep import run as run_sweep
from eai_recipes.recipes.sweeps import SWEEPS_DIR
from eai_recipes.recipes.sweeps import expand as expand_sweep

SHIPPED = sorted(SWEEPS_DIR.rglob("*.yaml"))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path










def test_dry_run_prints_each_command_and_runs_nothing(in_tmp, capsys):
    assert main(["sweep", "tiny_lr", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "[1/3] lr5e-4: would train" in out
    assert "llamafactory-cli train runs/tiny_lr/lr8e-3/train.yaml" in out
    assert not (in_tmp / "runs").exists(), "a dry run writes nothing into runs/"


# ------------------------------------------------------------------------ finished, changed, interrupted

TWO = ("profile: tiny\nset: {max_steps: 4, save_steps: 2}\n"
       "points:\n  - {learning_rate: 1.0e-3}\n  - {learning_rate: 2.0e-3}\n")
OLD_FILE = "# the train.yaml this adapter was trained with\n"


def _staged_configs(path: Path, tmp: Path) -> dict[str, dict]:
    return {p.name: p.rendered.config("train") for p in expand_sweep(path, staging=tmp / "scratch")}


def _trained(run_dir: Path, record: dict, *, finished: bool = True, checkpoint: int | None = None) -> None:
    """A run directory as `eai train` leaves it: the recorded train config, the files it ran, an adapter."""
    import json

    adapter = run_dir / "adapter"
    adapter.mkdir(parents=True)
    (run_dir / TRAIN_RECORD).write_text(json.dumps(record))
    (run_dir / "train.yaml").write_text(OLD_FILE)
    if finished:
        (adapter / "train_results.json").write_text("{}")
    if checkpoint:
        (adapter / f"checkpoint-{checkpoint}").mkdir()
        (adapter / f"checkpoint-{checkpoint}" / "trainer_state.json").write_text("{}")


@pytest.fixture
def no_training(monkeypatch) -> list[str]:
    """train replaced by a recorder: which points a sweep would train."""
    trained: list[str] = []

    def fake_train(rendered, *, fresh=False, quiet=False, **_):
        trained.append(rendered.run_dir.name)
        return rendered.run_dir / "adapter"

    monkeypatch.setattr("eai_recipes.launch.sweep.train", fake_train)
    return trained


def test_a_finished_point_whose_recipe_changed_stops_the_sweep_before_anything_runs(in_tmp, capsys, no_training):
    path = _write(in_tmp / "two.yaml", TWO)
    configs = _staged_configs(path, in_tmp)
    assert not (in_tmp / "runs").exists(), "staging leaves the run directories alone"
    runs = in_tmp / "runs" / "two"
    _trained(runs / "lr1e-3", {**configs["lr1e-3"], "lora_rank": 16})  # trained before eai.yaml said 8
    _trained(runs / "lr2e-3", configs["lr2e-3"])

    with pytest.raises(EaiError) as err:
        run_sweep(path, dry_run=True)
    out = capsys.readouterr().out
    assert "[1/2] lr1e-3: holds a finished adapter of a different recipe (changed: lora_rank: 16 -> 8): " \
           "the sweep would stop" in out
    assert "[2/2] lr2e-3: finished, would skip" in out
    msg = str(err.value)
    assert "1 of 2 points were trained with a recipe that has changed since" in msg and "nothing ran" in msg
    assert "lr1e-3 (runs/two/lr1e-3)" in msg and "lora_rank: 16 -> 8" in msg and "lr2e-3" not in msg
    assert f"eai sweep {path} --fresh" in msg

    assert main(["sweep", str(path)]) == 2
    err_text = capsys.readouterr().err
    assert "lr1e-3" in err_text and "lora_rank: 16 -> 8" in err_text and "--fresh" in err_text
    assert no_training == [], "nothing may train"
    for name in ("lr1e-3", "lr2e-3"):
        assert (runs / name / "train.yaml").read_text() == OLD_FILE, "the run directory still describes its adapter"
    assert not (runs / "results.md").exists()

    points = run_sweep(path, fresh=True)  # --fresh starts every point over
    assert no_training == ["lr1e-3", "lr2e-3"] and all(p.status == "trained" for p in points)
    assert (runs / "lr1e-3" / "train.yaml").read_text() != OLD_FILE


def test_a_changed_shared_set_is_caught_too(in_tmp, capsys, no_training):
    path = _write(in_tmp / "two.yaml", TWO)
    configs = _staged_configs(path, in_tmp)
    for name, config in configs.items():
        _trained(in_tmp / "runs" / "two" / name, config)
    path.write_text(TWO.replace("max_steps: 4,", "max_steps: 4, lora_dropout: 0.2,"))  # the sweep's set: edited
    assert main(["sweep", str(path), "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("lora_dropout: 0.1 -> 0.2") == 2
    assert "2 of 2 points" in captured.err and no_training == []


def test_finished_points_are_skipped_and_only_points_that_run_get_new_files(in_tmp, capsys, no_training):
    path = _write(in_tmp / "three.yaml", TWO + "  - {learning_rate: 4.0e-3}\n")
    configs = _staged_configs(path, in_tmp)
    runs = in_tmp / "runs" / "three"
    _trained(runs / "lr1e-3", configs["lr1e-3"])
    _trained(runs / "lr2e-3", {**configs["lr2e-3"], "logging_steps": 1}, finished=False, checkpoint=2)

    run_sweep(path, dry_run=True)
    out = capsys.readouterr().out
    assert "[1/3] lr1e-3: finished, would skip" in out
    assert "[2/3] lr2e-3: would resume from checkpoint-2" in out  # logging_steps may change on resume
    assert "[3/3] lr4e-3: would train" in out
    assert (runs / "lr2e-3" / "train.yaml").read_text() == OLD_FILE and not (runs / "lr4e-3").exists()

    points = run_sweep(path)
    assert no_training == ["lr2e-3", "lr4e-3"]
    assert [p.status for p in points] == ["skipped (finished)", "trained", "trained"]
    assert (runs / "lr1e-3" / "train.yaml").read_text() == OLD_FILE
    for name in ("lr2e-3", "lr4e-3"):
        assert "llamafactory-cli train runs/three/" + name + "/train.yaml" in (runs / name / "train.yaml").read_text()
    assert "skipped (finished)" in (runs / "results.md").read_text()




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

    trained_with = (out_dir / "lr1e-3" / "train.yaml").read_text()
    sweep_file = workdir / "two.yaml"
    sweep_file.write_text(sweep_file.read_text().replace("max_steps: 4,", "max_steps: 4, lora_rank: 4,"))
    changed = run_eai("sweep", "two.yaml", cwd=workdir, check=False)
    assert changed.returncode == 2 and "2 of 2 points were trained with a recipe that has changed" in changed.stderr
    assert "lora_rank: 8 -> 4" in changed.stderr and "--fresh" in changed.stderr
    assert (out_dir / "lr1e-3" / "train.yaml").read_text() == trained_with
