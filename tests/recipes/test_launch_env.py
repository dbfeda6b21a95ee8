"""Launch variables: parsed, checked, rendered into the train command, taken from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.recipes.launch_env import parse_env, resolve_env
from eai_recipes.recipes.profiles import load_profile
from eai_recipes.recipes.render import render


def _header(path: Path) -> str:
    return "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))


def test_launch_variables_of_the_profile_are_rendered_into_the_train_command(in_tmp):
    r = render("multi-gpu")
    assert "#   FORCE_TORCHRUN=1 NPROC_PER_NODE=2 llamafactory-cli train runs/multi-gpu/train.yaml" in _header(
        r.files["train"])
    for stage in ("predict_base", "predict_adapter", "export"):
        assert "FORCE_TORCHRUN" not in _header(r.files[stage])  # predictions and export run in one process


def test_multi_node_contract_is_rendered_and_documented(in_tmp):
    header = _header(render("multi-node").files["train"])
    assert ("FORCE_TORCHRUN=1 NNODES=2 NPROC_PER_NODE=4 NODE_RANK=${NODE_RANK:?} MASTER_ADDR=${MASTER_ADDR:?} "
            "MASTER_PORT=29500 llamafactory-cli train runs/multi-node/train.yaml") in header
    for key in ("NNODES", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT", "NPROC_PER_NODE"):
        assert re.search(rf"#\s+{key}\s+\S", header), key
    assert "0 is the master (set it in your shell)" in header


def test_env_option_overrides_the_profile_and_is_recorded(in_tmp):
    r = render("multi-gpu", env=parse_env(["NPROC_PER_NODE=4"]), run_name="four")
    header = _header(r.files["train"])
    assert "FORCE_TORCHRUN=1 NPROC_PER_NODE=4 llamafactory-cli train runs/four/train.yaml" in header
    assert "--env NPROC_PER_NODE=4" in header


@pytest.mark.parametrize(
    ("items", "words"),
    [
        (["NPROC_PER_NOD=2"], ["unknown launch variable 'NPROC_PER_NOD'", "did you mean NPROC_PER_NODE"]),
        (["NPROC_PER_NODE=0"], ["NPROC_PER_NODE", "an integer >= 1"]),
        (["MASTER_PORT=99999"], ["MASTER_PORT", "1..65535"]),
        (["FORCE_TORCHRUN=maybe"], ["FORCE_TORCHRUN", "0 or 1"]),
        (["NNODES=2", "NODE_RANK=2", "MASTER_ADDR=10.0.0.1"], ["NODE_RANK=2 must be below NNODES=2"]),
        (["NNODES=2", "NODE_RANK=1"], ["NNODES=2 needs MASTER_ADDR"]),
        (["FORCE_TORCHRUN=1", "USE_RAY=1"], ["choose one"]),
        (["NPROC_PER_NODE"], ["expected KEY=VALUE"]),
    ],
)
def test_bad_launch_variables_are_named_with_what_is_allowed(items, words):
    with pytest.raises(EaiError) as err:
        parse_env(items)
    for word in words:
        assert word in str(err.value)


def test_required_launch_variables_come_from_the_environment():
    env = load_profile("multi-node").env
    with pytest.raises(EaiError) as err:
        resolve_env(env, {}, "multi-node")
    assert "NODE_RANK" in str(err.value) and "eai train --profile multi-node" in str(err.value)
    resolved = resolve_env(env, {"NODE_RANK": "1", "MASTER_ADDR": "10.0.0.1"}, "multi-node")
    assert resolved == {"FORCE_TORCHRUN": "1", "NNODES": "2", "NPROC_PER_NODE": "4", "NODE_RANK": "1",
                        "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500"}
    with pytest.raises(EaiError, match="NODE_RANK=7 must be below NNODES=2"):
        resolve_env(env, {"NODE_RANK": "7", "MASTER_ADDR": "10.0.0.1"}, "multi-node")
