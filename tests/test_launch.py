from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from eai_recipes import launch, recipes
from eai_recipes.cli import main
from eai_recipes.errors import EaiError


def test_failed_subprocess_surfaces_exit_code_log_and_last_lines(tmp_path):
    log = tmp_path / "logs" / "x.log"
    script = "import sys; print('loading model'); print('boom: out of memory', file=sys.stderr); sys.exit(3)"
    with pytest.raises(launch.LaunchError) as err:
        launch.run_logged([sys.executable, "-c", script], log, quiet=True)
    msg = str(err.value)
    assert err.value.exit_code == 3
    assert "exited with code 3" in msg and str(log) in msg and "boom: out of memory" in msg
    assert "loading model" in log.read_text() and "boom" in log.read_text()


def test_successful_subprocess_is_logged(tmp_path, capfd):
    log = tmp_path / "ok.log"
    launch.run_logged([sys.executable, "-c", "print('hello from the child')"], log)
    assert "hello from the child" in capfd.readouterr().out
    assert "hello from the child" in log.read_text()


def test_missing_llamafactory_cli_says_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EaiError, match="make setup"):
        launch.llamafactory_cli()


def test_datasets_must_be_built_and_registered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values = {"dataset_dir": "data", "dataset": "eai_train", "eval_dataset": "eai_val"}
    with pytest.raises(EaiError, match="eai data build"):
        launch.check_datasets(values, ("dataset",))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps({"eai_train": {"file_name": "eai_train.json"}}))
    with pytest.raises(EaiError, match="eai_train.json, which is missing"):
        launch.check_datasets(values, ("dataset",))
    (tmp_path / "data" / "eai_train.json").write_text("[]")
    launch.check_datasets(values, ("dataset",))
    with pytest.raises(EaiError, match="'eai_val' is not in"):
        launch.check_datasets(values, ("eval_dataset",))


def test_missing_local_model_points_at_tiny_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EaiError, match="eai tiny-model"):
        launch.check_model({"model_name_or_path": "models/tiny-phi4"})
    launch.check_model({"model_name_or_path": "microsoft/phi-4"})  # a hub id is left to LLaMA-Factory


def test_gpu_profile_fails_fast_on_cpu_pointing_at_the_demo():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(EaiError, match="make demo"):
        launch.check_gpu(recipes.load_profile("paper"))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--profile", "nope"], ["unknown profile 'nope'", "tiny"]),
        (["train", "--profile", "tiny", "--set", "lora_rnak=4"], ["unknown key 'lora_rnak'", "lora_rank"]),
        (["predict", "--profile", "tiny", "--set", "max_new_tokens=many"], ["max_new_tokens", "an integer"]),
        (["train", "--profile", "paper"], ["needs a CUDA GPU", "make demo"]),
    ],
)
def test_bad_input_is_one_line_and_nothing_runs(tmp_path, monkeypatch, capsys, argv, words):
    import torch

    if torch.cuda.is_available() and "paper" in argv:
        pytest.skip("this machine has a GPU")
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("eai: error:")
    for word in words:
        assert word in err
    assert not list(Path("runs").rglob("adapter")), "nothing may run after a bad config"
