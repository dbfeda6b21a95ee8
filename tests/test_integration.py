"""Real llamafactory-cli runs on the tiny model, on CPU: QLoRA and LoRA SFT, predict with
predict_with_generate for the base model and the adapter, export (merge), and the demo that chains them."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import yaml
from conftest import run_eai

pytestmark = pytest.mark.integration


def test_demo_trains_a_4bit_qlora_adapter(trained_run):
    train_log = (trained_run / "logs" / "train.log").read_text()
    assert "Quantizing model to 4 bit with bitsandbytes" in train_log
    config = yaml.safe_load((trained_run / "train.yaml").read_text())
    assert (config["quantization_type"], config["double_quantization"]) == ("nf4", True)
    adapter = json.loads((trained_run / "adapter" / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA" and adapter["r"] == 8 and adapter["lora_alpha"] == 16
    state = json.loads((trained_run / "adapter" / "trainer_state.json").read_text())
    assert state["global_step"] == config["max_steps"]
    losses = [e["loss"] for e in state["log_history"] if "loss" in e]
    assert losses[-1] < losses[0], "training did not reduce the loss"
    # A model that learned nothing predicts every word with probability 1/vocab: eval loss ln(vocab).
    vocab = json.loads((trained_run.parent.parent / "models" / "tiny-phi4" / "config.json").read_text())["vocab_size"]
    eval_losses = [e["eval_loss"] for e in state["log_history"] if "eval_loss" in e]
    assert eval_losses[-1] < math.log(vocab) - 1.0, (eval_losses, math.log(vocab))
    assert (trained_run / "adapter" / "training_loss.png").stat().st_size > 1000


def test_demo_predicts_with_base_and_adapter_on_the_same_data(trained_run):
    val = json.loads((trained_run.parent.parent / "data" / "eai_val.json").read_text())
    labels = {}
    for model in ("base", "adapter"):
        out = trained_run / "predict" / model
        rows = [json.loads(line) for line in (out / "generated_predictions.jsonl").read_text().splitlines()]
        assert len(rows) == len(val)
        labels[model] = [r["label"] for r in rows]
        assert sum(bool(r["predict"].strip()) for r in rows) >= len(rows) * 0.9, f"{model} answered nothing"
        metrics = json.loads((out / "predict_results.json").read_text())
        assert {"predict_rouge-1", "predict_samples_per_second"} <= set(metrics)
    assert labels["base"] == labels["adapter"]


def test_demo_exports_a_merged_model_that_generates(trained_run):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = trained_run / "merged"
    tok = AutoTokenizer.from_pretrained(merged)
    model = AutoModelForCausalLM.from_pretrained(merged)
    assert not any("lora" in name for name, _ in model.named_parameters())
    ids = tok.apply_chat_template([{"role": "user", "content": "I feel anxious"}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    out = model.generate(**ids, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] > ids["input_ids"].shape[1]
    assert (merged / "Modelfile").exists()


def test_demo_prints_the_comparison_table_and_paths(demo_run):
    run_dir, proc = demo_run
    out = proc.stdout
    assert "| Metric | EAI (fine-tuned) | Base model |" in out
    assert "ROUGE-1 (rouge-score, stemmed)" in out and "(LLaMA-Factory, jieba)" in out
    assert "Samples per second" in out
    assert str(run_dir.relative_to(run_dir.parent.parent) / "merged") in out
    metrics = json.loads((run_dir / "eval" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"adapter", "base"}


def test_plain_lora_without_quantization(workdir):
    run_eai("train", "--profile", "tiny", "--run-name", "lora", "--set", "quantization_bit=null",
            "--set", "max_steps=4", cwd=workdir)
    run = workdir / "runs" / "lora"
    assert "quantization_bit" not in yaml.safe_load((run / "train.yaml").read_text())
    assert "Quantizing model" not in (run / "logs" / "train.log").read_text()
    assert (run / "adapter" / "adapter_model.safetensors").exists()


def test_failing_llamafactory_run_reports_exit_code_and_log(workdir):
    broken = workdir / "models" / "broken"
    shutil.copytree(workdir / "models" / "tiny-phi4", broken, dirs_exist_ok=True)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    proc = run_eai("train", "--profile", "tiny", "--run-name", "broken",
                   "--set", "model_name_or_path=models/broken", cwd=workdir, check=False)
    assert proc.returncode != 0
    log = workdir / "runs" / "broken" / "logs" / "train.log"
    assert "exited with code" in proc.stderr and str(log.relative_to(workdir)) in proc.stderr
    assert log.exists()


def test_make_targets_call_the_tested_commands():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for target, command in (("demo", "eai demo"), ("test", "pytest"), ("setup", "scripts/setup.sh"),
                            ("train", "eai train --profile auto --build-data"), ("sweep", "eai sweep tiny_lr"),
                            ("webui", "eai webui"), ("chat", "eai serve --profile tiny"),
                            ("report", "eai report demo"), ("eval", "eai eval --profile auto")):
        dry = subprocess.run(["make", "-n", "-C", str(root), target], capture_output=True, text=True, check=True)
        assert command in dry.stdout, (target, dry.stdout)
