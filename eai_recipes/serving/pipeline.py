"""The layer between a chat request and the model: what goes in, what comes out.

Input side (`Pipeline.prepare`): client system messages are dropped and EAI's identity prompt is always the
system prompt; every user message is screened for crisis before anything is generated (a crisis message gets
the fixed, human-first crisis reply instead of the model's answer); chat-template special tokens in client
text are neutralised; one message over the limit is refused with the limit stated; the conversation is
truncated from its oldest turn; an empty message gets a gentle prompt and no model call; the answer budget
grows with the question's length.

Output side: LLaMA-Factory's engine generates; `textguard.clean_output` strips template tokens and training
leftovers, collapses repeats and keeps the identity; an answer stopped by the length limit or the timeout is
cut at its last full sentence.

Answers are decoded with their special tokens, so the clean-up sees where the model began a new turn
(`<|im_end|>`, `<|im_start|>user`) and cuts there, and the end-of-turn token tells a finished answer from
one stopped by the length limit or the timeout.

Streaming (`Pipeline.stream`) cleans incrementally: after each piece from the engine the whole answer so far
is cleaned again, and the stream sends only text that later pieces are not expected to change:
- while the first sentence is unfinished, its words go out as they are generated, as long as no clean-up
  step changed them (from the first word a step rewrote, e.g. a leaked marker, a repeated phrase or another
  model's name, the rest waits for the end of the sentence) and less an unfinished `<...` marker; so the
  first words reach the reader as fast as without the clean-up layer;
- from then on whole sentences go out once they end, so a repeated sentence is collapsed before it is sent,
  and an answer stopped by the length limit or the timeout ends at a full sentence, exactly as the
  non-streamed answer does (`cut_answer`: inside the first sentence, at its last finished word, on both paths).
The tokenizer's clean-up of tokenization spaces is applied once to the whole raw text on both paths (`_plain`),
not inside LLaMA-Factory's streamer, where it lost characters ("I'm" -> "I m").
The one case an append-only stream cannot mend is a rule whose trigger comes late and rewrites words of the
first sentence already sent (e.g. "As an AI language" sent before "model" arrives). Then the stream goes on
after that sentence, the last chunk carries the final cleaned answer (`eai.final_content`), and the chat page,
which redraws the answer, shows the rewrite.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from eai_recipes import identity, safety
from eai_recipes.safety import guard as safety_guard
from eai_recipes.serving import textguard
from eai_recipes.serving.profile import ServingProfile

FALLBACK_REPLY = ("I'm here with you, but I couldn't put a reply into words just now. "
                  "Could you tell me a little more about what's on your mind?")
_TEMPLATE_TOKEN = re.compile(r"<\|[^<>|]*\|>")


PER_MESSAGE_TOKENS = 8  # a chat template's tokens around one message (role header, separators), rounded up
_CLEAN_UP_SPACES = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                    (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def _no_clean_up(text: str) -> str:
    return text


def clean_up_tokenization_spaces(text: str) -> str:
    """transformers' `clean_up_tokenization`, applied once to a whole text."""
    for old, new in _CLEAN_UP_SPACES:
        text = text.replace(old, new)
    return text


def context_length(engine: Any) -> int:
    """The model's own context length in tokens (its config), else the tokenizer's, else 2048."""
    config = getattr(getattr(engine, "model", None), "config", None)
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(getattr(engine, "tokenizer", None), "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 10**7 else 2048


def _bounded_for_screening(messages: list[dict[str, str]], limits) -> list[dict[str, str]]:
    """The conversation as screening sees it, at most a few times the limits long whatever the request: a message
    over the limit keeps its beginning and end (it is refused anyway, after a person in crisis got help), and
    the earlier messages are the most recent up to the history limit (older ones are not sent to the model)."""
    def bounded(text: str) -> str:
        limit = limits.max_input_chars
        return text if len(text) <= limit else text[:limit] + "\n" + text[-limit:]

    kept, budget = [], limits.max_history_chars
    for m in reversed(messages[:-1]):
        if budget <= 0:
            break
        kept.append({**m, "content": bounded(m["content"][-budget:])})
        budget -= len(m["content"])
    return [*reversed(kept), {**messages[-1], "content": bounded(messages[-1]["content"])}]


class InputError(Exception):
    """A request the pipeline refuses; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str = "invalid_request"):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


@dataclass
class Turn:
    """A prepared request: what the model sees, or why it is not asked at all."""

    kind: str  # "model" | "crisis" | "empty"
    messages: list[dict[str, str]]
    max_new_tokens: int
    crisis: bool = False
    category: str | None = None
    crisis_in_conversation: bool = False
    level: str = "none"  # the conversation's screening level: crisis | concern | none
    footer: str | None = None  # resources and a check-in the model's answer carries (concern, earlier crisis)
    truncated: bool = False
    system_dropped: int = 0
    notices: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    text: str
    finish_reason: str  # OpenAI's: "stop" | "length"
    stopped_by: str  # "stop" | "length" | "timeout" | "crisis" | "empty"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rewritten_after_sending: bool = False
    seconds: float = 0.0
    shown: str = ""  # while streaming: the cleaned answer so far, as a client that can replace text shows it


def _text_of(content: Any) -> str:
    """Message content as text: a string, or OpenAI content parts of type text (others are refused)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for item in content:
        kind = getattr(item, "type", None) if not isinstance(item, dict) else item.get("type")
        text = getattr(item, "text", None) if not isinstance(item, dict) else item.get("text")
        if kind != "text":
            raise InputError(400, f"content parts of type '{kind}' are not supported: EAI reads text only",
                             param="messages")
        parts.append(text or "")
    # A separator between parts: "I want to kill" + "myself" must not be screened as "killmyself".
    return "\n".join(parts)


def _check_unicode(text: str, index: int) -> str:
    """Text a tokenizer can take: a lone surrogate ("\\ud800", valid JSON but no character) is refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(400, f"messages[{index}]: the text holds invalid Unicode (a lone surrogate such as "
                              "\\ud800); send UTF-8 text", param="messages", code="invalid_unicode") from None
    return text


def _role_of(message: Any) -> str:
    role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
    return str(getattr(role, "value", role))


def _content_of(message: Any) -> Any:
    return message.get("content") if isinstance(message, dict) else getattr(message, "content", None)


def normalise_roles(raw: list[Any]) -> tuple[list[dict[str, str]], int]:
    """Client messages -> strict user/assistant alternation ending with a user message.

    System messages are dropped (EAI's own identity prompt is the only system prompt); consecutive messages
    of one role are joined; leading assistant messages (a page greeting) carry no user text and are dropped.
    """
    if not raw:
        raise InputError(400, "'messages' must hold at least one message from the user", param="messages")
    dropped = 0
    merged: list[dict[str, str]] = []
    for i, message in enumerate(raw):
        role = _role_of(message)
        if role == "system":
            dropped += 1
            continue
        if role not in ("user", "assistant"):
            raise InputError(400, f"messages[{i}]: role '{role}' is not supported; use 'user' and 'assistant' "
                                  "(a 'system' message is ignored: EAI keeps its own)", param="messages")
        text = _check_unicode(_text_of(_content_of(message)), i)
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"] += "\n" + text
        else:
            merged.append({"role": role, "content": text})
    while merged and merged[0]["role"] == "assistant":
        merged.pop(0)
    if not merged or merged[-1]["role"] != "user":
        raise InputError(400, "the last message must come from the user (role 'user')", param="messages")
    return merged, dropped


def complete_sentences(text: str) -> str | None:
    """The longest prefix of `text` made of whole sentences (or lines), or None while the first is unfinished.

    `textguard.cut_at_sentence_boundary` decides where a sentence ends (it knows "e.g." and "1."); where it
    finds no boundary it returns a shortened text ending in an ellipsis, which is not a prefix.
    """
    cut = textguard.cut_at_sentence_boundary(text)
    return cut if cut and text.startswith(cut) else None


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


_WORD = re.compile(r"\S+")
_MAY_END_SENTENCE = re.compile(r"[.!?\u2026\n]")
_TRAILING_PAUSE = re.compile(r"[,;:\u2013\u2014-]+$")


def _hold_back_repeats(text: str) -> str:
    """Text less its trailing words that each repeat an earlier word: they may be the start of a loop ("I
    understand, I understand") that the clean-up collapses once it is complete. A new word releases them."""
    words = list(_WORD.finditer(text))
    keys = [re.sub(r"[^\w]+", "", w.group().lower()) for w in words]
    start = len(words)
    while start > 0 and keys[start - 1] and keys[start - 1] in keys[:start - 1]:
        start -= 1
    return text if start == len(words) else text[:words[start].start()].rstrip() if start else ""


def _hold_back_markup(text: str) -> str:
    """Text less an unfinished `<...` marker at its end, which the next piece may turn into a template token,
    and less a trailing lone quote, which the clean-up of tokenization spaces joins to the next word."""
    start = text.rfind("<")
    if start != -1 and ">" not in text[start:]:
        text = text[:start].rstrip()
    return re.sub(r"\s+['`]+$", "", text)


def cut_answer(raw: str, cleaned: str) -> str:
    """The end of an answer stopped by the length limit or the timeout, the same streamed and whole: at its last
    full sentence; inside the first sentence, at its last word, or, when the raw text ends inside a word (the
    token limit may have cut it), at the word before (`cut_at_sentence_boundary`)."""
    if cleaned and complete_sentences(cleaned) is None and raw[-1:].isspace():
        return cleaned.rstrip().rstrip(" ,;:-") + "\u2026"
    return textguard.cut_at_sentence_boundary(cleaned)


class StreamCleaner:
    """Raw pieces in, cleaned deltas out (see the module docstring for what is held back and why).

    `clean(raw)` is the whole output clean-up; `reference(raw)` the raw text with whitespace tidied only. While
    the first sentence is unfinished, only the words that no clean-up step changed go out (where a step
    rewrote something, everything from there waits for the end of the sentence, when the rewrite is final).
    """

    def __init__(self, clean: Callable[[str], str], reference: Callable[[str], str]):
        self.clean, self.reference = clean, reference
        self.raw = ""
        self.covered = ""  # the cleaned text the stream stands for: sent, or (after a rewrite) replaced
        self.first_done = False
        self.rewritten = False

    def _untouched(self, cleaned: str) -> str:
        same = _common_prefix(cleaned, self.reference(self.raw))
        head = cleaned[:same]
        if same < len(cleaned):
            head = head[:max(head.rfind(" "), 0)]  # the word where they part may be half rewritten
        # A last word not yet followed by whitespace may be unfinished: it waits (see `cut_answer`).
        head = head.rstrip()
        if not self.raw[-1:].isspace():
            head = head[:max(head.rfind(" "), 0)]
        # A trailing comma may still change: a collapsed loop ends with its last repetition's punctuation.
        head = _TRAILING_PAUSE.sub("", _hold_back_repeats(head.rstrip()))
        return _hold_back_markup(head)

    def _advance(self, target: str, *, final: bool = False) -> str:
        if target.startswith(self.covered):
            delta, self.covered = target[len(self.covered):], target
            return delta
        if len(target) <= len(self.covered) and not final:
            return ""  # a repeat collapsed at the tail: wait for more text
        # A clean-up step rewrote text already sent: once its sentence is complete, stand for the rewrite
        # (the page shows it; an API stream carries it in the last chunk) and go on after it.
        self.rewritten = True
        done = target if final else complete_sentences(target)
        if done is not None and len(done) >= len(self.covered):
            self.covered = done
        return ""

    def feed(self, piece: str) -> str:
        self.raw += piece
        if self.first_done and not _MAY_END_SENTENCE.search(piece):
            return ""  # no new sentence can have ended: skip the clean-up pass
        cleaned = self.clean(self.raw)
        done = complete_sentences(cleaned)
        if not self.first_done:
            if done is None:
                return self._advance(self._untouched(cleaned))
            self.first_done = True
        return self._advance(done) if done is not None else ""

    def finish(self, cut: bool) -> tuple[str, str]:
        """The last delta and the final cleaned answer; `cut`: stopped by the length limit or the timeout."""
        cleaned = self.clean(self.raw)
        if cut:
            # The same end as the whole answer's (`cut_answer`); the words it drops were not sent.
            cleaned = cut_answer(self.raw, cleaned)
            if not cleaned.startswith(self.covered):
                cleaned = self.covered + "\u2026"  # (a rule rewrote sent words): mark the sent words unfinished
        delta = self._advance(cleaned, final=True)
        return delta, cleaned


class Pipeline:
    def __init__(self, chat_model: Any, profile: ServingProfile, locale: str):
        self.chat_model = chat_model
        self.profile = profile
        self.locale = locale
        self.system = identity.system_prompt(profile.identity_name, profile.identity_author)
        tokenizer = self.tokenizer = chat_model.engine.tokenizer
        self.context_tokens = context_length(chat_model.engine)
        self.system_tokens: int | None = None  # counted on first use
        # Both decodes (LLaMA-Factory's whole answer, with clean_up_tokenization_spaces=True, and its streamer,
        # which re-decodes the tokens so far and sends what lies past the part it already sent) give the raw
        # text; the clean-up of tokenization spaces is applied to the whole text in `_plain`. Applied inside
        # the streamer, it shortened text already counted as sent and lost characters ("I'm" -> "I m").
        self.tokenizer_clean_up = bool(getattr(tokenizer, "clean_up_tokenization_spaces", False))
        tokenizer.clean_up_tokenization = _no_clean_up
        self.special_tokens = textguard.special_token_strings(tokenizer)
        # Answers are decoded with their special tokens so that clean_output sees where the model started a
        # new turn; tokens of other shapes than <|...|> (e.g. <unk>) are not template tokens and go first.
        self.plain_specials = sorted((t for t in self.special_tokens if t and not _TEMPLATE_TOKEN.fullmatch(t)),
                                     key=len, reverse=True)
        self.guard = safety_guard.load_guard(profile.guard, chat_model, timeout_s=profile.guard_timeout_s)
        # The screen's learned layer, loaded now: a missing model stops the server at start, and the first
        # person to write does not wait for the load inside their request's time limit.
        safety.learned_layer()
        self.safety_stats: dict[str, Any] = {"crisis_replies": {}, "footers": 0, "answers_replaced": 0,
                                             "guard": profile.guard, "guard_calls": 0, "guard_failures": 0}
        self.stop_words = [w for w in [tokenizer.eos_token, *(getattr(chat_model.engine.template, "stop_words", [])
                                                               or [])] if w]

    # ------------------------------------------------------------------------------------------ input

    def prepare(self, raw_messages: list[Any], *, max_tokens: int | None = None) -> Turn:
        limits, gen = self.profile.limits, self.profile.generation
        messages, dropped = normalise_roles(raw_messages)
        notices = ["A system message from the client was ignored: EAI keeps its own."] if dropped else []
        latest = messages[-1]["content"]
        if textguard.is_empty(latest):
            return Turn("empty", messages, 0, system_dropped=dropped, notices=notices)

        # Screening comes before the length check: a person in crisis gets help, not an error. The whole
        # conversation is screened (eai_recipes/safety/screen.py): risk said earlier stays active. Its cost is
        # bounded first (_bounded_for_screening): of a message over the limit, only its beginning and end are
        # screened, and of the earlier messages, the most recent up to the history limit.
        verdict = safety.screen_conversation(_bounded_for_screening(messages, limits))
        if verdict.level == "crisis" and not verdict.earlier:
            return Turn("crisis", messages, 0, crisis=True, category=verdict.category, level="crisis",
                        crisis_in_conversation=True, system_dropped=dropped, notices=notices)
        # A crisis said in an earlier turn: the model answers the latest message, and the answer's text carries
        # the resources (a plain OpenAI client shows no extra field). A concern: the same footer.
        earlier = verdict.level == "crisis"
        footer = safety.concern_footer(self.locale) if verdict.level != "none" else None

        if len(latest) > limits.max_input_chars:
            raise InputError(413, f"the message is {len(latest)} characters long; the limit is "
                                  f"{limits.max_input_chars} characters per message", param="messages",
                             code="message_too_long")
        kept, truncated = textguard.truncate_history(messages, limits.max_history_chars)
        for m in kept:  # (after the oldest turns are dropped: no work on text the model never sees)
            m["content"] = textguard.neutralise_special_tokens(m["content"], self.special_tokens)
        budget = textguard.max_new_tokens_for(latest, minimum=gen.min_new_tokens, maximum=gen.max_new_tokens)
        if max_tokens is not None:
            budget = max(1, min(budget, max_tokens))
        kept, cut = self._fit_context(kept, budget)
        truncated = truncated or cut
        if truncated:
            notices.append(textguard.truncation_notice(limits.max_history_chars))
        return Turn("model", kept, budget, crisis_in_conversation=earlier, truncated=truncated,
                    system_dropped=dropped, notices=notices, level=verdict.level, footer=footer,
                    category=verdict.category)

    def _tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _fit_context(self, messages: list[dict[str, str]], budget: int) -> tuple[list[dict[str, str]], bool]:
        """The conversation cut, oldest turns first, to fit the model's context with the system prompt, the
        template's tokens and the answer budget (characters are no measure of tokens)."""
        if self.system_tokens is None:
            self.system_tokens = self._tokens(self.system)
        room = self.context_tokens - self.system_tokens - budget - PER_MESSAGE_TOKENS
        sizes = [self._tokens(m["content"]) + PER_MESSAGE_TOKENS for m in messages]
        cut = False
        while len(messages) > 1 and sum(sizes) > room:
            drop = 2 if len(messages) > 2 and messages[1]["role"] == "assistant" else 1
            messages, sizes, cut = messages[drop:], sizes[drop:], True
        while len(messages) > 1 and messages[0]["role"] != "user":
            messages, sizes, cut = messages[1:], sizes[1:], True
        if sum(sizes) > room:  # the latest message alone: keep its beginning and end, in tokens
            ids = self.tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"]
            keep = max(room - PER_MESSAGE_TOKENS - 8, 2)
            head = self.tokenizer.decode(ids[:keep // 2])
            tail = self.tokenizer.decode(ids[len(ids) - keep // 2:])
            messages = [*messages[:-1], {"role": "user", "content": head + textguard.TRUNCATION_MARKER + tail}]
            cut = True
        return messages, cut

    def fixed_reply(self, turn: Turn) -> str:
        if turn.kind == "crisis":
            key = turn.category or "none"
            self.safety_stats["crisis_replies"][key] = self.safety_stats["crisis_replies"].get(key, 0) + 1
            return safety.crisis_reply(self.locale, turn.category)
        return textguard.EMPTY_INPUT_REPLY

    # ----------------------------------------------------------------------------------------- safety
    # The model guard and the answer screen (eai_recipes/safety/); counted in /health, no text is kept.

    async def _apply_guard(self, turn: Turn) -> None:
        """Ask the model guard before the answer is sent: crisis -> the fixed reply; concern -> the footer; a
        failure or a timeout -> the footer too (never a silent pass), counted."""
        if self.guard is None or turn.kind != "model":
            return
        verdict = await self.guard.check(turn.messages)
        self.safety_stats["guard_calls"] += 1
        if not verdict.ok:
            self.safety_stats["guard_failures"] += 1
            turn.footer = turn.footer or safety.concern_footer(self.locale)
        elif verdict.level == "crisis":
            turn.kind, turn.crisis, turn.level = "crisis", True, "crisis"
            turn.category, turn.crisis_in_conversation = verdict.category, True
        elif verdict.level == "concern":
            turn.level = "concern" if turn.level == "none" else turn.level
            turn.footer = turn.footer or safety.concern_footer(self.locale)

    def _answer_is_unsafe(self, text: str) -> bool:
        if safety.screen_answer(text).crisis:
            self.safety_stats["answers_replaced"] += 1
            return True
        return False

    def _with_footer(self, turn: Turn, text: str) -> str:
        if turn.footer:
            self.safety_stats["footers"] += 1
            return f"{text}\n\n{turn.footer}"
        return text

    # ----------------------------------------------------------------------------------------- output

    def _plain(self, raw: str) -> str:
        raw = clean_up_tokenization_spaces(raw)  # as LLaMA-Factory's whole decode asks for, on both paths
        for token in self.plain_specials:
            raw = raw.replace(token, " ")
        return raw

    def _clean(self, raw: str) -> str:
        return textguard.clean_output(self._plain(raw), name=self.profile.identity_name,
                                      author=self.profile.identity_author)

    def _reference(self, raw: str) -> str:
        return textguard.tidy_whitespace(self._plain(raw))

    def _stopped_by(self, finished_on_eos: bool, seconds: float) -> str:
        if finished_on_eos:
            return "stop"
        return "timeout" if seconds >= 0.95 * self.profile.generation.timeout_s else "length"

    async def complete(self, turn: Turn) -> Outcome:
        await self._apply_guard(turn)
        if turn.kind != "model":
            return Outcome(self.fixed_reply(turn), "stop", turn.kind)
        started = time.monotonic()
        responses = await self.chat_model.achat(turn.messages, self.system, max_new_tokens=turn.max_new_tokens,
                                                skip_special_tokens=False)
        response = responses[0]
        seconds = time.monotonic() - started
        stopped_by = self._stopped_by(response.finish_reason == "stop", seconds)
        text = self._clean(response.response_text)
        if stopped_by != "stop":
            text = cut_answer(response.response_text, text)
        if self._answer_is_unsafe(text):
            turn.crisis_in_conversation = True
            return Outcome(safety.crisis_reply(self.locale), "stop", "crisis", response.prompt_length,
                           response.response_length, seconds=seconds)
        return Outcome(self._with_footer(turn, text or FALLBACK_REPLY), "stop" if stopped_by == "stop" else "length",
                       stopped_by, response.prompt_length, response.response_length, seconds=seconds)

    async def stream(self, turn: Turn, outcome: Outcome) -> AsyncIterator[str]:
        """Yield cleaned deltas; fill `outcome` when the answer is complete."""
        await self._apply_guard(turn)
        if turn.kind != "model":
            text = self.fixed_reply(turn)
            outcome.text, outcome.finish_reason, outcome.stopped_by = text, "stop", turn.kind
            yield text
            return
        cleaner = StreamCleaner(self._clean, self._reference)
        started = time.monotonic()
        pieces = 0
        async for piece in self.chat_model.astream_chat(turn.messages, self.system,
                                                        max_new_tokens=turn.max_new_tokens,
                                                        skip_special_tokens=False):
            if not piece:
                continue
            pieces += 1
            delta = cleaner.feed(piece)
            outcome.shown = cleaner.covered
            if delta and self._answer_is_unsafe(cleaner.covered):
                # The answer turned to method details or encouragement of harm: stop here, send the crisis
                # reply after what was sent, and stand for the crisis reply alone (final_content).
                reply = safety.crisis_reply(self.locale)
                turn.crisis_in_conversation = True
                yield "\n\n" + reply
                outcome.text = outcome.shown = reply
                outcome.finish_reason, outcome.stopped_by, outcome.rewritten_after_sending = "stop", "crisis", True
                outcome.completion_tokens, outcome.seconds = pieces, time.monotonic() - started
                return
            if delta:
                yield delta
        seconds = time.monotonic() - started
        on_eos = any(w and cleaner.raw.rstrip().endswith(w) for w in self.stop_words)
        stopped_by = self._stopped_by(on_eos, seconds)
        delta, final = cleaner.finish(cut=stopped_by != "stop")
        if not cleaner.covered and not final:
            delta = final = FALLBACK_REPLY
        outcome.shown = cleaner.covered
        final = final or FALLBACK_REPLY
        if self._answer_is_unsafe(final):
            reply = safety.crisis_reply(self.locale)
            turn.crisis_in_conversation = True
            yield "\n\n" + reply
            outcome.text = outcome.shown = reply
            outcome.finish_reason, outcome.stopped_by, outcome.rewritten_after_sending = "stop", "crisis", True
            return
        if turn.footer:
            delta += "\n\n" + turn.footer
            final = self._with_footer(turn, final)
        if delta:
            yield delta
        outcome.text = outcome.shown = final
        outcome.finish_reason = "stop" if stopped_by == "stop" else "length"
        outcome.stopped_by = stopped_by
        outcome.completion_tokens = pieces
        outcome.rewritten_after_sending = cleaner.rewritten
        outcome.seconds = seconds
