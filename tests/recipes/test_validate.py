"""Validation by LLaMA-Factory's parser: unknown keys, wrong types, refusals tied to their keys."""

from __future__ import annotations

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.recipes.profiles import parse_sets
from eai_recipes.recipes.render import render
from eai_recipes.recipes.validate import involved_keys, validate_rendered


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
