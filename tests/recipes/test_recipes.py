from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.hardware import Gpu
from eai_recipes.recipes.expand import check_deepspeed_json
from eai_recipes.recipes.launch_env import parse_env, resolve_env
from eai_recipes.recipes.profiles import available_profiles, load_profile, parse_sets, pick_profile_for
from eai_recipes.recipes.render import STAGES, render
from eai_recipes.recipes.sweeps import expand as expand_sweep
from eai_recipes.recipes.validate import involved_keys, validate_rendered


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("profile", available_profiles())
def test_every_profile_renders_flat_yaml_with_its_command_and_validates(in_tmp, profile):
    rendered = render(profile)
    assert set(rendered.files) == set(STAGES)
    for stage, path in rendered.files.items():
        text = path.read_text()
        first_lines = "\n".join(text.splitlines()[:3])
        assert " ".join(rendered.command(stage)) in first_lines
        config = yaml.safe_load(text)
        assert all(not isinstance(v, (dict, list)) for v in config.values()), "recipe must be flat"
        # No machine paths: everything is relative to the project root.
        assert not re.search(r":\s+/", text), text
    validate_rendered(rendered)


def test_paper_profile_holds_the_papers_hyperparameters(in_tmp):
    train = yaml.safe_load(render("paper").files["train"].read_text())
    expected = {
        "model_name_or_path": "microsoft/phi-4", "template": "phi4", "quantization_bit": 4,
        "quantization_type": "nf4", "double_quantization": True, "num_train_epochs": 3.0, "bf16": True,
        "learning_rate": 5e-5, "per_device_train_batch_size": 2, "gradient_accumulation_steps": 8,
        "lora_rank": 8, "lora_alpha": 16, "lora_dropout": 0.1, "lr_scheduler_type": "cosine",
        "warmup_steps": 50, "cutoff_len": 1024, "logging_steps": 100, "save_steps": 500, "plot_loss": True,
        "optim": "adamw_torch", "stage": "sft", "finetuning_type": "lora",
    }
    assert {k: train[k] for k in expected} == expected


def test_predict_recipes_differ_only_by_the_adapter(in_tmp):
    r = render("tiny")
    base = yaml.safe_load(r.files["predict_base"].read_text())
    adapter = yaml.safe_load(r.files["predict_adapter"].read_text())
    assert adapter.pop("adapter_name_or_path") == "runs/tiny/adapter"
    assert base.pop("output_dir").endswith("predict/base") and adapter.pop("output_dir").endswith("predict/adapter")
    assert base == adapter


def test_set_overrides_a_value_and_is_recorded_in_the_header(in_tmp):
    r = render("tiny", parse_sets(["learning_rate=1e-4", "lora_rank=16"]), run_name="sweep1")
    text = r.files["train"].read_text()
    config = yaml.safe_load(text)
    assert config["learning_rate"] == 1e-4 and config["lora_rank"] == 16
    assert "--set learning_rate=0.0001 lora_rank=16" in text
    assert r.run_dir == Path("runs/sweep1")


def test_unknown_key_is_named_with_a_suggestion(in_tmp):
    r = render("tiny", parse_sets(["lora_rnak=16"]))
    assert "lora_rnak: 16" in r.files["train"].read_text()  # lands in the file, under ### overrides
    with pytest.raises(EaiError) as err:
        validate_rendered(r, ["train"])
    msg = str(err.value)
    assert "train.yaml" in msg and "unknown key 'lora_rnak'" in msg and "lora_rank" in msg


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("learning_rate=fast", ["learning_rate", "a number"]),
        ("bf16=maybe", ["bf16", "true or false"]),
        ("lora_rank=8.5", ["lora_rank", "an integer"]),
        ("stage=dance", ["stage", "one of", "sft"]),
    ],
)
def test_wrong_type_is_named_with_what_is_allowed(in_tmp, setting, words):
    r = render("tiny", parse_sets([setting]))
    with pytest.raises(EaiError) as err:
        validate_rendered(r, ["train"])
    for word in words:
        assert word in str(err.value)


def test_value_llamafactory_refuses_is_reported_with_the_file_and_the_keys_involved(in_tmp):
    # LLaMA-Factory only quantizes LoRA/OFT fine-tuning: "Quantization is only compatible with the LoRA or OFT
    # method." names neither key.
    r = render("tiny", parse_sets(["finetuning_type=full"]))
    with pytest.raises(EaiError) as err:
        validate_rendered(r, ["train"])
    assert str(err.value).startswith(
        "runs/tiny/train.yaml: finetuning_type=full (set in --set), quantization_bit=4 (set in recipes/eai.yaml): "
        "LLaMA-Factory refuses this recipe: Quantization")


@pytest.mark.parametrize(
    ("message", "config", "keys"),
    [
        ("`predict_with_generate` cannot be set as True except SFT.",
         {"stage": "dpo", "predict_with_generate": True, "lora_rank": 16}, ["predict_with_generate", "stage"]),
        ("PPO only accepts wandb, tensorboard, or trackio logger.",
         {"stage": "ppo", "report_to": "wandb", "learning_rate": 1e-4}, ["stage", "report_to"]),
        ("Cannot resize embedding layers of a quantized model.",
         {"quantization_bit": 4, "resize_vocab": True, "model_name_or_path": "m", "lora_alpha": 16},
         ["quantization_bit", "resize_vocab"]),
        ("Please specify `max_steps` in streaming mode.", {"streaming": True}, ["max_steps", "streaming"]),
        ("Something nobody can tie to a key.", {"lora_rank": 16}, []),
    ],
)
def test_the_keys_a_refusal_is_about_are_found_from_its_words_and_the_values(message, config, keys):
    assert sorted(involved_keys(message, config, "train")) == sorted(keys)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("qwertyuiop", ["does not accept it", "`llamafactory-cli train -h` lists every key"]),
        ("lora_size", ["lora_alpha", "lora_dropout", "lora_rank", "llamafactory-cli train -h"]),
        ("batch_size", ["per_device_train_batch_size", "llamafactory-cli train -h"]),
    ],
)
def test_an_unknown_key_without_a_close_match_says_what_is_allowed(in_tmp, key, words):
    r = render("tiny", parse_sets([f"{key}=3"]))
    with pytest.raises(EaiError) as err:
        validate_rendered(r, ["train"])
    for word in words:
        assert word in str(err.value)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(EaiError) as err:
        load_profile("papper")
    assert "papper" in str(err.value) and "paper" in str(err.value) and "tiny" in str(err.value)


@pytest.mark.parametrize("bad", ["learning_rate", "=3", ""])
def test_set_without_key_value_is_refused(bad):
    with pytest.raises(EaiError, match="key=value"):
        parse_sets([bad])


def test_set_values_are_typed():
    assert parse_sets(["a=5e-5", "b=true", "c=8", "d=hello"]) == {"a": 5e-5, "b": True, "c": 8, "d": "hello"}


def test_validate_command_checks_a_directory_recursively(in_tmp, capsys):
    from eai_recipes.cli import main

    good = render("tiny")
    bad = in_tmp / "nested" / "deeper" / "typo.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(good.files["train"].read_text().replace("lora_rank:", "lora_rnak:"))
    assert main(["recipes", "validate", str(good.run_dir)]) == 0
    assert main(["recipes", "validate", "nested"]) == 1
    assert "unknown key 'lora_rnak'" in capsys.readouterr().err


def test_bad_profile_file_names_file_and_key(tmp_path):
    (tmp_path / "odd.yaml").write_text("recipe: eai\nvalues: [1, 2]\n")
    with pytest.raises(EaiError) as err:
        load_profile("odd", profiles_dir=tmp_path)
    assert "odd.yaml" in str(err.value) and "'values'" in str(err.value)


# ----------------------------------------------------------------------------- the shipped recipes tree

ROOT = paths.ROOT
ABSOLUTE = re.compile(r"^(/|~|[A-Za-z]:[\\/])")
SECRET_VALUE = re.compile(r"(hf_[A-Za-z0-9]{10,}|sk-[A-Za-z0-9]{10,}|ghp_[A-Za-z0-9]{10,}|xox[bp]-)")
SECRET_KEY = re.compile(r"(token|api_key|apikey|secret|password|passwd)$", re.IGNORECASE)


def test_shipped_recipes_tree_validates_recursively(capsys):
    from eai_recipes.cli import main

    assert main(["recipes", "validate", str(ROOT / "recipes")]) == 0
    out = capsys.readouterr().out
    for name in available_profiles():
        assert f"profiles/{name}.yaml (profile" in out
    sweeps = sorted((ROOT / "recipes" / "sweeps").rglob("*.yaml"))
    assert sweeps, "no sweep is shipped"
    for path in sweeps:
        assert f"sweeps/{path.name} (sweep: " in out
    assert "eai.yaml (recipe" in out
    assert "invalid" not in out


def _rendered_texts(root: Path) -> dict[Path, str]:
    return {p: p.read_text() for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".json")}


def test_no_rendered_file_holds_a_machine_path_or_a_secret(in_tmp, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyz")  # the environment must not leak in
    for name in available_profiles():
        render(name)
    for path in sorted((ROOT / "recipes" / "sweeps").rglob("*.yaml")):
        expand_sweep(path)
    texts = _rendered_texts(in_tmp / "runs")
    assert len([p for p in texts if p.name == "train.yaml"]) >= len(available_profiles()) + 2
    machine = [str(in_tmp), str(ROOT), str(Path.home())]
    for path, text in texts.items():
        assert not any(m in text for m in machine), path
        assert not SECRET_VALUE.search(text), path
        if path.suffix == ".yaml":
            for key, value in yaml.safe_load(text).items():
                assert not (isinstance(value, str) and ABSOLUTE.match(value)), (path, key, value)
                assert not SECRET_KEY.search(key), (path, key)


@pytest.mark.parametrize(("setting", "env_name"), [("hf_hub_token=hf_abcdefghijklmnopqrstuvwx", "HF_TOKEN"),
                                                   ("swanlab_api_key=abc123", "SWANLAB_API_KEY")])
def test_a_secret_is_refused_and_pointed_at_the_environment(in_tmp, setting, env_name):
    with pytest.raises(EaiError) as err:
        render("tiny", parse_sets([setting]))
    assert setting.split("=")[0] in str(err.value) and env_name in str(err.value)


def test_a_machine_path_is_rendered_with_a_warning(in_tmp, capsys):
    render("tiny", parse_sets(["model_name_or_path=/srv/models/phi-4"]))
    assert "model_name_or_path=/srv/models/phi-4 is a machine path" in capsys.readouterr().err


def test_an_absolute_out_inside_the_project_is_rendered_relative(in_tmp, capsys):
    from eai_recipes.cli import main

    assert main(["recipes", "render", "--profile", "tiny", "--out", str(in_tmp / "elsewhere"), "--no-validate"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert "llamafactory-cli train elsewhere/tiny/train.yaml" in captured.out
    texts = _rendered_texts(in_tmp / "elsewhere")
    assert len(texts) == len(STAGES)
    assert not any(str(in_tmp) in text for text in texts.values())
    assert yaml.safe_load(texts[in_tmp / "elsewhere" / "tiny" / "export.yaml"])["export_dir"] == "elsewhere/tiny/merged"


def test_an_absolute_out_outside_the_project_warns_once(tmp_path, monkeypatch, capsys):
    from eai_recipes.cli import main

    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    out = tmp_path / "scratch"
    assert main(["recipes", "render", "--profile", "tiny", "--out", str(out), "--no-validate"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert f"{out} is outside the current directory" in err and "only run on this machine" in err
    adapter = yaml.safe_load((out / "tiny" / "predict_adapter.yaml").read_text())["adapter_name_or_path"]
    assert adapter == f"{out.as_posix()}/tiny/adapter"  # rendered as asked, and said so


def test_staged_files_leave_the_run_directory_alone_until_committed(in_tmp):
    r = render("multi-gpu", stage_in=in_tmp / "scratch")
    assert not (in_tmp / "runs").exists()
    assert r.files["train"] == Path("runs/multi-gpu/train.yaml") and r.path_of("train").parent == in_tmp / "scratch"
    assert r.config("train")["deepspeed"] == "runs/multi-gpu/deepspeed.json"
    validate_rendered(r)  # the DeepSpeed JSON is read from the scratch copy
    r.commit()
    assert r.staged is None and r.path_of("train") == r.files["train"]
    assert sorted(p.name for p in r.run_dir.iterdir()) == sorted(
        ["deepspeed.json", *(f"{stage}.yaml" for stage in STAGES)])
    assert "llamafactory-cli train runs/multi-gpu/train.yaml" in r.files["train"].read_text()


# ---------------------------------------------------------------------------------- launch environment


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


def test_bad_env_in_a_profile_names_the_file(tmp_path):
    (tmp_path / "odd.yaml").write_text("recipe: eai\nenv: {NNODES: 3, NODE_RANK: 3, MASTER_ADDR: h}\nvalues: {}\n")
    with pytest.raises(EaiError, match=r"odd\.yaml.*NODE_RANK=3 must be below NNODES=3"):
        load_profile("odd", profiles_dir=tmp_path)


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


# ----------------------------------------------------------------------------------------- distributed


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
    assert "#   USE_RAY=1 llamafactory-cli train runs/ray/train.yaml" in _header(r.files["train"])
    train = yaml.safe_load(r.files["train"].read_text())
    assert train["ray_num_workers"] == 4 and not {k for k in train if k.startswith("ray_")} - ray_keys
    for removed in ("ray_run_name=x", "ray_storage_path=x", "resources_per_worker=x", "placement_strategy=x"):
        with pytest.raises(EaiError, match="unknown key"):
            validate_rendered(render("ray", parse_sets([removed])), ["train"])


# ------------------------------------------------------------------------------ monitoring and speed


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


def test_colab_t4_profile_is_fp16_with_gradient_checkpointing(in_tmp):
    train = _train("colab-t4")
    assert train["fp16"] is True and train.get("bf16") is False
    assert train["disable_gradient_checkpointing"] is False and train["flash_attn"] == "sdpa"
    assert train["per_device_train_batch_size"] * train["gradient_accumulation_steps"] == 16


# --------------------------------------------------------------------------------------- key routing


def test_keys_no_template_names_reach_the_train_files_but_not_export(in_tmp):
    r = render("tiny", parse_sets(["adam_beta2=0.99"]))
    for stage in ("train", "predict_base", "predict_adapter"):
        assert "adam_beta2: 0.99  # from --set" in r.files[stage].read_text()
    assert "adam_beta2" not in yaml.safe_load(r.files["export"].read_text())
    validate_rendered(r)


def test_a_typo_in_a_profile_is_caught_naming_the_profile(tmp_path, monkeypatch, capsys):
    from eai_recipes.cli import main

    profiles = tmp_path / "recipes" / "profiles"
    profiles.mkdir(parents=True)
    (tmp_path / "recipes" / "eai.yaml").write_text((ROOT / "recipes" / "eai.yaml").read_text())
    text = (ROOT / "recipes" / "profiles" / "tiny.yaml").read_text().replace("warmup_steps:", "warmup_stpes:")
    (profiles / "typo.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["recipes", "validate", "recipes"]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'warmup_stpes' (set in recipes/profiles/typo.yaml)" in err and "warmup_steps" in err


def test_a_serving_profile_is_skipped_not_misread(tmp_path, capsys):
    from eai_recipes.cli import main

    (tmp_path / "serve.yaml").write_text("model: {run: demo}\ngeneration: {top_p: 0.9}\n")
    assert main(["recipes", "validate", str(tmp_path)]) == 0
    assert "skip" in capsys.readouterr().out


# ----------------------------------------------------------------------------------- --profile auto


@pytest.mark.parametrize(
    ("gpu", "profile"),
    [
        (Gpu("NVIDIA L4", 22.5, (8, 9)), "paper"),
        (Gpu("Tesla T4", 15.0, (7, 5)), "colab-t4"),
        (Gpu("NVIDIA A100-SXM4-40GB", 39.6, (8, 0)), "a100"),
        (Gpu("NVIDIA H100 80GB HBM3", 79.6, (9, 0)), "a100"),
        (Gpu("NVIDIA L40S", 44.4, (8, 9)), "paper"),  # not an L4; bf16 -> the bf16 one-GPU profile
        (Gpu("Quadro RTX 8000", 47.0, (7, 5)), "colab-t4"),  # no bf16 -> fp16
    ],
)
def test_auto_picks_the_profile_for_the_gpu_and_says_why(gpu, profile):
    profiles = [load_profile(n) for n in available_profiles()]
    name, why = pick_profile_for(gpu, profiles)
    assert name == profile
    assert gpu.name in why and ("bf16" in why)


def test_auto_warns_when_the_gpu_is_smaller_than_the_profile_needs():
    profiles = [load_profile(n) for n in available_profiles()]
    name, why = pick_profile_for(Gpu("NVIDIA L4", 12.0, (8, 9)), profiles)
    assert name == "paper" and "warning" in why and "16 GB" in why


def test_auto_without_a_gpu_points_at_the_demo(in_tmp):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(EaiError, match="no CUDA GPU.*make demo"):
        render("auto")


def test_every_gpu_profile_states_its_memory_need():
    for name in available_profiles():
        profile = load_profile(name)
        if profile.requires_gpu:
            assert profile.gpu_memory_gb and profile.gpu_memory_gb > 0, name


@pytest.mark.parametrize("name", ["my run", "../outside", "a/../../b", ""])
def test_run_names_that_would_break_a_path_or_torchrun_are_refused(in_tmp, name):
    with pytest.raises(EaiError, match="run name"):
        render("tiny", run_name=name or "/")


def test_a_rendered_ray_file_with_a_mapping_is_still_validated(in_tmp, capsys):
    from eai_recipes.cli import main

    r = render("ray", parse_sets(["ray_init_kwargs={num_cpus: 4}"]))
    assert yaml.safe_load(r.files["train"].read_text())["ray_init_kwargs"] == {"num_cpus": 4}
    assert main(["recipes", "validate", str(r.files["train"])]) == 0
    assert "(config" in capsys.readouterr().out
