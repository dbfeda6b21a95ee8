"""The preference pass launched for real: llamafactory-cli DPO on the tiny model from the demo's SFT adapter,
resumed from a checkpoint, evaluated against the SFT adapter, and a two-point pref_beta sweep; plus the
checks that stop a chained run before any model loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from eai_recipes.errors import EaiError
from eai_recipes.launch.run import check_from_run
from eai_recipes.recipes.render import render

# Small enough for a shared 2-core CPU: a few steps on a few pairs.
SMALL = ["--set", "max_steps=2", "--set", "save_steps=1", "--set", "logging_steps=1", "--set", "eval_steps=2",
         "--set", "max_samples=16", "--set", "cutoff_len=128"]


def _finished_run(root: Path, name: str, **record) -> Path:
    adapter = root / "runs" / name / "adapter"
    adapter.mkdir(parents=True)
    (adapter / "train_results.json").write_text("{}")
    (adapter / "adapter_config.json").write_text("{}")
    config = {"model_name_or_path": "models/tiny-phi4", "template": "phi4", "finetuning_type": "lora",
              "quantization_bit": 4, "stage": "sft", **record}
    (root / "runs" / name / ".train_config.json").write_text(json.dumps(config))
    return adapter


def test_a_preference_recipe_needs_a_finished_sft_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EaiError, match="is a pass after SFT: add --from-run"):
        check_from_run(render("tiny", recipe="eai_dpo", run_name="x"))
    (tmp_path / "runs" / "half" / "adapter" / "checkpoint-2").mkdir(parents=True)
    with pytest.raises(EaiError) as err:
        check_from_run(render("tiny", recipe="eai_dpo", from_run="half", run_name="x"))
    assert "--from-run half: runs/half/adapter is not a finished run" in str(err.value)
    assert "eai train --profile tiny --run-name half" in str(err.value)
    _finished_run(tmp_path, "other", model_name_or_path="microsoft/phi-4")
    with pytest.raises(EaiError) as err:
        check_from_run(render("tiny", recipe="eai_dpo", from_run="other", run_name="x"))
    assert "model_name_or_path: 'microsoft/phi-4' there, 'models/tiny-phi4' here" in str(err.value)
    _finished_run(tmp_path, "sft")
    check_from_run(render("tiny", recipe="eai_dpo", from_run="sft", run_name="x"))  # fine
    with pytest.raises(EaiError, match="that is this run"):
        check_from_run(render("tiny", recipe="eai_dpo", from_run="sft", run_name="sft"))


def test_train_refuses_before_any_work_without_a_finished_sft_run(tmp_path, monkeypatch, capsys):
    from eai_recipes.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["train", "--profile", "tiny", "--recipe", "eai_dpo", "--from-run", "nothing", "--run-name", "d"])
    assert code != 0
    err = capsys.readouterr().err
    assert "--from-run nothing: runs/nothing/adapter is not a finished run" in err
    assert not (tmp_path / "runs" / "d" / "logs").exists()  # llamafactory-cli never started


# ------------------------------------------------------------------------------------ for real (integration)


@pytest.fixture(scope="module")
def dpo_run(trained_run):
    """`eai train --recipe eai_dpo --from-run itest` in the demo's working directory (2 DPO steps)."""
    from conftest import run_eai

    workdir = trained_run.parent.parent
    proc = run_eai("train", "--profile", "tiny", "--recipe", "eai_dpo", "--from-run", trained_run.name,
                   "--run-name", "itest-dpo", *SMALL, cwd=workdir)
    return workdir / "runs" / "itest-dpo", proc


@pytest.mark.integration
def test_dpo_trains_from_the_sft_adapter_against_the_sft_reference(dpo_run):
    run_dir, proc = dpo_run
    adapter = run_dir / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file() and (adapter / "train_results.json").is_file()
    assert (adapter / "training_loss.png").is_file()  # the loss plot
    state = json.loads((adapter / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    assert any("rewards/accuracies" in e for e in state["log_history"])  # DPO's own figures were logged
    log = (run_dir / "logs" / "train.log").read_text()
    assert log.count("Loaded adapter(s): runs/itest/adapter") == 2  # the policy and the reference
    assert "Created reference model from models/tiny-phi4" in log
    header = (run_dir / "train.yaml").read_text().split("### model")[0]
    assert "Reference model: the SFT model" in header


@pytest.mark.integration
def test_an_interrupted_dpo_run_resumes_from_its_last_checkpoint(dpo_run):
    from conftest import run_eai

    run_dir, _ = dpo_run
    work = run_dir.parent.parent
    scratch = work / "runs" / "itest-dpo-resume"
    shutil.copytree(run_dir, scratch)
    adapter = scratch / "adapter"
    # What a kill between the first and second save leaves: checkpoint-1 complete, no train_results.json.
    shutil.rmtree(adapter / "checkpoint-2")
    (adapter / "train_results.json").unlink()
    for name in ("train.yaml", "predict_base.yaml"):  # the copied files name the first run's directory
        (scratch / name).unlink(missing_ok=True)
    record = json.loads((scratch / ".train_config.json").read_text())
    record["output_dir"] = "runs/itest-dpo-resume/adapter"
    (scratch / ".train_config.json").write_text(json.dumps(record))
    (scratch / ".validated.json").unlink(missing_ok=True)
    (scratch / "logs" / "train.log").unlink()
    second = run_eai("train", "--profile", "tiny", "--recipe", "eai_dpo", "--from-run", "itest",
                     "--run-name", "itest-dpo-resume", *SMALL, cwd=work)
    assert "resuming from runs/itest-dpo-resume/adapter/checkpoint-1" in second.stderr
    log = (scratch / "logs" / "train.log").read_text()
    assert "Resuming training from runs/itest-dpo-resume/adapter/checkpoint-1" in log
    assert json.loads((adapter / "trainer_state.json").read_text())["global_step"] == 2
    assert (adapter / "train_results.json").is_file()


@pytest.mark.integration
def test_eval_compares_sft_with_sft_plus_dpo_and_the_card_names_the_stage(dpo_run):
    from conftest import run_eai

    run_dir, _ = dpo_run
    work = run_dir.parent.parent
    proc = run_eai("eval", "--profile", "tiny", "--recipe", "eai_dpo", "--from-run", "itest",
                   "--run-name", "itest-dpo", "--set", "max_samples=6", "--bootstrap-resamples", "200", cwd=work)
    for d in ("predict/base", "predict/adapter", "predict/sft", "predict-crisis/sft", "predict-crisis/adapter"):
        assert (run_dir / d / "generated_predictions.jsonl").is_file(), d
    stages = json.loads((run_dir / "eval" / "stages.json").read_text())
    assert stages["from_run"] == "runs/itest"
    for m in ("sft", "adapter"):
        assert stages["models"][m]["n"] == 6 and stages["models"][m]["crisis"]["n"] == 6
        assert set(stages["models"][m]["rouge"]) == {"rouge1", "rouge2", "rougeL"}
        assert 0 <= stages["models"][m]["crisis"]["rate"]["mean"] <= 100
    assert "Crisis-handling rate (%)" in proc.stdout and "SFT + preference pass" in proc.stdout
    table = (run_dir / "eval" / "stages.md").read_text()
    assert "| ROUGE-L (rouge-score, stemmed) |" in table
    run_eai("report", "itest-dpo", cwd=work)
    card = (run_dir / "report" / "MODEL_CARD.md").read_text()
    assert "**Training stage:** DPO preference pass" in card and "SFT adapter `runs/itest/adapter`" in card
    assert "SFT vs SFT + preference pass" in (run_dir / "report" / "report.md").read_text()
    sft_card = (run_dir.parent / "itest" / "report" / "MODEL_CARD.md")
    if sft_card.is_file():  # the demo's own card says SFT
        assert "**Training stage:** SFT" in sft_card.read_text()


@pytest.mark.integration
def test_a_two_point_pref_beta_sweep_runs_offline(trained_run):
    from conftest import run_eai

    from eai_recipes import paths

    work = trained_run.parent.parent
    sweep = yaml.safe_load((paths.RECIPES_DIR / "sweeps" / "tiny_dpo_beta.yaml").read_text())
    sweep["from_run"] = trained_run.name  # the shipped sweep follows runs/demo; here the demo ran as itest
    sweep["set"].update(max_steps=1, save_steps=1, eval_steps=1, max_samples=8, cutoff_len=128)
    path = work / "tiny_dpo_beta.yaml"
    path.write_text(yaml.safe_dump(sweep))
    run_eai("sweep", str(path), cwd=work)
    results = (work / "runs" / "tiny_dpo_beta" / "results.md").read_text()
    assert "beta0.1" in results and "beta0.5" in results
    for point in ("beta0.1", "beta0.5"):
        train = yaml.safe_load((work / "runs" / "tiny_dpo_beta" / point / "train.yaml").read_text())
        assert train["stage"] == "dpo" and train["ref_model_adapters"] == "runs/itest/adapter"
        assert (work / "runs" / "tiny_dpo_beta" / point / "adapter" / "train_results.json").is_file()
