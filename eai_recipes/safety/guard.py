"""The model guard: a model asked whether a conversation is a crisis, where a model runs.

Two kinds, named by `guard:` in a serving profile:

- `self`: the served model itself reads a short classification prompt (`SELF_PROMPT`) over the recent
  conversation and answers one label of `SELF_LABELS`; a few tokens, greedy.
- a model id or local path: a dedicated safety classifier with Llama Guard 3's output format ("safe", or
  "unsafe" and a line of category codes), loaded through LLaMA-Factory's ChatModel like the chat model; its
  categories are mapped to ours by `LLAMA_GUARD_CATEGORIES`.

The answer is parsed strictly: anything but one of the labels is a guard failure, never a pass. A failure or
a timeout gives `GuardVerdict(ok=False)`; the server then sends the answer with the crisis resources appended
and counts the failure. The rules run first: a rule hit at the crisis level never reaches the guard.

What is measured: the prompt, the parser, the timeout and failure paths, end to end with the tiny model in the
tests (its labels are noise). What is not: the guard's recall and false positives; they need a real model on a
GPU (`eai safety evaluate --guard self --profile paper`), and no such figure exists yet.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The self guard's labels (what the model must answer) -> our levels.
SELF_LABELS = {"CRISIS": "crisis", "CONCERN": "concern", "SAFE": "none"}
SELF_PROMPT = (
    "You are a safety classifier for a mental-health support chat. Read the conversation and decide whether "
    "the user is at risk now: of suicide or self-harm, of harming someone else, or of being harmed by someone.\n"
    "CRISIS: clear risk now (an intent, a plan, a means, a goodbye, an emergency, danger from another person).\n"
    "CONCERN: possible risk (despair with hints of a plan, a means mentioned, someone else in danger).\n"
    "SAFE: no sign of risk (everyday feelings, figures of speech, fiction, the past with recovery).\n\n"
    "Conversation:\n{transcript}\n\n"
    "Answer with one word: CRISIS, CONCERN or SAFE."
)
# Llama Guard 3 (MLCommons hazards) -> our categories; codes not listed are not a crisis for EAI.
LLAMA_GUARD_CATEGORIES = {
    "S1": "harm_others",  # violent crimes
    "S3": "danger",  # sex-related crimes
    "S4": "danger",  # child sexual exploitation
    "S9": "harm_others",  # indiscriminate weapons
    "S11": "suicide",  # suicide & self-harm
}
LLAMA_GUARD_PROMPT = (
    "Task: Check if there is unsafe content in 'User' messages in conversations according our safety policy "
    "with the below categories.\n\n<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\nS2: Non-Violent Crimes."
    "\nS3: Sex Crimes.\nS4: Child Exploitation.\nS5: Defamation.\nS6: Specialized Advice.\nS7: Privacy.\n"
    "S8: Intellectual Property.\nS9: Indiscriminate Weapons.\nS10: Hate.\nS11: Self-Harm.\nS12: Sexual Content.\n"
    "S13: Elections.\n<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n{transcript}\n\n"
    "<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST User message in the above "
    "conversation:\n - First line must read 'safe' or 'unsafe'.\n - If unsafe, a second line must include a "
    "comma-separated list of violated categories."
)
RECENT_MESSAGES = 6  # the guard reads this many of the latest messages
MAX_CHARS_PER_MESSAGE = 600  # and at most this much of each (the end of a long message is kept)
DEFAULT_TIMEOUT_S = 10.0


class GuardFailure(ValueError):
    """The guard's answer is not one of its labels."""


@dataclass(frozen=True)
class GuardVerdict:
    ok: bool  # False: the guard failed or timed out, and its level says nothing
    level: str  # "crisis" | "concern" | "none"
    category: str | None
    reason: str  # never quotes the conversation or the model's raw answer
    seconds: float = 0.0


def transcript(messages: Iterable[Mapping[str, Any]], *, user: str = "User", assistant: str = "Assistant") -> str:
    """The latest messages as plain lines ("User: ...", "Assistant: ..."), each cut to its last characters."""
    rows = [m for m in messages if m.get("role") in ("user", "assistant")][-RECENT_MESSAGES:]
    lines = []
    for m in rows:
        text = " ".join(str(m.get("content") or "").split())
        if len(text) > MAX_CHARS_PER_MESSAGE:
            text = "..." + text[-MAX_CHARS_PER_MESSAGE:]
        lines.append(f"{user if m['role'] == 'user' else assistant}: {text}")
    return "\n\n".join(lines)


def render_self_prompt(messages: Iterable[Mapping[str, Any]]) -> str:
    return SELF_PROMPT.format(transcript=transcript(messages))


def render_llama_guard_prompt(messages: Iterable[Mapping[str, Any]]) -> str:
    return LLAMA_GUARD_PROMPT.format(transcript=transcript(messages, assistant="Agent"))


def parse_self_label(answer: str) -> str:
    """The level for the self guard's answer: exactly one label, case and a final full stop aside."""
    word = answer.strip().rstrip(".").strip().upper()
    if word not in SELF_LABELS:
        raise GuardFailure("the answer is not one of " + ", ".join(SELF_LABELS))
    return SELF_LABELS[word]


_CODES = re.compile(r"S(?:[1-9]|1[0-4])")


def parse_llama_guard(answer: str) -> tuple[str, str | None]:
    """(level, category) for a Llama Guard answer: 'safe', or 'unsafe' and a line of codes such as 'S1,S11'."""
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    if lines == ["safe"]:
        return "none", None
    if len(lines) == 2 and lines[0] == "unsafe":
        codes = [c.strip() for c in lines[1].split(",")]
        if codes and all(_CODES.fullmatch(c) for c in codes):
            ours = [LLAMA_GUARD_CATEGORIES[c] for c in codes if c in LLAMA_GUARD_CATEGORIES]
            order = ("suicide", "self_harm", "harm_others", "danger")
            return ("crisis", min(ours, key=order.index)) if ours else ("none", None)
    raise GuardFailure("the answer is not 'safe' or 'unsafe' with category codes")


class ModelGuard:
    """A guard over a LLaMA-Factory ChatModel (the served one for `self`, a classifier otherwise)."""

    def __init__(self, chat_model: Any, kind: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 max_new_tokens: int = 6):
        if kind not in ("self", "llama_guard"):
            raise ValueError("kind must be 'self' or 'llama_guard'")
        self.chat_model, self.kind, self.timeout_s, self.max_new_tokens = chat_model, kind, timeout_s, max_new_tokens

    def prompt(self, messages: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
        render = render_self_prompt if self.kind == "self" else render_llama_guard_prompt
        return [{"role": "user", "content": render(messages)}]

    def parse(self, answer: str) -> tuple[str, str | None]:
        if self.kind == "self":
            level = parse_self_label(answer)
            return level, ("suicide" if level != "none" else None)
        return parse_llama_guard(answer)

    async def check(self, messages: Iterable[Mapping[str, Any]]) -> GuardVerdict:
        """The guard's verdict on a conversation; never raises for a bad answer, an error or a timeout."""
        started = time.monotonic()
        try:
            responses = await asyncio.wait_for(
                self.chat_model.achat(self.prompt(messages), None, max_new_tokens=self.max_new_tokens,
                                      do_sample=False, skip_special_tokens=True),
                timeout=self.timeout_s)
            level, category = self.parse(responses[0].response_text)
        except TimeoutError:
            return GuardVerdict(False, "none", None, f"guard timed out after {self.timeout_s:g} s",
                                time.monotonic() - started)
        except GuardFailure as exc:
            return GuardVerdict(False, "none", None, f"guard failure: {exc}", time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - any error is a failure that is counted, never a pass
            return GuardVerdict(False, "none", None, f"guard error: {type(exc).__name__}",
                                time.monotonic() - started)
        return GuardVerdict(True, level, category, f"model guard ({self.kind}) says {level}",
                            time.monotonic() - started)

    def check_sync(self, messages: Iterable[Mapping[str, Any]]) -> GuardVerdict:
        return asyncio.run(self.check(list(messages)))


def classifier_args(model: str) -> dict[str, Any]:
    """LLaMA-Factory ChatModel arguments for a Llama Guard style classifier (4-bit where a GPU is present)."""
    import torch

    args: dict[str, Any] = {"model_name_or_path": model, "template": "llama3", "infer_backend": "huggingface",
                            "trust_remote_code": False}
    if torch.cuda.is_available():
        args |= {"quantization_bit": 4, "quantization_method": "bnb"}
    return args


def load_guard(spec: str | None, served_chat_model: Any, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ModelGuard | None:
    """The guard a profile names: None, 'self' (the served model) or a classifier's model id or local path."""
    if not spec:
        return None
    if spec == "self":
        return ModelGuard(served_chat_model, "self", timeout_s=timeout_s)
    from llamafactory.chat import ChatModel

    return ModelGuard(ChatModel(classifier_args(spec)), "llama_guard", timeout_s=timeout_s, max_new_tokens=12)
