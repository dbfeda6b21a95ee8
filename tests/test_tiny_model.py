from __future__ import annotations

import hashlib
import re

import pytest

from eai_recipes.tiny_model import CHAT_TOKENS, build_tiny_model


def _digest(path):
    return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()


def test_same_seed_same_weights_other_seed_other_weights(tmp_path, tiny_model):
    again = build_tiny_model(tmp_path / "again", seed=0)
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert _digest(again) == _digest(tiny_model)
    assert _digest(other) != _digest(tiny_model)
    assert (again / "tokenizer.json").read_bytes() == (tiny_model / "tokenizer.json").read_bytes()


def test_is_phi3_with_phi4_chat_tokens(tiny_model):
    from transformers import AutoConfig, AutoTokenizer

    assert AutoConfig.from_pretrained(tiny_model).architectures == ["Phi3ForCausalLM"]
    tok = AutoTokenizer.from_pretrained(tiny_model)
    for token in CHAT_TOKENS:
        ids = tok.encode(token, add_special_tokens=False)
        assert len(ids) == 1 and tok.convert_ids_to_tokens(ids[0]) == token
    assert tok.eos_token == "<|im_end|>"


def test_llamafactory_phi4_template_encodes_with_it(tiny_model):
    from llamafactory.data import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    template = get_template_and_fix_tokenizer(tok, DataArguments(template="phi4"))
    messages = [{"role": "user", "content": "I feel anxious"}, {"role": "assistant", "content": "I am here."}]
    prompt_ids, answer_ids = template.encode_oneturn(tok, messages, system="You are EAI.")
    text = tok.decode(prompt_ids + answer_ids)
    for token in CHAT_TOKENS:
        assert token in text
    assert tok.unk_token_id not in prompt_ids  # role names and the words are all in the vocabulary


def test_generation_decodes_to_words(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    ids = tok.apply_chat_template([{"role": "user", "content": "I can't sleep"}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    torch.manual_seed(0)
    out = model.generate(**ids, max_new_tokens=12, do_sample=True, pad_token_id=tok.pad_token_id)
    new = out[0, ids["input_ids"].shape[1]:].tolist()
    tokens = [t for t in tok.convert_ids_to_tokens(new) if t not in tok.all_special_tokens]
    assert tokens, "generated nothing but special tokens"
    # Whole words or punctuation, never byte-level fragments such as 'Ġ' pieces or '<0xE2>'.
    assert all(re.fullmatch(r"\w+|[^\w\s]+", t) and not t.startswith("<0x") for t in tokens), tokens
    assert any(t.isalpha() and len(t) >= 3 for t in tokens)


def test_cli_refuses_to_overwrite_a_foreign_directory(tmp_path):
    from eai_recipes.cli import main

    (tmp_path / "notes.txt").write_text("mine")
    assert main(["tiny-model", "--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("flag", ["--help"])
def test_help_explains(capsys, flag):
    from eai_recipes.cli import main

    with pytest.raises(SystemExit):
        main(["tiny-model", flag])
    assert "phi4" in capsys.readouterr().out
