"""Our options expanded into LLaMA-Factory keys, and the checks on a merged recipe (secrets, paths, hardware)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.recipes.expand import check_deepspeed_json
from eai_recipes.recipes.launch_env import parse_env
from eai_recipes.recipes.profiles import parse_sets
from eai_recipes.recipes.render import render
from eai_recipes.recipes.validate import validate_rendered

ROOT = paths.ROOT






@pytest.mark.parametrize(("setting", "env_name"), [("hf_hub_token=hf_abcdefghijklmnopqrstuvwx", "HF_TOKEN"),
                                                   ("swanlab_api_key=abc123", "SWANLAB_API_KEY")])
def test_a_secret_is_refused_and_pointed_at_the_environment(in_tmp, setting, env_name):
    with pytest.raises(EaiError) as err:
        render("tiny", parse_sets([setting]))
    assert setting.split("=")[0] in str(err.value) and env_name in str(err.value)


def test_a_machine_path_is_rendered_with_a_warning(in_tmp, capsys):
    render("tiny", parse_sets(["model_name_or_path=/srv/models/phi-4"]))
    assert "model_name_or_path=/srv/models/phi-4 is a machine path" in capsys.readouterr().err


def test_deepspeed_configs_are_copied_into_the_run_and_used_by_training_only(in_tmp):
    import json

    for profile, shipped, stage in (("multi-gpu", "zero2.json", 2), ("multi-node", "zero3.json", 3)):
        r = render(profile)
        train = yaml.safe_load(r.files["train"].read_text())
        assert train["deepspeed"] == f"runs/{profile}/deepspeed.json"
        copy = json.loads(Path(train["deepspeed"]).read_text())
        assert copy == json.loads((ROOT / "recipes" / "deepspeed" / shipped).read_text())
        assert copy["zero_optimization"]["stage"] == stage
        for other in ("predict_base", "predict_adapter", "export"):
            assert "deepspeed" not in yaml.safe_load(r.files[other].read_text())


def test_every_shipped_deepspeed_config_leaves_batch_sizes_to_the_recipe():
    import json

    configs = sorted((ROOT / "recipes" / "deepspeed").glob("*.json"))
    assert {p.stem for p in configs} >= {"zero2", "zero3"}
    for path in configs:
        config = json.loads(path.read_text())
        assert check_deepspeed_json(path, str(path)) in (2, 3)
        for key in ("train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps"):
            assert config[key] == "auto", (path, key)


@pytest.mark.parametrize(
    ("profile", "settings", "words"),
    [
        ("multi-gpu", ["deepspeed=zero9"], ["deepspeed", "zero2", "zero3"]),
        ("tiny", ["deepspeed=zero2"], ["deepspeed", "needs a CUDA GPU", "tiny"]),
        ("tiny", ["ddp_backend=gloo"], ["ddp_backend", "FORCE_TORCHRUN"]),
        ("tiny", ["use_unsloth=true"], ["use_unsloth", "CUDA GPU"]),
        ("tiny", ["enable_liger_kernel=true"], ["enable_liger_kernel", "CUDA GPU"]),
        ("tiny", ["flash_attn=fa2"], ["flash_attn", "auto, disabled, sdpa"]),
        ("multi-node", ["use_unsloth=true"], ["use_unsloth", "ZeRO-3"]),
    ],
)
def test_options_are_refused_where_they_cannot_work(in_tmp, profile, settings, words):
    with pytest.raises(EaiError) as err:
        render(profile, parse_sets(settings))
    for word in words:
        assert word in str(err.value)


def test_ddp_backend_renders_under_a_torchrun_launch_and_validates(in_tmp):
    r = render("tiny", parse_sets(["ddp_backend=gloo"]),
                       env=parse_env(["FORCE_TORCHRUN=1", "NPROC_PER_NODE=2"]))
    assert yaml.safe_load(r.files["train"].read_text())["ddp_backend"] == "gloo"
    assert "ddp_backend applies under torchrun" in validate_rendered(r, ["train"])
    bad = render("tiny", parse_sets(["ddp_backend=glue"]), env={"FORCE_TORCHRUN": "1"})
    with pytest.raises(EaiError, match="ddp_backend.*one of nccl, gloo"):
        validate_rendered(bad, ["train"])


def test_ray_profile_uses_only_the_ray_keys_of_llamafactory_0_9_5(in_tmp):
    import dataclasses

    from llamafactory.hparams.training_args import RayArguments

    ray_keys = {f.name for f in dataclasses.fields(RayArguments)}
    assert ray_keys == {"ray_num_workers", "ray_init_kwargs", "master_addr", "master_port"}
    r = render("ray")
    assert "#   USE_RAY=1 llamafactory-cli train runs/ray/train.yaml" in r.files["train"].read_text()
    train = yaml.safe_load(r.files["train"].read_text())
    assert train["ray_num_workers"] == 4 and not {k for k in train if k.startswith("ray_")} - ray_keys
    for removed in ("ray_run_name=x", "ray_storage_path=x", "resources_per_worker=x", "placement_strategy=x"):
        with pytest.raises(EaiError, match="unknown key"):
            validate_rendered(render("ray", parse_sets([removed])), ["train"])


def _train(profile: str, *settings: str) -> dict:
    return yaml.safe_load(render(profile, parse_sets(list(settings))).files["train"].read_text())


def test_tracker_default_is_tensorboard_offline_with_the_loss_plot(in_tmp):
    train = _train("tiny")
    assert train["report_to"] == "tensorboard" and train["plot_loss"] is True
    assert "tracker" not in train and not any(k.startswith("swanlab") for k in train)
    assert _train("tiny", "tracker=none")["report_to"] == "none"


def test_tracker_swanlab_renders_llamafactorys_keys_local_by_default(in_tmp):
    r = render("paper", parse_sets(["tracker=swanlab"]))
    train = yaml.safe_load(r.files["train"].read_text())
    assert {k: train[k] for k in ("use_swanlab", "swanlab_project", "swanlab_mode", "swanlab_run_name",
                                  "swanlab_logdir", "report_to")} == {
        "use_swanlab": True, "swanlab_project": "eai", "swanlab_mode": "local", "swanlab_run_name": "paper",
        "swanlab_logdir": "runs/paper/swanlog", "report_to": "none"}
    validate_rendered(r, ["train"])
    assert _train("paper", "tracker=swanlab", "swanlab_mode=cloud")["swanlab_mode"] == "cloud"
    with pytest.raises(EaiError, match="swanlab_mode.*one of cloud, local"):
        validate_rendered(render("paper", parse_sets(["tracker=swanlab",
                                                                              "swanlab_mode=offline"])), ["train"])


def test_tracker_wandb_and_bad_trackers(in_tmp):
    train = _train("paper", "tracker=wandb")
    assert train["report_to"] == "wandb" and train["run_name"] == "paper"
    with pytest.raises(EaiError, match="tracker.*'mlflw'.*none, tensorboard, swanlab, wandb"):
        _train("paper", "tracker=mlflw")
    with pytest.raises(EaiError, match="swanlab_mode.*only with tracker: swanlab"):
        _train("paper", "swanlab_mode=cloud")
    with pytest.raises(EaiError, match="report_to.*set by 'tracker'"):
        _train("paper", "report_to=wandb")
    assert _train("paper", "tracker=none", "report_to=mlflow")["report_to"] == "mlflow"


def test_speed_options_go_only_into_the_stages_where_they_are_valid(in_tmp):
    r = render("a100", parse_sets(["enable_liger_kernel=true"]))
    configs = {stage: yaml.safe_load(path.read_text()) for stage, path in r.files.items()}
    assert configs["train"]["flash_attn"] == "fa2" and configs["train"]["neat_packing"] is True
    assert configs["train"]["enable_liger_kernel"] is True
    for stage in ("predict_base", "predict_adapter"):
        assert configs[stage]["flash_attn"] == "fa2"
        assert "neat_packing" not in configs[stage] and "enable_liger_kernel" not in configs[stage]
    assert not {"flash_attn", "neat_packing", "enable_liger_kernel"} & set(configs["export"])
    notes = validate_rendered(r)
    assert any("enable_liger_kernel" in n for n in notes) or importlib.util.find_spec("liger_kernel")


def test_keys_no_template_names_reach_the_train_files_but_not_export(in_tmp):
    r = render("tiny", parse_sets(["adam_beta2=0.99"]))
    for stage in ("train", "predict_base", "predict_adapter"):
        assert "adam_beta2: 0.99  # from --set" in r.files[stage].read_text()
    assert "adam_beta2" not in yaml.safe_load(r.files["export"].read_text())
    validate_rendered(r)


def test_colab_t4_profile_is_fp16_with_gradient_checkpointing(in_tmp):
    train = _train("colab-t4")
    assert train["fp16"] is True and train.get("bf16") is False
    assert train["disable_gradient_checkpointing"] is False and train["flash_attn"] == "sdpa"
    assert train["per_device_train_batch_size"] * train["gradient_accumulation_steps"] == 16
