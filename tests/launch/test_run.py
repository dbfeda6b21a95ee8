from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from eai_recipes.cli import main
from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import check_datasets, check_gpu, check_model, check_packages, llamafactory_cli
from eai_recipes.launch.resume import TRAIN_RECORD, checkpoints, plan_training, set_aside_incomplete
from eai_recipes.launch.run import LaunchError, build_data_if_missing, link_runs, run_logged, stage_env, train
from eai_recipes.recipes.profiles import load_profile
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


def test_missing_llamafactory_cli_says_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EaiError, match="make setup"):
        llamafactory_cli()


def test_datasets_must_be_built_and_registered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values = {"dataset_dir": "data", "dataset": "eai_train", "eval_dataset": "eai_val"}
    with pytest.raises(EaiError, match="eai data build"):
        check_datasets(values, ("dataset",))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps({"eai_train": {"file_name": "eai_train.json"}}))
    with pytest.raises(EaiError, match="eai_train.json, which is missing"):
        check_datasets(values, ("dataset",))
    (tmp_path / "data" / "eai_train.json").write_text("[]")
    check_datasets(values, ("dataset",))
    with pytest.raises(EaiError, match="'eai_val' is not in"):
        check_datasets(values, ("eval_dataset",))


def test_missing_local_model_points_at_tiny_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EaiError, match="eai tiny-model"):
        check_model({"model_name_or_path": "models/tiny-phi4"})
    check_model({"model_name_or_path": "microsoft/phi-4"})  # a hub id is left to LLaMA-Factory


def test_gpu_profile_fails_fast_on_cpu_pointing_at_the_demo():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(EaiError, match="make demo"):
        check_gpu(load_profile("paper"))


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


# ---------------------------------------------------------------------------------- launch environment


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


def test_missing_optional_packages_are_named_with_the_pip_command():
    import importlib.util

    if not importlib.util.find_spec("ray"):
        with pytest.raises(EaiError, match=r"USE_RAY=1 needs the ray package: pip install 'ray\[train\]'"):
            check_packages({}, {"USE_RAY": "1"})
    if not importlib.util.find_spec("swanlab"):
        with pytest.raises(EaiError, match="pip install swanlab"):
            check_packages({"use_swanlab": True}, {})
    if not importlib.util.find_spec("deepspeed"):
        with pytest.raises(EaiError, match="pip install deepspeed"):
            check_packages({"deepspeed": "runs/x/deepspeed.json"}, {})
    check_packages({"report_to": "tensorboard"}, {})  # installed with the project


def test_flash_attention_without_its_package_is_a_warning(capsys):
    import importlib.util

    if importlib.util.find_spec("flash_attn"):
        pytest.skip("flash-attn is installed here")
    check_packages({"flash_attn": "fa2"}, {})
    assert "pip install flash-attn" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------- resume


def _checkpoint(adapter: Path, step: int, complete: bool = True) -> Path:
    path = adapter / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "adapter_model.safetensors").write_bytes(b"weights")
    if complete:
        (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return path


def test_a_checkpoint_cut_off_while_saving_is_set_aside_not_deleted(tmp_path):
    adapter = tmp_path / "adapter"
    _checkpoint(adapter, 5)
    _checkpoint(adapter, 10, complete=False)
    moved = set_aside_incomplete(adapter)
    assert [p.name for p in moved] == ["checkpoint-10.incomplete"]
    assert (adapter / "checkpoint-10.incomplete" / "adapter_model.safetensors").exists()
    assert [step for step, _ in checkpoints(adapter)] == [5]


def _planned(tmp_path, monkeypatch, record: dict | None, **sets):
    monkeypatch.chdir(tmp_path)
    r = render("tiny", sets)
    config = yaml.safe_load(r.files["train"].read_text())
    if record is not None:
        (r.run_dir / TRAIN_RECORD).write_text(json.dumps({**config, **record}))
    return r, config


def test_resume_refuses_checkpoints_of_a_different_recipe(tmp_path, monkeypatch):
    r, config = _planned(tmp_path, monkeypatch, {"learning_rate": 0.5})
    _checkpoint(r.run_dir / "adapter", 15)
    with pytest.raises(EaiError) as err:
        plan_training(r, config)
    assert f"learning_rate: 0.5 -> {config['learning_rate']}" in str(err.value) and "--fresh" in str(err.value)
    assert (r.run_dir / "adapter" / "checkpoint-15").exists(), "nothing may be deleted"


def test_a_refused_train_leaves_the_run_files_describing_its_checkpoints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = render("tiny", {"learning_rate": 0.5})
    (old.run_dir / TRAIN_RECORD).write_text(json.dumps(yaml.safe_load(old.files["train"].read_text())))
    _checkpoint(old.run_dir / "adapter", 15)
    before = old.files["train"].read_text()
    new = render("tiny", {}, stage_in=tmp_path / "scratch")  # as `eai train` renders
    with pytest.raises(EaiError, match=r"learning_rate: 0\.5 -> "):
        train(new)
    assert old.files["train"].read_text() == before


def test_resume_allows_changes_that_do_not_mix_recipes(tmp_path, monkeypatch, capsys):
    r, config = _planned(tmp_path, monkeypatch, {"logging_steps": 1, "max_steps": 20})
    _checkpoint(r.run_dir / "adapter", 15)
    assert plan_training(r, config) == "resume"
    resumed = f"resuming from runs/tiny/adapter/checkpoint-15 (step 15 of {config['max_steps']})"
    assert resumed in capsys.readouterr().err


def test_a_run_killed_before_its_first_checkpoint_starts_over(tmp_path, monkeypatch):
    r, config = _planned(tmp_path, monkeypatch, {})
    (r.run_dir / "adapter" / "runs").mkdir(parents=True)
    assert plan_training(r, config) == "fresh"
    assert not (r.run_dir / "adapter").exists()


def test_fresh_deletes_the_previous_adapter(tmp_path, monkeypatch):
    r, config = _planned(tmp_path, monkeypatch, {"learning_rate": 0.5})
    _checkpoint(r.run_dir / "adapter", 15)
    assert plan_training(r, config, fresh=True) == "fresh"
    assert not (r.run_dir / "adapter").exists() and not (r.run_dir / TRAIN_RECORD).exists()


# ------------------------------------------------------------------------------------ runs on a Drive


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


# --------------------------------------------------------------------------- resume, for real (integration)


def _wait_for(predicate, proc, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"training ended (code {proc.returncode}) before the condition was met")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.mark.integration
def test_a_killed_training_resumes_from_its_last_checkpoint(workdir):
    import signal
    import subprocess

    from conftest import EAI, run_eai

    args = ["train", "--profile", "tiny", "--run-name", "resume", "--set", "max_steps=16", "--set", "save_steps=4",
            "--set", "eval_steps=8", "--set", "logging_steps=2"]
    adapter = workdir / "runs" / "resume" / "adapter"
    proc = subprocess.Popen([*EAI, *args], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for(lambda: (adapter / "checkpoint-4" / "trainer_state.json").exists(), proc, timeout=300)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: eai and llamafactory-cli, mid-training
        proc.wait()
    assert not (adapter / "train_results.json").exists(), "it finished before it could be killed"
    saved = max(step for step, _ in checkpoints(adapter))
    assert saved < 16

    second = run_eai(*args, cwd=workdir)
    assert f"resuming from runs/resume/adapter/checkpoint-{saved}" in second.stderr
    log = (workdir / "runs" / "resume" / "logs" / "train.log").read_text()
    assert f"Resuming training from runs/resume/adapter/checkpoint-{saved}" in log
    state = json.loads((adapter / "trainer_state.json").read_text())
    assert state["global_step"] == 16
    assert f"and global step {saved}" in log  # the Trainer restored its state: continued, not restarted
    steps = [e["step"] for e in state["log_history"] if "loss" in e]
    assert steps == sorted(set(steps)) and steps[-1] == 16
    trained = json.loads((adapter / "train_results.json").read_text())
    assert trained["train_runtime"] > 0

    third = run_eai(*args, cwd=workdir)  # finished: left as it is
    assert "already trained with this recipe; nothing to do" in third.stderr


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
