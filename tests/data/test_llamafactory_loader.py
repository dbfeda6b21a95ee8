"""The built files go through LLaMA-Factory's own data loader (get_dataset) with the rendered dataset_info.json
and the tiny model's tokenizer, as `llamafactory-cli train` would load them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest


def _load(tiny_model: Path, data_dir: Path, tmp_path: Path, **stage: object):
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    args = dict(model_name_or_path=str(tiny_model), stage="sft", finetuning_type="lora", template="phi4",
                dataset_dir=str(data_dir), cutoff_len=512, output_dir=str(tmp_path / "lf"), overwrite_cache=True,
                report_to="none", **stage)
    model_args, data_args, training_args, _, _ = get_train_args(args)
    tokenizer_module = load_tokenizer(model_args)
    tokenizer = tokenizer_module["tokenizer"]
    template = get_template_and_fix_tokenizer(tokenizer, data_args)
    return tokenizer, get_dataset(template, model_args, data_args, training_args, stage="sft", **tokenizer_module)


def test_train_and_validation_load_through_llamafactory(tiny_model, offline_build, tmp_path):
    out, manifest = offline_build
    tokenizer, module = _load(tiny_model, out, tmp_path, do_train=True, dataset="eai_train", eval_dataset="eai_val")
    assert len(module["train_dataset"]) == manifest["totals"]["train_rows"]
    assert len(module["eval_dataset"]) == manifest["totals"]["val_rows"]
    first = json.loads((out / "eai_train.json").read_text())[0]
    text = tokenizer.decode(module["train_dataset"][0]["input_ids"])
    # the identity prompt sits in the system turn, the user's words in the user turn (phi4 template)
    system_part, user_part = re.split(r"<\|im_start\|>\s*user", text, maxsplit=1)
    assert "system" in system_part and "mental health companion developed by G033" in system_part
    assert " ".join(first["instruction"].split()[:4]) in re.split(r"<\|im_start\|>\s*assistant", user_part)[0]
    assert first["instruction"] not in system_part


def test_every_source_entry_loads(tiny_model, offline_build, tmp_path):
    out, manifest = offline_build
    names = ",".join(f"eai_src_{key}" for key in manifest["sources"])
    _, module = _load(tiny_model, out, tmp_path, do_train=True, dataset=names)
    assert len(module["train_dataset"]) == sum(s["kept"] for s in manifest["sources"].values())


def test_humaneval_questions_load_for_prediction(tiny_model, offline_build, tmp_path):
    out, manifest = offline_build
    if "eai_humaneval.json" not in manifest["outputs"]:
        pytest.skip("dataset_info/humaneval_questions.json is not there")
    questions = json.loads((out / "eai_humaneval.json").read_text())
    _, module = _load(tiny_model, out, tmp_path, do_predict=True, predict_with_generate=True,
                      eval_dataset="eai_humaneval")
    assert len(module["eval_dataset"]) == len(questions)  # an empty response is accepted for generation
