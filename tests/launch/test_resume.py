"""Resume: checkpoints cut off are set aside, a changed recipe is refused, a killed run resumes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from eai_recipes.errors import EaiError
from eai_recipes.launch.resume import TRAIN_RECORD, checkpoints, plan_training, set_aside_incomplete
from eai_recipes.launch.run import train
from eai_recipes.recipes.render import render


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

