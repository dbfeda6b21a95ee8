"""A tiny Phi-3-architecture model for offline tests and the demo.

Phi-4 is a `Phi3ForCausalLM`; this model is one too, with a word-level tokenizer that carries Phi-4's chat
tokens, so LLaMA-Factory's `phi4` template applies unchanged. A word-level vocabulary (learned from the
text the project ships) makes even a randomly initialised model emit whole words, so the demo's predictions
and the chat page stay legible.
"""

from __future__ import annotations

import json
from pathlib import Path

from eai_recipes import paths
from eai_recipes.facts import CHAT_TOKENS, IM_END, IM_SEP, IM_START
from eai_recipes.identity import system_prompt

# Phi-4's chat tokens (eai_recipes/facts) plus the padding/EOS tokens its tokenizer declares.
SPECIAL_TOKENS = ["<|endoftext|>", "<|dummy_pad|>", *CHAT_TOKENS, "<unk>"]

# Same Jinja chat template as microsoft/phi-4, so transformers' apply_chat_template agrees with `phi4`.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    f"{{{{ '{IM_START}' + message['role'] + '{IM_SEP}' + message['content'] + '{IM_END}' }}}}"
    "{% endfor %}"
    f"{{% if add_generation_prompt %}}{{{{ '{IM_START}assistant{IM_SEP}' }}}}{{% endif %}}"
)

# Role names (the `phi4` template writes them as plain words) and everyday words, so that the vocabulary
# covers ordinary replies even where the shipped corpus is thin.
BASE_WORDS = """
system user assistant
I you he she it we they me him her us them my your his its our their mine yours myself yourself
a an the this that these those some any all each every no not none nothing something anything everything
is am are was were be been being have has had do does did will would can could should may might must shall
and or but so because if when while though although until unless since as than then also too very really
just only still even yet again already always never often sometimes usually maybe perhaps
what who whom whose which where why how here there now today tonight tomorrow yesterday soon later
feel feels feeling felt think thought know knew want wanted need needed try tried help helped talk talked
say said tell told hear heard listen listened see saw look looked find found give gave take took make made
go went come came get got keep kept let leave left stay stayed start started stop stopped work worked
sleep slept eat ate breathe rest walk write call ask asked understand understood remember forget care
sad sadness happy glad angry anxious anxiety worried worry stress stressed stressful tired exhausted lonely
alone afraid scared fear calm safe hurt pain overwhelmed hopeless hope grief loss low down upset frustrated
okay fine good bad better worse best worst hard difficult easy heavy small big little much many more most
less least enough same different new old true real important possible normal natural okay ok
time day days week weeks month year years night morning evening moment life world home family friend
friends partner parents mother father child children people person someone everyone nobody yourself
school work job exam exams class study boss team relationship relationships health mind body heart
thing things way ways step steps question questions answer support companion therapist counsellor
professional emotions emotion thoughts feelings situation problem problems reason reasons choice
with without about for from to in on at by of off out up over under into through after before during
around between against toward towards like
one two three first last next other another own each few several
yes no please thank thanks sorry welcome hello hi
it's I'm you're that's don't can't won't isn't doesn't didn't I've you've let's there's
. , ! ? ' " : ; - ( )
"""

# The shipped data, not the documentation about it: the vocabulary keeps its most frequent 4,096 words, and a
# README edited for a new figure would otherwise change the vocabulary, and with it every tiny-model output.
CORPUS_SUFFIXES = {".json", ".jsonl", ".csv", ".txt", ".yaml"}


# The crisis screen's own training and test batches (thousands of written messages) would outweigh the
# counselling data the tiny model stands in for; its vocabulary comes from the rest.
CORPUS_SKIP = ({"crisis", "train"}, {"crisis", "blind"}, {"crisis", "unseen"}, {"crisis", "classifier"})


def corpus_files(root: Path) -> list[Path]:
    """The shipped text the vocabulary is learned from, in a stable order."""
    return [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in CORPUS_SUFFIXES
            and not any(skip <= set(p.relative_to(root).parts) for skip in CORPUS_SKIP)]


def corpus_lines(files: list[Path]):
    yield system_prompt()
    yield from BASE_WORDS.split("\n")
    for path in files:
        yield from path.read_text(encoding="utf-8", errors="replace").splitlines()


def build_tokenizer(vocab_size: int, files: list[Path]):
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    # Whitespace splits punctuation off words; the decoder puts the text back together with spaces, and
    # `clean_up_tokenization_spaces` reattaches the punctuation.
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, min_frequency=1)
    tok.train_from_iterator(corpus_lines(files), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|dummy_pad|>",
        unk_token="<unk>",
        additional_special_tokens=CHAT_TOKENS,
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=True,
        model_max_length=2048,
    )


# LoRA trains neither the output layer nor the final norm. With the usual 0.02 initialisation a 64-wide model's
# logits stay within about +-1 whatever the hidden state, so no adapter could move its output distribution
# away from uniform (the loss sticks at ln(vocab)). A wider output layer lets the demo's adapter learn.
LM_HEAD_STD = 0.15


def build_tiny_model(out: Path, *, seed: int = 0, vocab_size: int = 4096, hidden_size: int = 64,
                     layers: int = 2, heads: int = 4, corpus_root: Path | None = None) -> Path:
    """Write a deterministic tiny Phi3ForCausalLM and its tokenizer to `out`; return `out`."""
    import torch
    from transformers import Phi3Config, Phi3ForCausalLM

    corpus_root = corpus_root or paths.DATASET_INFO_DIR
    files = corpus_files(corpus_root)
    tokenizer = build_tokenizer(vocab_size, files)
    config = Phi3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Phi3ForCausalLM(config)
    with torch.no_grad():
        model.lm_head.weight.normal_(0.0, LM_HEAD_STD)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "eai_tiny_model.json").write_text(
        json.dumps({"seed": seed, "vocab_size": len(tokenizer), "corpus_files": len(files)}, indent=2) + "\n"
    )
    return out


def is_built(out: Path) -> bool:
    return (out / "config.json").exists() and (out / "tokenizer.json").exists() and (
        out / "model.safetensors"
    ).exists()
