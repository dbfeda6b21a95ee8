"""The cleaning rules: each a small named function, applied in a fixed order by `clean_batch`.

Scrubs change text (and count the rows they touched); drops reject a row and name the rule. The order is
deliberate: e-mail addresses are looked for before URLs are stripped (a bare-domain strip would eat half an
address), chat-template tokens before HTML is stripped (`</s>` looks like a tag), and phone numbers after
URLs are gone (digits in links are not phone numbers).

The rules work on Arrow string arrays with RE2 (pyarrow.compute), a batch at a time: one engine, one
definition per pattern, and linear-time matching (Python's `re` took ~0.5 ms a row for the full chain). Python
code remains only where a rule needs logic a pattern cannot hold: help-line numbers that are allowed, the
identity's own name, HTML entities. `screen` flags the rows any pattern could touch, in one pass; the others
can only fail the length rules. `apply` runs one rule on one string (for tests and one-off use).
"""

from __future__ import annotations

import html
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# --- rule names, in the order they apply (drops and scrubs) -------------------------------------------------
PARSE_ERROR = "parse_error"          # a bad JSON line, a CSV row with the wrong number of fields
WRONG_TYPE = "wrong_type"            # a record that is not an object, a field that is not text
SCHEMA_MISMATCH = "schema_mismatch"  # a record whose columns differ from the registry's mapping
FILL_PLACEHOLDERS = "fill_placeholders"
UNICODE = "unicode"
SPECIAL_TOKENS = "special_tokens"
PERSONAL_EMAIL = "personal_email"
HTML = "html"
URLS = "urls"
WHITESPACE = "whitespace"
EMPTY_SIDE = "empty_side"
MULTI_TURN = "multi_turn"
CONTEXT_RELIANT = "context_reliant"
PERSONAL_PHONE = "personal_phone"
PERSONAL_NAME = "personal_name"
PLACEHOLDER = "placeholder"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
DUPLICATE = "duplicate"
NEAR_DUPLICATE = "near_duplicate"
IN_TRAINING = "in_training"

SCRUBS = (FILL_PLACEHOLDERS, UNICODE, HTML, URLS, WHITESPACE)
DROPS = (
    PARSE_ERROR, WRONG_TYPE, SCHEMA_MISMATCH, SPECIAL_TOKENS, PERSONAL_EMAIL, EMPTY_SIDE, MULTI_TURN,
    CONTEXT_RELIANT, PERSONAL_PHONE, PERSONAL_NAME, PLACEHOLDER, TOO_SHORT, TOO_LONG, DUPLICATE,
    NEAR_DUPLICATE, IN_TRAINING,
)

@dataclass(frozen=True)
class RuleConfig:
    """Thresholds and lists the cleaning rules read; defaults in the registry, overridable per source."""

    min_words: dict[str, int]
    max_chars: dict[str, int]
    phone_allowlist: frozenset[str] = frozenset()  # digits only: crisis lines are help, not personal data
    known_names: tuple[str, ...] = ()
    exempt_names: tuple[str, ...] = ()  # the identity's own name and author are never "personal names"


# --- patterns (RE2 syntax: no look-arounds, no back-references; literal characters beyond \xff) ---------
# Control characters (except \t \n \r, which whitespace handles), format characters (zero-width, bidi) and
# separators that Unicode normalisation leaves alone.
P_CONTROL = ("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\x80-\x9f\xad\u061c\u1680\u180e"
             "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")

# Chat-template control tokens: user text must never smuggle turn boundaries into a training example.
P_SPECIAL_TOKENS = (
    r"<\|[^|<>\s]{1,40}\|>"                      # <|im_start|>, <|im_sep|>, <|endoftext|>, <|user|>
    r"|\[/?INST\]|<</?SYS>>|</?s>|<(?:unk|pad|mask|bos|eos)>"
    r"|<(?:start|end)_of_turn>|<\|?(?:begin|end)_of_text\|?>"
    r"|(?i:###\s*(?:human|assistant|instruction|response|system|input|output)\s*:)"
)

P_EMAIL = (
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|(?i:\b[a-z0-9._%+-]+ ?(?:\[at\]|\(at\)|\{at\}) ?[a-z0-9-]+ ?(?:\[dot\]|\(dot\)|\{dot\}|\.) ?[a-z]{2,}\b)"
)

P_HTML = r"<[A-Za-z!/][^<>]*>|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"

_TLD = r"(?:com|org|net|edu|gov|info|io|co|us|uk|ca|au|nz|ie|me|ly|app|health|org\.uk|co\.uk)"
_URL_TAIL = r"[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]"
P_URLS = (
    r"!\[[^\]]*\]\([^)]*\)"                                            # markdown image
    r"|\[[^\]]+\]\((?i:https?://|www\.)[^)]*\)"                        # markdown link
    r"|(?i:\b(?:https?|ftp)://)" + _URL_TAIL +
    r"|(?i:\bwww\.)" + _URL_TAIL +
    r"|(?i:\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\." + _TLD + r"\b)(?:/" + _URL_TAIL + r")?"
    r"|(?i:\[(?:image|img|photo|picture|pic)\b[^\]]*\])"               # [image: ...] placeholders
    r"|(?i:\b[\w./-]*\w\.(?:png|jpe?g|gif|webp|bmp|svg)\b)"            # bare image file links
)

P_WHITESPACE = "[ \\t]{2,}|[\\t\\r\\x0b\\x0c]| \\n|\\n |\\n{3,}|^\\s|\\s$"

_SPEAKERS = (
    r"user|human|patient|client|seeker|me|therapist|counsel+or|psychologist|psychiatrist|doctor|"
    r"assistant|ai|bot|chatbot|listener|supporter|helper|agent|system|q|a|question|answer"
)
P_SPEAKER = r"(?i:(?:^|\n|[.!?\"]\s)\s*(?:" + _SPEAKERS + r")\s*:)"
P_USER_SPEAKER = r"(?i:(?:^|\n|[.!?\"]\s)\s*(?:user|human|patient|client|seeker|me)\s*:)"

P_CONTEXT = (
    r"(?i:\b(?:"
    r"as i (?:said|mentioned|explained|wrote|stated|told you|described)"
    r"|like i (?:said|mentioned|told you)"
    r"|as (?:we|you and i) (?:discussed|talked about|said)"
    r"|as (?:mentioned|stated|noted|discussed|described) (?:above|before|earlier|previously|in my)"
    r"|(?:i|we) (?:already|previously) (?:said|mentioned|told you|asked|discussed|explained|wrote)"
    r"|you (?:said|mentioned|told me|asked|suggested) (?:earlier|before|last time|previously)"
    r"|(?:in|from|on) (?:my|your|our) (?:last|previous|earlier|prior|other|first|original) "
    r"(?:post|message|question|answer|reply|response|session|conversation|chat|comment|thread)s?"
    r"|(?:earlier|previously|before) in (?:this|our|the) (?:conversation|chat|thread|session|discussion)"
    r"|(?:going|coming|getting|go|get) back to what (?:i|you|we) (?:said|mentioned|talked about)"
    r"|(?:last time|the other day|yesterday) (?:we|i) (?:talked|spoke|chatted)"
    r"|(?:see|refer to|read|check) (?:above|my (?:previous|last|earlier|other) (?:post|message|question))"
    r"|follow(?:ing)?[- ]up (?:on|to) (?:my|your|our)"
    r"|(?:to )?continue (?:from (?:my|our|your|where)|our (?:conversation|chat|discussion)|where we)"
    r"|(?:the|my|your) (?:previous|above|earlier) (?:answer|response|reply|advice|question|post|message)"
    r"|(?:my|your) last (?:answer|response|reply|advice)"
    r"|i (?:posted|wrote|asked)(?: here| this)? (?:before|earlier|previously|last (?:week|time|month))"
    r")\b"
    r"|(?:^|\n)\s*(?:edit|update)\s*[0-9]*\s*:)"
)

P_PHONE = (
    r"(?:(?:\+[0-9]{1,3}|\b1)[ .-]?)?(?:\([0-9]{2,4}\)[ .-]?|\b[0-9]{2,4}[ .-])[0-9]{3,4}[ .-]?[0-9]{3,4}\b"
    r"|\+[0-9]{1,3}[ .-]?[0-9][0-9 .-]{6,14}[0-9]\b"                     # +91 98765 43210
    r"|\b[0-9]{3}[.-][0-9]{4}\b|\b[0-9]{10,11}\b"
)

_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_COUNSELLING_CREDENTIALS = (
    r"LMFT|LPC|LCSW|LMHC|LCPC|LPCC|LICSW|LMSW|LPCA|LCMHC|LCAT|AMFT|MFTI?|NCC|CADC|LCADC|PhD|Ph\.D\.?|"
    r"PsyD|Psy\.D\.?"
)
# Degrees that double as state codes or words ("Boston, MA") only count after a full name.
_CREDENTIALS = _COUNSELLING_CREDENTIALS + r"|LAC|EdD|MSW|MSc|MEd|M\.A\.|M\.S\.|MA|MS|RN|MD|LP|LLP"
_DASH = "[-~\u2013\u2014]"  # literal en and em dashes: RE2 has no \u escapes
_SIGNOFFS = (
    r"sincerely|best wishes|warm regards|kind regards|best regards|regards|warmly|warm wishes|cheers|"
    r"respectfully|with warmth|with care|take care|blessings|all the best|yours truly|thanks|thank you|best"
)
_NAME_PATTERNS = (
    r"\b(?:Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Mx)\.? " + _NAME,                                  # Dr. Jane
    r"\b" + _NAME + r"(?: [A-Z]\.)?(?: " + _NAME + r"){1,2},? (?:" + _CREDENTIALS + r")\b",     # Jane Doe, LMFT
    r"\b" + _NAME + r", (?:" + _COUNSELLING_CREDENTIALS + r")\b",                                # Jane, LPC
    r"\bnamed " + _NAME + r"\b",                                                                # a therapist named Jo
    r"(?i:\bmy name(?: is|'s)) (?:Dr\.? )?" + _NAME,                                            # My name is Jane
    r"(?:\bI am|\bI'm|\bThis is) (?:Dr\.? )?" + _NAME + r"(?: " + _NAME + r")?,? "              # I'm Jane, a
    r"(?i:(?:a|an|the|and I am|and I'm|your) (?:licensed |certified |registered |clinical |professional )?"
    r"(?:therapist|counsel+or|psycholog|psychotherap|psychiatr|social worker|marriage|family|mental health|"
    r"life coach|coach|clinician))",
    r"(?i:\b(?:" + _SIGNOFFS + r"))[ \t]*,?[ \t]*\n?[ \t]*" + _DASH + r"?[ \t]*" + _NAME          # Warmly, Jane
    + r"(?: " + _NAME + r")?[ \t]*(?:,[^\n]{0,40})?$",
    r"\n[ \t]*" + _DASH + r"+[ \t]*" + _NAME + r"(?: [A-Z]\.?)?(?: " + _NAME                    # -- Jane D.
    + r")?[ \t]*(?:,[^\n]{0,40})?$",
)
P_PERSONAL_NAME = "|".join(_NAME_PATTERNS)

P_PLACEHOLDER = r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}"

P_HTML_BLOCK = r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->"
P_HTML_BREAK = r"(?i)<br\s*/?>|</?(?:p|div|li|ul|ol|tr|h[1-6]|blockquote)\b[^<>]*>"
P_HTML_TAG = r"<[A-Za-z!/][^<>]*>"
P_HTML_ENTITY = r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
P_MD_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
P_MD_LINK = r"\[([^\]]+)\]\((?i:https?://|www\.)[^)]*\)"
_UNICODE_SPACES = "\xa0\u1680\u2000-\u200a\u202f\u205f\u3000"

# Everything that can make the chain change or drop a row (the length rules aside).
SCREEN_PATTERNS = (
    P_CONTROL, P_SPECIAL_TOKENS, P_EMAIL, P_HTML, P_URLS, P_WHITESPACE, P_SPEAKER, P_CONTEXT, P_PHONE,
    P_PERSONAL_NAME, P_PLACEHOLDER,
)


# --- Arrow helpers ------------------------------------------------------------------------------------------
def texts(values: list[str]) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def matches(t: pa.Array, pattern: str) -> np.ndarray:
    """Which texts contain a match of `pattern` (RE2)."""
    if len(t) == 0:
        return np.zeros(0, dtype=bool)
    return _mask(pc.match_substring_regex(t, pattern))


def _sub(t: pa.Array, pattern: str, replacement: str) -> pa.Array:
    return pc.replace_substring_regex(t, pattern, replacement) if len(t) else t


def _first_match(t: pa.Array, rows: np.ndarray, pattern: str) -> list[str | None]:
    found = pc.extract_regex(t.take(pa.array(rows, pa.int64())), f"(?P<m>{pattern})")
    return [None if v is None else v["m"] for v in found.to_pylist()]


def _python_fix(t: pa.Array, rows: np.ndarray, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python function to the given rows only (for the few rules RE2 cannot express)."""
    if len(rows) == 0:
        return t
    values = t.to_pylist()
    for i in rows:
        values[i] = fn(values[i])
    return texts(values)


def on_rows(t: pa.Array, rows: np.ndarray, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`fn` applied to the rows selected by a boolean mask only; the others are left as they are."""
    idx = np.flatnonzero(rows)
    if len(idx) == 0:
        return t
    new = fn(t.take(pa.array(idx, pa.int64())))
    return pc.replace_with_mask(t, pa.array(rows, pa.bool_()), new.cast(t.type))


def apply(rule: Callable[..., Any], text: str, *args: Any) -> Any:
    """Run one array rule on one string: a scrub gives the new text, a drop rule True/False."""
    out = rule(texts([text]), *args)
    return out[0].as_py() if isinstance(out, pa.Array) else bool(out[0])


# --- scrubs: texts -> texts ---------------------------------------------------------------------------------
def normalise_unicode(t: pa.Array) -> pa.Array:
    """NFKC (full-width letters, ligatures, odd spaces become plain ones), then drop control and invisible
    format characters; line and paragraph separators become newlines."""
    t = pc.utf8_normalize(t, "NFKC")
    t = pc.replace_substring(pc.replace_substring(t, "\u2028", "\n"), "\u2029", "\n\n")
    return _sub(t, P_CONTROL, "")


def strip_html(t: pa.Array) -> pa.Array:
    """Remove tags (block tags and <br> become line breaks, scripts and comments vanish) and decode entities."""
    t = _sub(_sub(_sub(t, P_HTML_BLOCK, ""), P_HTML_BREAK, "\n"), P_HTML_TAG, "")
    entities = matches(t, P_HTML_ENTITY)
    # a decoded entity can be any character (&nbsp;, &#8203;): those rows get the unicode scrub again
    return on_rows(_python_fix(t, np.flatnonzero(entities), html.unescape), entities, normalise_unicode)


def strip_urls(t: pa.Array) -> pa.Array:
    """Remove URLs, bare domains, image links and image placeholders; a markdown link keeps its words. Where
    something was removed, empty brackets and a dangling colon go too ("read this: <url>." -> "read this.")."""
    removed = _sub(_sub(_sub(t, P_MD_IMAGE, ""), P_MD_LINK, r"\1"), P_URLS, "")

    def tidy(u: pa.Array) -> pa.Array:
        u = _sub(_sub(u, r"\(\s*\)|\[\s*\]|<\s*>", ""), r"[ \t]+([.,;:!?])", r"\1")
        return _sub(u, r"(?m)[ \t]*:[ \t]*([.,;!?]|$)", r"\1")

    return on_rows(removed, ~_mask(pc.equal(removed, t)) if len(t) else np.zeros(0, bool), tidy)


def normalise_whitespace(t: pa.Array) -> pa.Array:
    """One space between words, no spaces at line ends, at most one blank line, nothing at either end."""
    t = _sub(t, r"\r\n?", "\n")
    t = _sub(t, "[\\t\\x0b\\x0c " + _UNICODE_SPACES + "]+", " ")
    t = _sub(_sub(t, r" ?\n ?", "\n"), r"\n{3,}", "\n\n")
    return pc.utf8_trim_whitespace(t)


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace {{name}}-style placeholders whose key is in `values`; unknown ones stay (and are then caught)."""
    if "{{" not in text:
        return text
    return re.sub(P_PLACEHOLDER, lambda m: values.get(m.group(0).strip("{} "), m.group(0)), text)


# --- drops: texts -> which rows break the rule ----------------------------------------------------------------
def has_special_tokens(t: pa.Array) -> np.ndarray:
    return matches(t, P_SPECIAL_TOKENS)


def has_email(t: pa.Array) -> np.ndarray:
    return matches(t, P_EMAIL)


def is_empty(t: pa.Array) -> np.ndarray:
    """Empty or whitespace only."""
    return ~matches(t, r"\S")


def speaker_turns(t: pa.Array) -> np.ndarray:
    """How many labelled speaker turns ("User:", "Therapist:" ... at a line or sentence start) a text holds."""
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(pc.count_substring_regex(t, P_SPEAKER).to_numpy(zero_copy_only=False), dtype=np.int64)


def is_multi_turn(users: pa.Array, responses: pa.Array) -> np.ndarray:
    """Several speaker turns in one row, or a response that goes on to a next user turn."""
    return (speaker_turns(users) + speaker_turns(responses) >= 2) | matches(responses, P_USER_SPEAKER)


def refers_to_context(t: pa.Array) -> np.ndarray:
    return matches(t, P_CONTEXT)


def phone_digits(number: str) -> str:
    """Digits only, without a leading 1 (North American trunk prefix), so listed lines match any spelling."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern:
    # Python's re only confirms rows RE2 already matched (ASCII classes keep the two engines in step).
    return re.compile(pattern, re.ASCII)


def has_phone(t: pa.Array, allowlist: frozenset[str] = frozenset()) -> np.ndarray:
    """A phone number that is not a listed help line (matched on digits, with or without a leading 1)."""
    hit = matches(t, P_PHONE)
    if allowlist and hit.any():
        values = t.to_pylist()
        for i in np.flatnonzero(hit):
            hit[i] = any(phone_digits(m.group(0)) not in allowlist
                         for m in _compiled(P_PHONE).finditer(values[i]))
    return hit


def _names_pattern(known_names: tuple[str, ...]) -> str:
    extra = "|".join(re.escape(n) for n in known_names if n.strip())
    return P_PERSONAL_NAME + (rf"|\b(?:{extra})\b" if extra else "")


def has_personal_name(t: pa.Array, known_names: tuple[str, ...] = (), exempt: tuple[str, ...] = ()) -> np.ndarray:
    """A person's real name: a title or credentials next to a name, a self-introduction, a signature, or a
    name listed in the registry. Matches that contain the identity's own name or author do not count."""
    pattern = _names_pattern(known_names)
    hit = matches(t, pattern)
    exempt = tuple(e for e in exempt if e)
    if exempt and hit.any():
        values = t.to_pylist()
        for i in np.flatnonzero(hit):
            hit[i] = any(not any(e in m.group(0) for e in exempt) for m in _compiled(pattern).finditer(values[i]))
    return hit


def has_placeholder(t: pa.Array) -> np.ndarray:
    return matches(t, P_PLACEHOLDER)


def too_short(t: pa.Array, min_words: int) -> np.ndarray:
    if min_words <= 0:
        return np.zeros(len(t), dtype=bool)
    return ~matches(t, rf"^\s*(?:\S+\s+){{{min_words - 1}}}\S")


def too_long(t: pa.Array, max_chars: int) -> np.ndarray:
    return _mask(pc.greater(pc.utf8_length(t), max_chars)) if len(t) else np.zeros(0, bool)


# --- the chain ----------------------------------------------------------------------------------------------
@dataclass
class Cleaned:
    """The result of the chain on a batch: cleaned texts, the drops (row -> rule, detail), and per scrub the
    rows it changed."""

    users: pa.Array
    responses: pa.Array
    drops: dict[int, tuple[str, str]] = field(default_factory=dict)
    touched: dict[str, np.ndarray] = field(default_factory=dict)

    def touched_counts(self) -> dict[str, int]:
        return {name: int(m.sum()) for name, m in self.touched.items() if m.any()}


# Which rows each scrub can change (so it runs on those rows only) and, per stage, the union of the drop
# patterns (so each drop rule runs only on the rows some pattern matched).
_TRIGGERS = {
    UNICODE: "[^\\x00-\\x7f]|" + P_CONTROL,
    HTML: f"{P_HTML}|{P_HTML_BLOCK}",
    URLS: f"{P_URLS}|{P_MD_IMAGE}",
    WHITESPACE: f"{P_WHITESPACE}|[{_UNICODE_SPACES}]",
}


class _Chain:
    def __init__(self, users: pa.Array, responses: pa.Array) -> None:
        self.out = Cleaned(users, responses)
        self.alive = np.ones(len(users), dtype=bool)

    def scrub(self, name: str, fn: Callable[[pa.Array], pa.Array]) -> None:
        changed = np.zeros(len(self.alive), dtype=bool)
        for attr in ("users", "responses"):
            t = getattr(self.out, attr)
            rows = matches(t, _TRIGGERS[name]) & self.alive
            new = on_rows(t, rows, fn)
            if new is not t:
                changed |= ~_mask(pc.equal(t, new))
                setattr(self.out, attr, new)
        self.out.touched[name] = changed & self.alive

    def test(self, t: pa.Array, candidates: np.ndarray, fn: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
        """fn's answer on the candidate rows (alive ones only); False elsewhere."""
        out = np.zeros(len(t), dtype=bool)
        idx = np.flatnonzero(candidates & self.alive)
        if len(idx):
            out[idx] = fn(t.take(pa.array(idx, pa.int64())))
        return out

    def drop_sides(
        self, rule: str, hit_u: np.ndarray, hit_r: np.ndarray, what: str, pattern: str | None = None
    ) -> None:
        for side, hit, t in (("user", hit_u, self.out.users), ("response", hit_r, self.out.responses)):
            rows = np.flatnonzero(hit & self.alive)
            found = _first_match(t, rows, pattern) if pattern and len(rows) else [None] * len(rows)
            for i, m in zip(rows, found):
                detail = f"{what} {m.strip().lower()!r}" if m else what
                self.drop(int(i), rule, f"{side}: {detail}")

    def drop(self, i: int, rule: str, detail: str) -> None:
        if self.alive[i]:
            self.alive[i] = False
            self.out.drops[i] = (rule, detail)


def length_drops(users: pa.Array, responses: pa.Array, cfg: RuleConfig) -> dict[int, tuple[str, str]]:
    """The length rules (empty, too short, too long, in that order; user side first), which also run on the
    rows the screen lets through."""
    drops: dict[int, tuple[str, str]] = {}
    checks = (
        (EMPTY_SIDE, lambda t, side: is_empty(t), lambda side: f"{side}: empty"),
        (TOO_SHORT, lambda t, side: too_short(t, cfg.min_words[side]),
         lambda side: f"{side}: fewer than {cfg.min_words[side]} words"),
        (TOO_LONG, lambda t, side: too_long(t, cfg.max_chars[side]),
         lambda side: f"{side}: more than {cfg.max_chars[side]} characters"),
    )
    for rule, test, describe in checks:
        for side, t in (("user", users), ("response", responses)):
            for i in np.flatnonzero(test(t, side)):
                drops.setdefault(int(i), (rule, describe(side)))
    return drops


def clean_batch(users: pa.Array, responses: pa.Array, cfg: RuleConfig) -> Cleaned:
    """Every scrub and drop rule, in order, on a batch of (user, response) pairs; a row stops at its first drop."""
    c = _Chain(users, responses)
    c.scrub(UNICODE, normalise_unicode)
    c.drop_sides(SPECIAL_TOKENS, has_special_tokens(c.out.users), has_special_tokens(c.out.responses),
                 "chat-template token", P_SPECIAL_TOKENS)
    c.drop_sides(PERSONAL_EMAIL, has_email(c.out.users), has_email(c.out.responses), "e-mail address")
    c.scrub(HTML, strip_html)
    c.scrub(URLS, strip_urls)
    c.scrub(WHITESPACE, normalise_whitespace)
    c.drop_sides(EMPTY_SIDE, is_empty(c.out.users), is_empty(c.out.responses), "empty")

    names = _names_pattern(cfg.known_names)
    stage = "|".join(f"(?:{p})" for p in (P_SPEAKER, P_CONTEXT, P_PHONE, names, P_PLACEHOLDER))
    cand_u, cand_r = matches(c.out.users, stage), matches(c.out.responses, stage)
    u, r = c.out.users, c.out.responses
    turns = np.zeros(len(c.alive), dtype=np.int64)
    for t, cand in ((u, cand_u), (r, cand_r)):
        idx = np.flatnonzero(cand & c.alive)
        if len(idx):
            turns[idx] += speaker_turns(t.take(pa.array(idx, pa.int64())))
    continues = c.test(r, cand_r, lambda t: matches(t, P_USER_SPEAKER))
    for i in np.flatnonzero((turns >= 2) | continues):
        c.drop(int(i), MULTI_TURN,
               f"{turns[i]} speaker turns" if turns[i] >= 2 else "response continues with a user turn")
    c.drop_sides(CONTEXT_RELIANT, c.test(u, cand_u, refers_to_context), c.test(r, cand_r, refers_to_context),
                 "refers to earlier context", P_CONTEXT)
    c.drop_sides(PERSONAL_PHONE, c.test(u, cand_u, lambda t: has_phone(t, cfg.phone_allowlist)),
                 c.test(r, cand_r, lambda t: has_phone(t, cfg.phone_allowlist)), "phone number")
    c.drop_sides(PERSONAL_NAME,
                 c.test(u, cand_u, lambda t: has_personal_name(t, cfg.known_names, cfg.exempt_names)),
                 c.test(r, cand_r, lambda t: has_personal_name(t, cfg.known_names, cfg.exempt_names)),
                 "personal name (title, credentials, introduction, signature or listed name)")
    c.drop_sides(PLACEHOLDER, c.test(u, cand_u, has_placeholder), c.test(r, cand_r, has_placeholder),
                 "unfilled placeholder", P_PLACEHOLDER)
    for i, (rule, detail) in length_drops(u, r, cfg).items():
        c.drop(i, rule, detail)
    return c.out


def clean_pair(user: str, response: str, cfg: RuleConfig) -> tuple[str, str, list[str], str | None, str]:
    """The chain on one pair: (user, response, scrubs that changed it, drop rule or None, detail)."""
    out = clean_batch(texts([user]), texts([response]), cfg)
    rule, detail = out.drops.get(0, (None, ""))
    return (out.users[0].as_py(), out.responses[0].as_py(), [k for k, m in out.touched.items() if m[0]],
            rule, detail)


# --- the batch screen ---------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def screen_pattern(known_names: tuple[str, ...] = ()) -> str:
    parts = [*SCREEN_PATTERNS, _names_pattern(known_names)]
    return "|".join(f"(?:{p})" for p in parts)


def screen(t: pa.Array, cfg: RuleConfig) -> np.ndarray:
    """True where the chain could change or drop the text; False rows need only the length rules.
    Text that NFKC would change is always flagged; the rest is matched against every pattern in one pass."""
    if len(t) == 0:
        return np.zeros(0, dtype=bool)
    flagged = matches(t, screen_pattern(cfg.known_names))
    non_ascii = np.flatnonzero(~_mask(pc.string_is_ascii(t)))
    if len(non_ascii):
        sub = t.take(pa.array(non_ascii, pa.int64()))
        flagged[non_ascii] |= ~_mask(pc.equal(pc.utf8_normalize(sub, "NFKC"), sub))
    return flagged


# --- keys for de-duplication and the output lines -----------------------------------------------------------
_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())
_non_alnum_re = re.compile(r"[\W_]+")


def match_form(text: str | bytes) -> bytes:
    """The text as near-duplicate matching sees it: NFKC, case-folded, letters and digits only (punctuation
    and whitespace removed). Two texts are near-duplicates when their match forms are equal."""
    if isinstance(text, bytes):
        if text.isascii():
            return text.lower().translate(None, _NOT_ALNUM)
        text = text.decode("utf-8")
    elif text.isascii():
        return text.encode("ascii").lower().translate(None, _NOT_ALNUM)
    # ASCII punctuation and spaces go first at C speed (UTF-8 bytes >= 0x80 are left alone); the regex then
    # only meets the few non-ASCII marks that remain.
    kept = unicodedata.normalize("NFKC", text).casefold().encode("utf-8").translate(None, _NOT_ALNUM)
    return kept if kept.isascii() else _non_alnum_re.sub("", kept.decode("utf-8")).encode("utf-8")


def batch_keys(users: pa.Array, responses: pa.Array) -> tuple[list[int], list[int], list[int]]:
    """Per row: near key (match forms of both sides), user key (match form of the question) and an exact-text
    checksum (only used to tell a duplicate from a near-duplicate among rows whose near keys are equal).
    Keys are 64-bit XXH3 (stable across versions): a collision among a million rows has odds of about 1e-8."""
    import xxhash

    ub = users.cast(pa.large_binary()).to_pylist()
    rb = responses.cast(pa.large_binary()).to_pylist()
    near, user, exact = [], [], []
    xxh, crc, drop, general = xxhash.xxh3_64, zlib.crc32, _NOT_ALNUM, match_form
    add_near, add_user, add_exact = near.append, user.append, exact.append
    for u, r in zip(ub, rb):
        h = xxh(u.lower().translate(None, drop) if u.isascii() else general(u))
        add_user(h.intdigest())
        h.update(b"\x1f" + (r.lower().translate(None, drop) if r.isascii() else general(r)))
        add_near(h.intdigest())
        add_exact(crc(r, crc(u)))
    return near, user, exact


def _json_escape(t: pa.Array) -> pa.Array:
    # Cleaned text holds no control character but "\n" (the unicode and whitespace rules see to it), so these
    # three are all json.dumps would escape (tests compare the two).
    return pc.replace_substring(pc.replace_substring(pc.replace_substring(t, "\\", "\\\\"), '"', '\\"'), "\n", "\\n")


def alpaca_lines(system_json: str, users: pa.Array, responses: pa.Array) -> pa.Array:
    """Alpaca rows as JSON text, byte-identical to json.dumps(row, ensure_ascii=False)."""
    if len(users) == 0:
        return pa.array([], pa.large_string())
    def lit(text: str) -> pa.Scalar:
        return pa.scalar(text, pa.large_string())

    return pc.binary_join_element_wise(
        lit(f'{{"system": {system_json}, "instruction": "'), _json_escape(users),
        lit('", "input": "", "output": "'), _json_escape(responses), lit('", "history": []}'), lit(""),
    )
