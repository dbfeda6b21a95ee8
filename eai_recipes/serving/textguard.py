"""Text guards on both sides of the model: what goes in (user text, history) and what comes out.

Input side:
- `neutralise_special_tokens`: user text can never open a new turn or a system block. Any `<|...|>`-shaped
  sequence (with spaces, zero-width characters or look-alike brackets and bars inside) and the tokenizer's own
  special tokens are rewritten with look-alike brackets (`‹|im_start|›`) that no tokenizer reads as a special
  token, so the person still sees what they typed. Every spelling comes out as that one form (`«|im_start|»`
  and `‹|im_start|›` itself included), so neutralising twice changes nothing.
- `truncate_history`: drops the oldest turns until the conversation fits, keeping the latest user message.
- `EMPTY_INPUT_REPLY` / `is_empty`: empty input gets a gentle prompt instead of a model call.

Output side, `clean_output` runs `OUTPUT_STEPS` in order, each a small named function:
`cut_at_turn_boundary`, `strip_template_tokens`, `strip_training_leftovers`, `keep_identity`,
`collapse_repeats`, `tidy_whitespace`. `cut_at_sentence_boundary` ends a timed-out or length-capped answer
at its last complete sentence; `max_new_tokens_for` adapts the answer length to the question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

# The chat-template tokens of the templates EAI is served with (phi4 and its relatives); any other `<|...|>`
# sequence is handled the same way by pattern, and `special_token_strings(tokenizer)` adds a tokenizer's own.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|im_start|>", "<|im_end|>", "<|im_sep|>", "<|user|>", "<|assistant|>", "<|end|>", "<|system|>",
    "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|begin_of_text|>",
    "<|end_of_text|>", "<|dummy_pad|>", "<|tool|>", "<|function|>", "<|observation|>",
)
# Template markers of other shapes that some chat templates use.
OTHER_MARKERS: tuple[str, ...] = (
    "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<s>", "</s>", "<start_of_turn>", "<end_of_turn>", "<bos>",
    "<eos>",
)

EMPTY_INPUT_REPLY = (
    "It looks like your message came through empty. Whenever you're ready, tell me what's on your mind - "
    "a few words are enough, and there's no rush."
)

# Characters a tokenizer or a reader may take for '<', '>' and '|' (NFKC folds the full-width and small forms as
# well). They are folded before NFKC, which would turn some of them into something else (the vertical dashes
# U+FE31/U+FE32 into dashes). '‹' and '›' are among them: the neutralised form `‹|im_start|›` is itself found
# again, and rewritten to itself, so neutralising is idempotent and every spelling ends up as that one form.
_LT = "<\u2329\u3008\u27e8\u02c2\u1438\u276e\u276c\u2039\u00ab\u300a\u27ea"
_GT = ">\u232a\u3009\u27e9\u02c3\u1433\u276f\u276d\u203a\u00bb\u300b\u27eb"
_BAR = ("|\u2502\u2223\u01c0\u00a6\ufe31\ufe32\u2758\u4e28\u16c1\u23d0\u2503\u2551\u01c1\u05c0\u0964"
        "\u2016\u2225")
_LOOKALIKES = frozenset(_LT + _GT + _BAR)
_SAFE = str.maketrans({"<": "\u2039", ">": "\u203a", "[": "\u27e6", "]": "\u27e7"})
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Mn", "Me"}


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text as a tokenizer or a reader may see it: NFKC, look-alikes folded, invisible characters dropped.

    Returns the skeleton and, for each of its characters, the index of the original character it came from.
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in "\n\t":
            folded = ch
        elif unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            continue
        elif ch in _LOOKALIKES:
            folded = ch
        else:
            folded = unicodedata.normalize("NFKC", ch)
        for f in folded:
            if f in _LT:
                f = "<"
            elif f in _GT:
                f = ">"
            elif f in _BAR:
                f = "|"
            elif unicodedata.category(f) in _INVISIBLE_CATEGORIES:
                continue
            chars.append(f)
            origin.append(i)
    return "".join(chars), origin


# `<|name|>` with optional whitespace inside; the name itself may be empty or hold anything but brackets.
_TOKEN_SHAPE = re.compile(r"<[ \t]*\|[^<>|\n]{0,80}?\|[ \t]*>")


def _token_spans(text: str, extra: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """(start, end, canonical form) in `text` of every special-token-like sequence, left to right."""
    skeleton, origin = _skeleton(text)
    spans: list[tuple[int, int, str]] = []
    for m in _TOKEN_SHAPE.finditer(skeleton):
        name = re.sub(r"\s+", "", m.group()[1:-1].strip().strip("|"))  # "< |im_start| >" -> "im_start"
        spans.append((origin[m.start()], origin[m.end() - 1] + 1, f"<|{name}|>"))
    markers = sorted({t for t in (*OTHER_MARKERS, *extra) if t and not _TOKEN_SHAPE.fullmatch(t)},
                     key=len, reverse=True)
    if markers:
        for m in re.finditer("|".join(map(re.escape, markers)), skeleton):
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            if not any(s < end and start < e for s, e, _ in spans):
                spans.append((start, end, m.group()))
    return sorted(spans)


def _defang(token: str) -> str:
    """A token with its brackets swapped for look-alikes no tokenizer treats as special."""
    safe = token.translate(_SAFE)
    if safe == token:  # no brackets to swap ("▁" or a plain word): split it with a visible space
        safe = token[:1] + " " + token[1:]
    return safe


def neutralise_special_tokens(text: str, extra_tokens: Iterable[str] = ()) -> str:
    """User text with every special-token-like sequence made harmless (`<|im_start|>` -> `‹|im_start|›`).

    Catches `<|...|>` in any spelling a tokenizer or a reader could take for a special token (spaces inside,
    zero-width characters, full-width or look-alike brackets and bars), the markers in `OTHER_MARKERS`, and
    `extra_tokens` (pass `special_token_strings(tokenizer)` for the tokenizer being served).
    """
    spans = _token_spans(text, extra_tokens)
    if not spans:
        return text
    out, last = [], 0
    for start, end, canonical in spans:
        out.append(text[last:start])
        out.append(_defang(canonical))
        last = end
    out.append(text[last:])
    return "".join(out)


def special_token_strings(tokenizer: Any) -> tuple[str, ...]:
    """The special and added tokens of a transformers tokenizer, for `neutralise_special_tokens`."""
    tokens = set(getattr(tokenizer, "all_special_tokens", []) or [])
    for added in (getattr(tokenizer, "added_tokens_decoder", {}) or {}).values():
        if getattr(added, "special", False):
            tokens.add(str(added))
    return tuple(sorted(tokens))


def is_empty(text: str | None) -> bool:
    """Whether a message has nothing to answer (only whitespace or invisible characters)."""
    if not text:
        return True
    return not any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)


# ---------------------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------------------

TRUNCATION_MARKER = " [...] "


def truncation_notice(max_chars: int) -> str:
    """What to tell the person when their message or the conversation was shortened."""
    return (f"(Our conversation is longer than I can read at once ({max_chars} characters), so I'm reading "
            "the most recent part.)")


def _shorten(text: str, limit: int) -> str:
    """Keep the beginning and the end of `text` (where the context and the question usually are)."""
    if len(text) <= limit:
        return text
    room = limit - len(TRUNCATION_MARKER)
    if room < 2:
        return text[:limit]
    head, tail = text[: room - room // 2], text[len(text) - room // 2:]
    # End the head and start the tail at word boundaries where one is close.
    cut = head.rfind(" ")
    if cut > len(head) * 0.8:
        head = head[:cut]
    cut = tail.find(" ")
    if 0 <= cut < len(tail) * 0.2:
        tail = tail[cut + 1:]
    return head.rstrip() + TRUNCATION_MARKER + tail.lstrip()


def _size(messages: list[dict]) -> int:
    return sum(len(m.get("content") or "") for m in messages)


def truncate_history(messages: list[dict], max_chars: int) -> tuple[list[dict], bool]:
    """Drop the oldest turns until the conversation's text fits in `max_chars`; returns (messages, truncated).

    System messages are kept as they are and not counted (the server sets them). A turn is a user message and
    the assistant reply after it, so the kept conversation still starts with a user message and alternates;
    the latest message is always kept, and if it alone is too long it keeps its beginning and its end with
    `TRUNCATION_MARKER` between them.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    system = [m for m in messages if m.get("role") == "system"]
    convo = [dict(m) for m in messages if m.get("role") != "system"]
    truncated = False
    while len(convo) > 1 and _size(convo) > max_chars:
        drop = 2 if len(convo) > 2 and convo[0].get("role") == "user" and convo[1].get("role") == "assistant" else 1
        convo = convo[drop:]
        truncated = True
    # A conversation must not start with an assistant message.
    while len(convo) > 1 and convo[0].get("role") != "user":
        convo = convo[1:]
        truncated = True
    if convo and _size(convo) > max_chars:
        convo[-1]["content"] = _shorten(convo[-1].get("content") or "", max_chars)
        truncated = True
    return [dict(m) for m in system] + convo, truncated


# ---------------------------------------------------------------------------------------------------------
# Output clean-up steps
# ---------------------------------------------------------------------------------------------------------

_ROLES = r"(?:system|user|human|assistant|bot|ai|model|gpt|eai)"
# Where the model started writing the next turn (someone else's): everything from here on is dropped.
_NEXT_TURN = re.compile(
    r"<\|(?:im_end|end|endoftext|eot_id|end_of_text|user|system|end_of_turn)\|>|<\|im_start\|>\s*(?:user|"
    r"system|human)\b|<\|start_header_id\|>\s*(?:user|system)|\[INST\]|</s>|<end_of_turn>|<start_of_turn>\s*"
    r"user|\n\s*(?:#{2,}\s*)?(?:instruction|input|user|human|question|system)\s*:|\n\s*#{2,}\s*"
    r"(?:instruction|input)\b",
    re.IGNORECASE,
)


def cut_at_turn_boundary(text: str) -> str:
    """Drop everything from the point where the model starts a new turn (an end token, a 'User:' line)."""
    for m in _NEXT_TURN.finditer(text):
        if text[: m.start()].strip():  # leading markers are stripped later, not cut at
            return text[: m.start()]
    return text


_ROLE_HEADER = re.compile(rf"<\|[^<>|\n]{{0,40}}\|>\s*{_ROLES}?\s*(?:<\|[^<>|\n]{{0,40}}\|>|:|\n)",
                          re.IGNORECASE)


# What is left of a template token after the whole ones are gone: `<|im_` cut by the length limit, a stray
# `` `<| `` or `|>` the model wrote as plain text.
_BROKEN_MARKER = re.compile(r"`*<[ \t]*\|[^\s<>]{0,40}|[^\s<>]{0,40}\|[ \t]*>`*")


def strip_template_tokens(text: str) -> str:
    """Remove leaked template tokens: role headers (`<|im_start|>assistant<|im_sep|>`), any `<|...|>`, and
    broken pieces of one (`<|`, `|>`)."""
    text = _ROLE_HEADER.sub(" ", text)
    spans = _token_spans(text)
    out, last = [], 0
    for start, end, _ in spans:
        out.append(text[last:start])
        out.append(" ")
        last = end
    out.append(text[last:])
    return _BROKEN_MARKER.sub(" ", "".join(out))


_LEADING_LABEL = re.compile(
    rf"^\s*(?:#{{2,}}\s*)?(?:response|answer|output|assistant|bot|ai|eai|model|gpt)\s*[:\-]\s*|^\s*{_ROLES}\s*\n",
    re.IGNORECASE,
)
_MARKER_LINE = re.compile(r"(?im)^\s*#{2,}\s*(?:response|answer|output|assistant)\s*:?\s*$\n?|"
                          r"^\s*(?:response|answer|assistant)\s*:\s*$\n?")


def strip_training_leftovers(text: str) -> str:
    """Remove training-format leftovers: '### Response:', a leading 'Assistant:' or role name."""
    previous = None
    while previous != text:  # labels can be stacked: "assistant\n### Response: ..."
        previous = text
        text = _LEADING_LABEL.sub("", text, count=1)
    return _MARKER_LINE.sub("", text)


# Other models and their makers (matched case-insensitively, as whole words). A model name takes its version and
# size: GPT-4o, GPT-3.5-turbo, Claude 3 Opus, Llama-3.1, Qwen2.5, Phi-4-mini.
_MAKERS = (r"(?<![\w-])(?:OpenAI|Open\s?AI|Anthropic|Google(?:\s+(?:DeepMind|Research|AI|Brain))?|DeepMind|"
           r"Meta(?:\s+AI)?|Facebook(?:\s+AI(?:\s+Research)?)?|Microsoft(?:\s+(?:Research|AI))?|"
           r"Alibaba(?:\s+(?:Cloud|Group))?|Mistral(?:\s+AI)?|Cohere|xAI|Baidu|Tencent|DeepSeek|Hugging\s?Face|"
           r"Amazon|Apple|Nvidia|IBM|Stability\s+AI|Inflection(?:\s+AI)?|Zhipu(?:\s+AI)?|Moonshot(?:\s+AI)?)"
           r"(?![\w-])")
_MODELS = (r"(?<![\w-])(?:ChatGPT|GPT|Claude|Gemini|Gemma|Bard|PaLM|LaMDA|LLaMA|Phi|Copilot|Bing(?:\s+Chat)?|"
           r"Cortana|Mistral|Mixtral|Qwen|Tongyi\s+Qianwen|DeepSeek|Grok|ERNIE(?:\s+Bot)?|Vicuna)"
           r"(?:[-\s]?(?:\d+(?:\.\d+)*[a-z]?|o\d?|turbo|mini|nano|pro|ultra|flash|opus|sonnet|haiku|instant|"
           r"advanced|chat|instruct|max|plus|vision|coder|v\d+)(?!\w))*(?![\w-])")
_BUILT = (r"(?:developed|created|trained|built|made|designed|programmed|owned|produced|released|engineered|"
          r"fine-?tuned|launched|maintained|powered)")
_ADV = r"(?:just|only|simply|merely|basically|actually|really|still|also|originally|officially)"
# What a model calls itself ("a large language model", "an AI assistant"), not the first half of a compound
# ("a system engineer"): what follows is punctuation or a word that goes on with a description.
_AI_NOUN = (r"(?:(?:large\s+)?language\s+models?|LLMs?|AIs?|artificial\s+intelligence|models?|assistants?|"
            r"chat\s?bots?|bots?|companions?|system|program|agent)"
            rf"(?=\s*(?:$|[,.;:!?)\u2014\u2013]|(?:by|from|of|at|on|for|with|to|in|and|or|but|so|that|which|who|"
            rf"called|named|known|here|like|based|running|{_BUILT})\b))")
# "OpenAI", "the team at Microsoft Research", "researchers from Google".
_MAKER_PHRASE = (r"(?:the\s+)?(?:(?:team|teams|researchers|engineers|people|folks|developers|scientists|staff)\s+"
                 rf"(?:at|from|of)\s+(?:the\s+)?)?{_MAKERS}")
_I_AM = r"I(?:\s+am|['’]m)"
_I_WAS = r"I(?:\s+(?:was|am|have\s+been)|['’](?:m|ve\s+been))"
_WORDS = r"(?:[\w'’.+-]+\s+){0,6}?"
_CONJUNCTIONS = r"(?:and|but|so|yet|because|though|although)"

# A clause that claims another identity by itself. `claim`: where the replaced text starts; `open`: the opening
# EAI's sentence keeps ("I am", "My name is"; "I'm" where there is none).
_CLAIMS = tuple(re.compile(p, re.IGNORECASE) for p in (
    # "I am ChatGPT", "my name is Phi-4", "I'm Google's Gemini", "I'm called Claude"
    (rf"\b(?P<claim>(?P<open>{_I_AM}(?:\s+(?:called|named|known\s+as))?|my\s+name\s+is|call\s+me)\s+"
     rf"(?:{_MAKERS}['’]s\s+)?{_MODELS})"),
    # "This is Claude.", "you're talking to ChatGPT" (as the whole clause only: not "this is Gemini season")
    (rf"\b(?P<claim>(?P<open>this\s+is|you(?:['’]re|\s+are)\s+(?:talking|chatting|speaking)\s+(?:to|with))\s+"
     rf"(?:{_MAKERS}['’]s\s+)?{_MODELS})(?=\s*(?:$|here\b|speaking\b))"),
    # "OpenAI's ChatGPT here", "Claude here" (opening the clause)
    rf"^\W*(?P<claim>(?:{_MAKERS}['’]s\s+(?:{_WORDS}{_AI_NOUN}|{_MODELS})|{_MODELS})\s+here\b)",
    # "I was made by the team at OpenAI", "I'm trained by Microsoft", "I was developed and trained by Google"
    rf"\b(?P<claim>{_I_WAS}\s+(?:{_ADV}\s+)?{_BUILT}(?:\s+(?:and|&)\s+{_BUILT})?\s+(?:by|at)\s+{_MAKER_PHRASE})",
    # "I'm based on GPT-4", "I run on Llama 3"
    (rf"\b(?P<claim>I(?:\s+am|['’]m)?\s+(?:{_ADV}\s+)?(?:based|built|running|run|powered)\s+(?:on|by)\s+"
     rf"(?:the\s+)?(?:{_MODELS}|{_MAKERS}))"),
    # "my creator is OpenAI", "OpenAI trained me"
    (rf"\b(?P<claim>my\s+(?:creators?|developers?|makers?|parent\s+company|owners?)\s+(?:is|are|was|were)\s+"
     rf"(?:{_MAKER_PHRASE}|{_MODELS}))"),
    rf"\b(?P<claim>{_MAKER_PHRASE}\s+{_BUILT}\s+me)\b",
))
# "I'm a large language model", "I'm an AI assistant": a claim only where its clauses name another model or
# maker ("I'm an AI, so I can't call anyone" stays).
_SELF_AI = re.compile(rf"\b(?P<claim>(?P<open>{_I_AM})\s+(?:{_ADV}\s+)?(?:an?|the|one\s+of\s+the|{_MAKERS}['’]s)\s+"
                      rf"{_WORDS}{_AI_NOUN})", re.IGNORECASE)
# Another model or maker named inside an identity clause.
_FOREIGN = re.compile(rf"{_MODELS}|\b(?:by|from|of|at|on|is|are|was|were)\s+{_MAKER_PHRASE}|{_MAKERS}['’]s|"
                      rf"{_MAKERS}\s+{_WORDS}{_AI_NOUN}", re.IGNORECASE)
# A clause that goes on with the identity of the one before: "made by Anthropic", "a large language model
# trained by OpenAI", "and I was trained by Microsoft", "and Microsoft", "Inc.".
_GOES_ON = re.compile(
    rf"^(?:(?:and|or|&)\s+)?(?:(?:{_I_WAS}\s+)?(?:{_ADV}\s+)?(?:{_BUILT}|based|running|part\s+of|a\s+product\s+of)\b|"
    rf"(?:{_I_AM}\s+)?(?:{_ADV}\s+)?(?:an?|the)\s+{_WORDS}(?:{_AI_NOUN}|(?:product|creation|version)\b)|"
    rf"(?:(?:by|from|of|at|on)\s+)?(?:{_MAKER_PHRASE}|{_MODELS})|(?:Inc|LLC|Ltd|Corp)\b)", re.IGNORECASE)
# "As an AI language model" opening a clause: "As EAI".
_AS = re.compile(rf"^(?P<as>as)\s+(?:an?\s+|the\s+)?(?:AI\s+language\s+model|large\s+language\s+model|"
                 rf"language\s+model|{_MODELS})(?P<maker>,?\s+{_BUILT}\s+by\s+{_MAKER_PHRASE})?", re.IGNORECASE)

# Sentences end at . ! ? … followed by a space (not inside "GPT-3.5") or at a line break; clauses at , ; : and
# dashes, and before a conjunction that starts a new clause ("and I was", but not "developed and trained").
_SENTENCE_STOP = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n")
_SENTENCE_TAIL = re.compile(r"(?:[.!?\u2026]+[\"'\u201d\u2019)\]]*)?\s*$")
_CONJUNCTION_START = re.compile(rf"{_CONJUNCTIONS}\b", re.IGNORECASE)
_CLAUSE_SEP = re.compile(rf"(\s*[,;:](?:\s+|$)|\s+[\u2014\u2013-]\s+|\s*[\u2014\u2013]\s*|"
                         rf"\s+(?={_CONJUNCTIONS}\s(?!\s*(?:{_BUILT})\b)))", re.IGNORECASE)


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for each sentence, with its end punctuation and the spaces after it."""
    out, last = [], 0
    for m in _SENTENCE_STOP.finditer(text):
        end = m.end()
        while end < len(text) and text[end] in " \t":
            end += 1
        if end > last:
            out.append((last, text[last:end]))
            last = end
    if last < len(text):
        out.append((last, text[last:]))
    return out


def _quoted(text: str) -> list[bool]:
    """For each character, whether it is inside double quotes (words the answer quotes, not its own)."""
    inside, flags = False, []
    for ch in text:
        if ch == "\u201d" or (ch == '"' and inside):
            flags.append(inside)
            inside = False
            continue
        if ch == "\u201c" or ch == '"':
            inside = True
        flags.append(inside)
    return flags


def _find_claim(clause: str) -> tuple[re.Match, bool] | None:
    """The first identity claim in a clause, and whether it names another model or maker by itself."""
    found = [(m, True) for pattern in _CLAIMS if (m := pattern.search(clause))]
    if m := _SELF_AI.search(clause):
        found.append((m, False))
    return min(found, key=lambda f: (f[0].start("claim"), not f[1])) if found else None


def keep_identity(text: str, *, name: str = "EAI", author: str = "G033") -> str:
    """Replace another model's identity claims with EAI's, sentence by sentence ('I am ChatGPT' -> 'I am EAI').

    A clause in which the answer calls itself another model or says another maker made it ("I'm Claude", "I
    was trained by Microsoft Research", "OpenAI's ChatGPT here", "I'm a large language model from Anthropic"),
    with the clauses that go on with it ("..., an AI companion by Microsoft", "... and I was trained by
    Microsoft"), becomes EAI's identity ("I'm EAI, a mental health companion developed by G033"); the rest of
    the sentence and of the answer stays. The identity is stated once: a later sentence that is only a claim is
    dropped, a later claim inside a sentence becomes "I'm EAI". A company or model the answer merely mentions
    ("an article from Google", "my friend works at Microsoft", "people use ChatGPT") or quotes stays.
    """
    me = f"{name}, a mental health companion developed by {author}"
    quoted = _quoted(text)
    said = False
    out: list[str] = []
    for offset, sentence in _sentences(text):
        tail = _SENTENCE_TAIL.search(sentence)
        rewritten, said = _rewrite_sentence(sentence[:tail.start()], quoted, offset, me, name, said)
        if rewritten is None:  # the whole sentence only repeated the identity: keep its line break, if any
            rewritten = "\n" if "\n" in tail.group() and out and not out[-1].endswith("\n") else ""
        else:
            rewritten += tail.group()
        if rewritten:
            out.append(rewritten)
    return "".join(out)


def _rewrite_sentence(body: str, quoted: list[bool], offset: int, me: str, name: str,
                      said: bool) -> tuple[str | None, bool]:
    """`keep_identity` for one sentence (without its end punctuation) that starts at `offset` of the answer;
    `said`: whether EAI's identity was already stated. Returns the sentence (None: drop it) and `said`."""
    parts = _CLAUSE_SEP.split(body)
    clauses, seps = parts[0::2], [""] + parts[1::2]
    starts, pos = [], offset
    for sep, clause in zip(seps, clauses):
        starts.append(pos + len(sep))
        pos += len(sep) + len(clause)
    kept: list[str] = []
    i = 0
    while i < len(clauses):
        clause, found = clauses[i], _find_claim(clauses[i])
        if found and not quoted[starts[i] + found[0].start("claim")]:
            m, by_itself = found
            j = i  # the clauses that go on with the claim are replaced with it
            while j + 1 < len(clauses) and clauses[j + 1].strip() and _GOES_ON.match(clauses[j + 1]):
                j += 1
            run = clause[m.start("claim"):] + "".join(seps[k] + clauses[k] for k in range(i + 1, j + 1))
            if by_itself or _FOREIGN.search(run):
                prefix = clause[:m.start("claim")]
                if said and i == 0 and j == len(clauses) - 1 and not prefix.strip():
                    return None, said
                opening = m.groupdict().get("open") or ("I\u2019m" if "\u2019" in body else "I'm")
                kept.append(seps[i] + prefix + f"{opening} {name if said else me}")
                said = True
                if j + 1 < len(clauses) and not seps[j + 1].strip() and _CONJUNCTION_START.match(clauses[j + 1]):
                    seps[j + 1] = ", "  # "..., developed by G033, and I'm here for you"
                i = j + 1
                continue
        if (m := _AS.match(clause)) and not quoted[starts[i]]:
            full = bool(m.group("maker")) and not said
            said = said or full
            clause = f"{m.group('as')} {me if full else name}" + clause[m.end():]
        kept.append(seps[i] + clause)
        i += 1
    return "".join(kept), said


_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"')\]]*|\n|$)\s*")
_WORD = re.compile(r"\S+\s*")
_TRAIL = re.compile(r"[^\w]*$")


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _collapse_phrase_loops(sentence: str) -> str:
    """'I understand, I understand, I understand.' -> 'I understand.'; a repeated 2+ word phrase keeps once,
    a single word repeated three or more times keeps once ('very very' stays)."""
    words = _WORD.findall(sentence)
    if len(words) < 2:
        return sentence
    keys = [_norm(w) for w in words]
    changed = True
    while changed:
        changed = False
        for n in range(min(12, len(words) // 2), 0, -1):
            i = 0
            while i + 2 * n <= len(words):
                reps = 1
                while i + (reps + 1) * n <= len(words) and keys[i + reps * n:i + (reps + 1) * n] == keys[i:i + n]:
                    reps += 1
                if reps >= (3 if n == 1 else 2) and any(keys[i:i + n]):
                    # Keep the first repetition, ending with the punctuation that ended the last one.
                    end_of_last = _TRAIL.search(words[i + reps * n - 1]).group()
                    words[i + n - 1] = _TRAIL.sub("", words[i + n - 1]) + end_of_last
                    del words[i + n:i + reps * n]
                    del keys[i + n:i + reps * n]
                    changed = True
                i += 1
    return "".join(words)


def collapse_repeats(text: str) -> str:
    """Drop repeated sentences (the first stays) and phrases the model looped on."""
    seen: set[str] = set()
    out: list[str] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group()
        key = _norm(sentence)
        if len(key) >= 12 and key in seen:
            # Keep the line break the dropped sentence carried, so paragraphs stay apart.
            if sentence.endswith("\n") and out and not out[-1].endswith("\n"):
                out[-1] = out[-1].rstrip(" ") + "\n"
            continue
        if key:
            seen.add(key)
        out.append(_collapse_phrase_loops(sentence))
    return "".join(out)


def tidy_whitespace(text: str) -> str:
    """Single spaces inside lines, no space before punctuation, at most one blank line, no edge whitespace."""
    lines = []
    for line in text.split("\n"):
        indent = re.match(r"[ \t]*", line).group()
        body = re.sub(r"[ \t]{2,}", " ", line[len(indent):]).rstrip()
        body = re.sub(r" +([,.!?;:](?:\s|$))", r"\1", body)
        lines.append(indent + body if body else "")
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip()


OUTPUT_STEPS: tuple[tuple[str, Callable[..., str]], ...] = (
    ("cut_at_turn_boundary", cut_at_turn_boundary),
    ("strip_template_tokens", strip_template_tokens),
    ("strip_training_leftovers", strip_training_leftovers),
    ("keep_identity", keep_identity),
    ("collapse_repeats", collapse_repeats),
    ("tidy_whitespace", tidy_whitespace),
)


def clean_output(text: str, *, name: str = "EAI", author: str = "G033") -> str:
    """The model's answer after every step of `OUTPUT_STEPS`, in order."""
    for step_name, step in OUTPUT_STEPS:
        text = step(text, name=name, author=author) if step_name == "keep_identity" else step(text)
    return text


# ---------------------------------------------------------------------------------------------------------
# Length
# ---------------------------------------------------------------------------------------------------------

_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "prof", "approx", "no", "fig", "jr",
                  "sr", "a.m", "p.m", "u.s", "u.k"}
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)")


def cut_at_sentence_boundary(text: str) -> str:
    """End a cut-off answer at its last complete sentence (or line); if there is none, at the last word, with '…'."""
    stripped = text.rstrip()
    if not stripped:
        return ""
    best = -1
    for m in _SENTENCE_END.finditer(stripped):
        before = stripped[: m.start()].split()
        word = before[-1].lower().rstrip(".") if before else ""
        if word in _ABBREVIATIONS or re.fullmatch(r"\d+", word):
            continue  # "e.g." or a list number "1." is not the end of a sentence
        best = m.end()
    # A finished line (a list item, a heading) is a boundary too.
    newline = stripped.rfind("\n")
    if newline > 0 and stripped[:newline].strip():
        best = max(best, newline)
    if best >= len(stripped):
        return stripped
    if best > 0:
        return stripped[:best].rstrip()
    cut = stripped.rfind(" ")
    return (stripped[:cut] if cut > 0 else stripped).rstrip(" ,;:-") + "\u2026"


# Questions of up to this many words get the minimum answer length, and of at least that many the maximum.
_SHORT_QUESTION_WORDS, _LONG_QUESTION_WORDS = 8, 120


def max_new_tokens_for(question: str, *, minimum: int, maximum: int) -> int:
    """Answer length adapted to the question: a short message gets a short answer, a long one more room."""
    if not (isinstance(minimum, int) and isinstance(maximum, int)) or minimum < 1 or maximum < minimum:
        raise ValueError(f"need 1 <= minimum <= maximum, got minimum={minimum!r}, maximum={maximum!r}")
    low, high = _SHORT_QUESTION_WORDS, _LONG_QUESTION_WORDS
    words = len((question or "").split())
    share = min(max((words - low) / (high - low), 0.0), 1.0)
    return round(minimum + share * (maximum - minimum))
