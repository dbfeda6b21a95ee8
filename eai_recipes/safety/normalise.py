"""One canonical form of a message, so that each lexicon entry is written once.

NFKC, lower case, curly quotes, zero-width characters, censored or leetspeak spellings ("k!ll", "su1cide",
"s*icide"), spaced-out letters ("k i l l", "s.u.i.c.i.d.e"), chat shorthand ("kms", "unalive", "wanna", "im")
and contractions ("don't" -> "do not").

Every step is linear in the length of the text: tokens longer than `_MAX_TOKEN` characters are left as they
are (no word of the lexicons is that long, and a giant token must not cost quadratic time in a regex).
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ", "\u2026": "..."})

# Words that people censor or misspell on purpose; a token with '*' or '#' inside is matched against them.
_CENSORED_WORDS = ("kill", "killing", "suicide", "suicidal", "die", "dead", "death", "myself", "hang", "cut",
                   "cutting", "unalive", "self", "harm", "rape", "raped")

_LEET = {"1": "i", "!": "i", "|": "i", "3": "e", "0": "o", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t"}

# Chat shorthand and apostrophe-less contractions, applied word by word (keys are whole tokens).
_SHORTHAND = {
    "kms": "kill myself", "kmsl": "kill myself", "unalive": "die", "unalived": "died", "unaliving": "dying",
    "sewerslide": "suicide", "suicde": "suicide", "sucide": "suicide", "suiside": "suicide",
    "selfharm": "self-harm", "selfharming": "self-harming", "selfharmed": "self-harmed",
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to", "hafta": "have to",
    "im": "i am", "ive": "i have", "youre": "you are", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "cant": "can not", "cannot": "can not", "wont": "will not", "wouldnt": "would not",
    "couldnt": "could not", "shouldnt": "should not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "werent": "were not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
    "aint": "am not", "thats": "that is", "theres": "there is", "whats": "what is", "hes": "he is",
    "shes": "she is", "u": "you", "ur": "your", "r": "are", "rn": "right now", "bc": "because",
    "cuz": "because", "cos": "because", "tmrw": "tomorrow", "tmr": "tomorrow", "tonite": "tonight",
    "2nite": "tonight", "ppl": "people", "every1": "everyone", "some1": "someone", "any1": "anyone",
    "no1": "no one", "bf": "boyfriend", "gf": "girlfriend", "smth": "something",
    "idk": "i do not know", "idc": "i do not care", "ima": "i am going to", "imma": "i am going to",
    "lemme": "let me", "gimme": "give me", "alot": "a lot", "ok": "okay", "pls": "please", "plz": "please",
    "abt": "about", "thru": "through", "tho": "though", "w/": "with",
}

_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\bain't\b"), "am not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    # 's after a pronoun is "is" (or "has": rules accept "is been"); after a noun it stays a possessive.
    (re.compile(r"\b(he|she|it|that|there|what|who|someone|somebody|everyone|everybody|nobody|no one|"
                r"life|everything|nothing|this)'s\b"), r"\1 is"),
    # "tonight's the night", "today's the day" (but "today's meeting" stays a possessive).
    (re.compile(r"\b(tonight|today|tomorrow)'s (?=the\b)"), r"\1 is "),
)

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff\ufe00-\ufe0f]")
_TOKEN = re.compile(r"[^\s]+")
_WORD_EDGE = re.compile(r"^([\"'(\[]*)(.*?)([\"')\].,!?;:]*)$")


_MAX_TOKEN = 40
_PLAIN_WORD = re.compile(r"[a-z]+[.,!?;:]?")


def _fold_token(token: str) -> str:
    """One whitespace-separated token: censored words, leetspeak inside words, shorthand."""
    if len(token) > _MAX_TOKEN:
        return token
    if _PLAIN_WORD.fullmatch(token) and token.rstrip(".,!?;:") not in _SHORTHAND:
        return token  # the common case, kept fast
    lead, core, trail = _WORD_EDGE.match(token).groups()
    if not core:
        return token
    if any(ch in core for ch in "*#") and any(ch.isalpha() for ch in core):
        pattern = re.compile("^" + "".join("[a-z]?" if ch in "*#" else re.escape(ch) for ch in core) + "$")
        for word in _CENSORED_WORDS:
            if pattern.match(word):
                core = word
                break
    if any(ch in _LEET for ch in core) and sum(ch.isalpha() for ch in core) >= 2:
        # Only inside a word: "k1ll" -> "kill", but "5-0" and "2am" stay.
        chars = list(core)
        for i, ch in enumerate(chars):
            if ch in _LEET and 0 < i < len(chars) - 1 and chars[i - 1].isalpha() and chars[i + 1].isalpha():
                chars[i] = _LEET[ch]
        core = "".join(chars)
    core = _SHORTHAND.get(core, core)
    return lead + core + trail


def normalise(text: str) -> str:
    """The canonical form the rules are written against (lower case, contractions expanded)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES).lower()
    # "unalive myself" is "kill myself"; a bare "unalive" is "die" (done word by word below).
    text = re.sub(r"\bun-?aliv(?:e|ing|ed) (?:myself|me)\b", "kill myself", text)
    text = _join_spaced_letters(text)
    text = " ".join(_fold_token(tok) for tok in _TOKEN.findall(text)) if text.strip() else ""
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    # "want 2 die", "going 2 end it": a lone 2 after these verbs is "to".
    text = re.sub(r"\b(want|wants|wanted|going|need|needs|have|ready|deserve|plan|planning|like|trying)\s+2\b",
                  r"\1 to", text)
    text = re.sub(r"\bsewer[\s-]+slide\b", "suicide", text)
    text = re.sub(r"\bself[\s-]+delet(?:e|ing|ion)\b", "kill myself", text)
    text = re.sub(r"\bmy self\b", "myself", text)
    return re.sub(r"[ \t]+", " ", text).strip()


# Spaced-out letters ("k i l l m y s e l f", "s.u.i.c.i.d.e"): three or more single letters with one separator
# between them are joined, then split back into words where the vocabulary below allows it.
_SPACED = re.compile(r"(?<![\w])(?:[a-z][ .\-_*]){2,30}[a-z](?!\w|[.\-_*][a-z])")
_SEGMENT_VOCAB = frozenset(
    ["i", "me", "my", "myself", "you", "your", "it", "is", "am", "a", "an", "to", "the", "of", "and", "be", "do",
     "want", "wanna", "going", "gonna", "will", "kill", "killing", "die", "dying", "dead", "death", "end", "ending",
     "life", "live", "suicide", "suicidal", "self", "harm", "cut", "cutting", "hang", "hurt", "hurting", "pills",
     "overdose", "jump", "not", "no", "never", "anymore", "tonight", "now", "today", "tomorrow", "just", "help",
     "please", "he", "she", "him", "her", "them", "they", "hate", "everyone", "alive", "sleep", "wake", "up", "gone",
     "goodbye", "bye", "done", "over"])


def _segment(word: str) -> str:
    """`word` split into vocabulary words (fewest pieces), or `word` itself when it does not split."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 9), end):
            head, current = best[start], best[end]
            if head is not None and word[start:end] in _SEGMENT_VOCAB and (
                    current is None or len(head) + 1 < len(current)):
                best[end] = head + [word[start:end]]
    return " ".join(best[-1]) if best[-1] else word


def _join_spaced_letters(text: str) -> str:
    return _SPACED.sub(lambda m: _segment(re.sub(r"[ .\-_*]", "", m.group())), text)


_SENTENCE_SPLIT = re.compile(r"(?:[.!?;\n]+|\s-\s)\s*")
# A sentence longer than this is screened in overlapping windows, so that the rules' bounded gaps keep the
# work per character constant (a 250,000-character message without punctuation must not block the server).
_WINDOW, _OVERLAP = 400, 100


def sentences(text: str) -> list[str]:
    """The sentences of a normalised text; a very long one comes as overlapping windows of `_WINDOW` chars."""
    out = []
    for s in _SENTENCE_SPLIT.split(text):
        s = s.strip()
        if len(s) <= _WINDOW:
            if s:
                out.append(s)
            continue
        step = _WINDOW - _OVERLAP
        out.extend(s[i:i + _WINDOW] for i in range(0, len(s) - _OVERLAP, step))
    return out
