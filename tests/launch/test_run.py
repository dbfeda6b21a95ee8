"""Running llamafactory-cli: logs, exit codes, one-line errors, launch variables, runs on other storage."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from eai_recipes.cli import main
from eai_recipes.errors import EaiError
from eai_recipes.launch.run import LaunchError, build_data_if_missing, link_runs, run_logged, stage_env
from eai_recipes.recipes.render import render


def test_failed_subprocess_surfaces_exit_code_log_and_last_lines(tmp_path):
    log = tmp_path / "logs" / "x.log"
    script = "import sys; print('loading model'); print('boom: out of memory', file=sys.stderr); sys.exit(3)"
    with pytest.raises(LaunchError) as err:
        run_logged([sys.executable, "-c", script], log, quiet=True)
    msg = str(err.value)
    assert err.value.exit_code == 3
    assert "exited with code 3" in msg and str(log) in msg and "boom: out of memory" in msg
    assert "loading model" in log.read_text() and "boom" in log.read_text()



def test_successful_subprocess_is_logged(tmp_path, capfd):
    log = tmp_path / "ok.log"
    run_logged([sys.executable, "-c", "print('hello from the child')"], log)
    assert "hello from the child" in capfd.readouterr().out
    assert "hello from the child" in log.read_text()



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



def test_train_gets_the_profiles_launch_variables_and_torchrun_on_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = render("multi-gpu")
    env, shown = stage_env(r, "train", {"PATH": "/usr/bin", "CUDA_VISIBLE_DEVICES": "1,2", "HOME": "/h"})
    assert shown == {"FORCE_TORCHRUN": "1", "NPROC_PER_NODE": "2"}
    assert env["FORCE_TORCHRUN"] == "1" and env["CUDA_VISIBLE_DEVICES"] == "1,2" and env["HOME"] == "/h"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert (Path(sys.executable).parent / "torchrun").exists()



def test_stray_launch_variables_do_not_reach_predict_or_a_single_process_profile(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    stray = {"PATH": "/usr/bin", "FORCE_TORCHRUN": "1", "NPROC_PER_NODE": "8"}
    env, shown = stage_env(render("multi-gpu"), "predict_base", stray)
    assert shown == {} and "FORCE_TORCHRUN" not in env and "NPROC_PER_NODE" not in env
    env, shown = stage_env(render("tiny"), "train", stray)
    assert shown == {} and "FORCE_TORCHRUN" not in env
    assert "ignoring FORCE_TORCHRUN=1 from your environment" in capsys.readouterr().err



def test_multi_node_needs_its_rank_and_master_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = render("multi-node")
    with pytest.raises(EaiError, match="needs NODE_RANK in the environment"):
        stage_env(r, "train", {"PATH": "/usr/bin"})
    env, shown = stage_env(r, "train", {"PATH": "/usr/bin", "NODE_RANK": "1", "MASTER_ADDR": "node0"})
    assert shown["NODE_RANK"] == "1" and env["MASTER_ADDR"] == "node0" and env["MASTER_PORT"] == "29500"



def test_runs_can_live_on_other_storage_through_a_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drive = tmp_path / "drive" / "eai-runs"
    link_runs(drive)
    link_runs(drive)  # idempotent
    r = render("tiny")
    assert (drive / "tiny" / "train.yaml").exists()
    assert yaml.safe_load(r.files["train"].read_text())["output_dir"] == "runs/tiny/adapter"
    with pytest.raises(EaiError, match="already links to"):
        link_runs(tmp_path / "elsewhere")



def test_runs_on_refuses_to_hide_local_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "old").mkdir(parents=True)
    with pytest.raises(EaiError, match="already holds runs.*mv runs/"):
        link_runs(tmp_path / "drive")
    assert (tmp_path / "runs" / "old").is_dir() and not (tmp_path / "runs").is_symlink()



def test_build_data_runs_only_when_the_datasets_are_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub is unreachable here; make it fail the same way everywhere
    with pytest.raises(EaiError, match="eai data build --out data` failed.*training did not start"):
        build_data_if_missing({"dataset_dir": "data"})
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text("{}")
    capsys.readouterr()
    build_data_if_missing({"dataset_dir": "data"})
    assert "eai data build" not in capsys.readouterr().err



def test_make_train_default_profile_auto_fails_fast_without_a_gpu(tmp_path, monkeypatch, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--profile", "auto", "--build-data"]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and "make demo" in err
    assert not (tmp_path / "data").exists(), "no data build before the GPU check"

