"""The multi-process path of the GPU profiles, exercised for real on CPU: the tiny profile under torchrun
(FORCE_TORCHRUN=1, NPROC_PER_NODE=2) with the gloo DDP backend, through `eai train` and llamafactory-cli."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import run_eai

pytestmark = pytest.mark.integration


def test_tiny_profile_trains_under_torchrun_with_two_processes(workdir):
    proc = run_eai("train", "--profile", "tiny", "--run-name", "ddp", "--env", "FORCE_TORCHRUN=1",
                   "--env", "NPROC_PER_NODE=2", "--set", "ddp_backend=gloo", "--set", "max_steps=4",
                   "--set", "save_steps=2", "--set", "eval_steps=2", "--set", "logging_steps=1", cwd=workdir,
                   env={"NPROC_PER_NODE": "7"})  # a stray shell value must not win over the rendered one
    run = workdir / "runs" / "ddp"
    header = (run / "train.yaml").read_text().splitlines()[1]
    assert header == "#   FORCE_TORCHRUN=1 NPROC_PER_NODE=2 llamafactory-cli train runs/ddp/train.yaml"
    assert yaml.safe_load((run / "train.yaml").read_text())["ddp_backend"] == "gloo"
    assert "ignoring NPROC_PER_NODE=7 from your environment" in proc.stderr

    log = (run / "logs" / "train.log").read_text()
    assert log.startswith("$ FORCE_TORCHRUN=1 NPROC_PER_NODE=2 ")
    assert "Initializing 2 distributed tasks" in log
    for rank in (0, 1):
        assert f"Process rank: {rank}, world size: 2" in log and "distributed training: True" in log

    adapter = run / "adapter"
    state = json.loads((adapter / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    # Each rank saved its RNG state into the checkpoint: two processes really trained.
    assert {p.name for p in (adapter / "checkpoint-4").glob("rng_state_*.pth")} == {"rng_state_0.pth",
                                                                                   "rng_state_1.pth"}
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"
    assert (adapter / "eval_results.json").exists()
