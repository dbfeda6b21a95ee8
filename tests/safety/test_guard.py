"""The model guard: its prompt, its strict parsers, and a real call through LLaMA-Factory's ChatModel with the
tiny model (its labels are noise: what is tested is that every path ends in a verdict, and that a failure or a
timeout is reported as one, never as a pass)."""

from __future__ import annotations

import pytest
from conftest import load_tiny_chat_model

from eai_recipes.safety import guard

CONVERSATION = [
    {"role": "user", "content": "first " + "x" * 2000},
    {"role": "assistant", "content": "I'm here."},
    *[{"role": r, "content": f"turn {i}"} for i, r in enumerate(["user", "assistant"] * 3)],
    {"role": "user", "content": "I've decided. Sunday is the day."},
]


def test_prompt_holds_the_recent_turns_only_each_cut():
    prompt = guard.render_self_prompt(CONVERSATION)
    assert "Sunday is the day" in prompt and "first" not in prompt  # only the last RECENT_MESSAGES messages
    assert prompt.count("User:") + prompt.count("Assistant:") == guard.RECENT_MESSAGES
    assert all(label in prompt for label in guard.SELF_LABELS)
    long = guard.transcript([{"role": "user", "content": "y" * 5000}])
    assert len(long) < guard.MAX_CHARS_PER_MESSAGE + 20 and long.startswith("User: ...")
    llama = guard.render_llama_guard_prompt(CONVERSATION)
    assert "S11: Self-Harm." in llama and "Agent: turn" in llama and "ONLY THE LAST User message" in llama


@pytest.mark.parametrize("answer,level", [("CRISIS", "crisis"), (" concern.\n", "concern"), ("Safe", "none")])
def test_self_label_parser_accepts_exactly_one_label(answer, level):
    assert guard.parse_self_label(answer) == level


@pytest.mark.parametrize("answer", ["", "CRISIS CRISIS", "Crisis: the user is at risk", "I think SAFE", "unsafe",
                                    "SAFE\nCRISIS", "crisis!"])
def test_self_label_parser_refuses_anything_else(answer):
    with pytest.raises(guard.GuardFailure):
        guard.parse_self_label(answer)


@pytest.mark.parametrize("answer,expected", [
    ("safe", ("none", None)),
    ("unsafe\nS11", ("crisis", "suicide")),
    ("unsafe\nS1,S11", ("crisis", "suicide")),  # the most severe of ours
    ("\nunsafe\nS1\n", ("crisis", "harm_others")),
    ("unsafe\nS10", ("none", None)),  # hate speech: not a crisis for EAI
])
def test_llama_guard_parser_maps_categories(answer, expected):
    assert guard.parse_llama_guard(answer) == expected


@pytest.mark.parametrize("answer", ["unsafe", "Safe", "unsafe\nS99", "unsafe\nviolence", "safe\nS1", "yes"])
def test_llama_guard_parser_refuses_anything_else(answer):
    with pytest.raises(guard.GuardFailure):
        guard.parse_llama_guard(answer)


def test_load_guard_none_and_self():
    served = object()
    assert guard.load_guard(None, served) is None
    assert guard.load_guard("self", served, timeout_s=3).chat_model is served


@pytest.fixture(scope="module")
def tiny_chat_model(tiny_model, tmp_path_factory):
    """The tiny base model through LLaMA-Factory's ChatModel, as `eai serve --profile tiny` loads it."""
    return load_tiny_chat_model(tiny_model, tmp_path_factory.mktemp("guard"))[0]


def test_self_guard_end_to_end_gives_a_verdict(tiny_chat_model):
    verdict = guard.ModelGuard(tiny_chat_model, "self", timeout_s=60).check_sync(CONVERSATION)
    assert verdict.seconds > 0
    if verdict.ok:  # the tiny model happened to answer a label
        assert verdict.level in ("crisis", "concern", "none")
    else:
        assert verdict.reason.startswith("guard failure") and verdict.level == "none"
    assert "Sunday" not in verdict.reason


def test_llama_guard_kind_end_to_end_fails_cleanly_on_a_model_that_is_not_one(tiny_chat_model):
    verdict = guard.ModelGuard(tiny_chat_model, "llama_guard", timeout_s=60, max_new_tokens=8).check_sync(
        CONVERSATION)
    assert not verdict.ok or verdict.level in ("crisis", "none")


def test_guard_timeout_is_a_failure(tiny_chat_model):
    verdict = guard.ModelGuard(tiny_chat_model, "self", timeout_s=0.001).check_sync(CONVERSATION)
    assert not verdict.ok and "timed out" in verdict.reason


def test_guard_error_is_a_failure_naming_only_the_type():
    verdict = guard.ModelGuard(object(), "self").check_sync(CONVERSATION)
    assert not verdict.ok and verdict.reason == "guard error: AttributeError"
