"""A small learned layer beside the rules: a linear model over hashed n-grams and the rules' own signals.

Why: a phrase or concept table is written by a few people, and every new writer finds wording it lacks (the
blind rounds in dataset_info/crisis/README.md: half of a new writer's crisis messages got past the rules). A
classifier learns from many writers at once, and the rules' signals are among its inputs, so it also learns
how far to trust each rule (a negated intent, a joke veto, a weak kind alone).

The model is multinomial logistic regression (one weight row per hashed feature, summed, weighted by
1/sqrt(feature count); trained with a `torch.nn.EmbeddingBag`, applied in numpy) over five classes: `none`
and the four crisis categories. Features, each hashed with CRC-32 into `BUCKETS` rows:

- words and word pairs of the normalised text (`normalise`: shorthand, leetspeak and spacing already undone);
- character 3-5-grams inside words (misspellings, inflections);
- the rule layer's signals (`screen.rule_signals`): strong rule ids, weak kinds, vetoes and the rules' level.

A message of more than two sentences is read whole and in overlapping parts of two (`parts`, `strongest`), so
that one sentence of risk among everyday news is not outweighed by the rest.

It is trained by `eai safety train` (`safety/train.py`) and shipped in dataset_info/crisis/classifier/
(`model.safetensors`: only the rows training touched; `card.json`: what it was trained on, its thresholds and
its cross-validated figures). It needs no GPU and about a millisecond per message.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError
from eai_recipes.safety.normalise import sentences
from eai_recipes.safety.resources import CRISIS_DIR, display_path

CLASSES = ("none", "suicide", "self_harm", "harm_others", "danger")
BUCKETS = 1 << 18
CLASSIFIER_DIR = CRISIS_DIR / "classifier"
MODEL_FILE = "model.safetensors"
CARD_FILE = "card.json"
_WORD = re.compile(r"[a-z']+|\d+")
# Rule signals are few per message against hundreds of n-grams; repeating them gives them the weight of a
# word or two in the 1/sqrt(n) normalisation without a second model.
SIGNAL_REPEAT = 3
# A long message is also read in parts of PART_SENTENCES sentences: read whole, one sentence of risk among
# everyday news weighs little against all the other words (the eighth blind round's long messages). A part's
# P(crisis) counts at PART_WEIGHT of itself, as a part has less context than the whole. Chosen out of group
# on the training sets (weights 0.75-1.0 tried), see dataset_info/crisis/README.md.
PART_SENTENCES = 2
PART_WEIGHT = 0.85


def features(norm: str, signals: Sequence[str] = ()) -> list[str]:
    """The feature strings of a normalised text and its rule signals (before hashing)."""
    words = _WORD.findall(norm)
    out = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    for w in words:
        padded = f" {w} "
        for k in (3, 4, 5):
            out += [f"c:{padded[i:i + k]}" for i in range(max(1, len(padded) - k + 1))]
    return out + [f"s:{s}" for s in signals] * SIGNAL_REPEAT


def hashed(feats: Iterable[str]) -> list[int]:
    """Bucket ids; CRC-32 because Python's own `hash` of a str changes from one process to the next."""
    return [zlib.crc32(f.encode()) % BUCKETS for f in feats] or [0]


def parts(norm: str) -> list[str]:
    """A long message's overlapping parts of `PART_SENTENCES` sentences (none for a message that short)."""
    found = sentences(norm)
    if len(found) <= PART_SENTENCES:
        return []
    return [" . ".join(found[i:i + PART_SENTENCES]) for i in range(len(found) - PART_SENTENCES + 1)]


Reading = tuple[str, Sequence[str]]  # a normalised text and its rule signals


def message_ids(readings: Sequence[Reading]) -> list[list[int]]:
    """Feature ids of a message read whole, then of each of its parts (each with the rules' signals on it)."""
    return [feature_ids(norm, signals) for norm, signals in readings]


def strongest(whole: dict[str, float], parts: Sequence[dict[str, float]]) -> dict[str, float]:
    """The message's probabilities: the whole's, or a part's at `PART_WEIGHT` where that says more risk."""
    best, risk = whole, 1.0 - whole["none"]
    for p in parts:
        if (1.0 - p["none"]) * PART_WEIGHT > risk:
            best = {c: (1.0 - (1.0 - v) * PART_WEIGHT if c == "none" else v * PART_WEIGHT) for c, v in p.items()}
            risk = 1.0 - best["none"]
    return best


@functools.lru_cache(maxsize=1 << 16)
def _word_ids(word: str) -> tuple[int, tuple[int, ...]]:
    """A word's own bucket ids (the word; its character n-grams), hashed once: words repeat across messages and
    across a conversation's turns, which are read alone and together."""
    padded = f" {word} "
    grams = (f"c:{padded[i:i + k]}" for k in (3, 4, 5) for i in range(max(1, len(padded) - k + 1)))
    return hashed([f"w:{word}"])[0], tuple(hashed(grams))


def feature_ids(norm: str, signals: Sequence[str] = ()) -> list[int]:
    """`hashed(features(norm, signals))`, the same ids in the same order, faster."""
    words = _WORD.findall(norm)
    own = [_word_ids(w) for w in words]
    ids = [w for w, _ in own] + hashed(f"b:{a} {b}" for a, b in zip(words, words[1:]))[:max(len(words) - 1, 0)]
    ids += [i for _, grams in own for i in grams]
    ids += hashed(f"s:{s}" for s in signals)[:len(signals)] * SIGNAL_REPEAT
    return ids or [0]


@dataclass(frozen=True)
class Thresholds:
    """Levels of P(crisis) = 1 - P(none), chosen by `eai safety train` out of group:

    - `crisis`: the model alone makes a crisis at or above it;
    - `keep`: a rule's crisis stays a crisis at or above it;
    - `rule_concern`: below `keep`, a rule's crisis or concern is a concern at or above it (below, the model is
      sure enough that it is not one: an idiom, a story, a recovered past);
    - `concern`: the model alone makes a concern at or above it;
    - `settled` (conversations only): an earlier turn's crisis is held at concern when the turns read together
      score below it (`screen.decide_conversation`).
    """

    crisis: float
    concern: float
    keep: float
    rule_concern: float = 0.0
    settled: float = 0.0


class Classifier:
    """A trained model: `probabilities(norm, signals)` -> {class: p}. Conversations have thresholds of their
    own: their negatives (a clarified idiom, a story set up two turns back) are not single messages' negatives.

    Inference is a sum of weight rows in numpy, not torch: the server screens in worker threads while the chat
    model generates, and torch calls from those threads would share the generation's thread pools."""

    def __init__(self, weight: Any, bias: Any, thresholds: Thresholds, card: dict[str, Any],
                 conversation_thresholds: Thresholds | None = None):
        import numpy as np

        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.thresholds = thresholds
        self.conversation_thresholds = conversation_thresholds or thresholds
        self.card = card

    def probabilities(self, norm: str, signals: Sequence[str] = ()) -> dict[str, float]:
        return self.batch([(norm, signals)])[0]

    def batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, float]]:
        return self.scores([feature_ids(n, s) for n, s in items])

    def read_messages(self, messages: Sequence[Sequence[Reading]]) -> list[dict[str, float]]:
        """Messages, each read whole and in parts (its readings, the whole first), by `strongest`."""
        return self.message_scores([message_ids(m) for m in messages])

    def message_scores(self, messages: Sequence[Sequence[Sequence[int]]]) -> list[dict[str, float]]:
        """`read_messages` from `message_ids`, in one scoring pass."""
        scores = self.scores([ids for m in messages for ids in m])
        out, i = [], 0
        for m in messages:
            out.append(strongest(scores[i], scores[i + 1:i + len(m)]))
            i += len(m)
        return out

    def scores(self, rows: Sequence[Sequence[int]]) -> list[dict[str, float]]:
        """Probabilities for rows of hashed feature ids (the training's EmbeddingBag sum, 1/sqrt(n) weighted)."""
        import numpy as np

        out = []
        for ids in rows:
            logits = self.weight[np.asarray(ids)].sum(axis=0) * len(ids) ** -0.5 + self.bias
            e = np.exp(logits - logits.max())
            out.append(dict(zip(CLASSES, (e / e.sum()).tolist())))
        return out

    def save(self, directory: Path) -> None:
        import numpy as np
        from safetensors.numpy import save_file

        directory.mkdir(parents=True, exist_ok=True)
        rows = np.nonzero(np.abs(self.weight).sum(-1))[0].astype(np.int32)
        save_file({"rows": rows, "weight": self.weight[rows].astype(np.float16),
                   "bias": self.bias.astype(np.float16)}, str(directory / MODEL_FILE))
        (directory / CARD_FILE).write_text(json.dumps(self.card, indent=2) + "\n", encoding="utf-8")


def bag_inputs(rows: Sequence[Sequence[int]]) -> tuple[Any, Any, Any]:
    """EmbeddingBag inputs (flat ids, offsets, 1/sqrt(n) weights) for several feature lists."""
    import torch

    idx: list[int] = []
    offsets: list[int] = []
    weights: list[float] = []
    for ids in rows:
        offsets.append(len(idx))
        idx += ids
        weights += [len(ids) ** -0.5] * len(ids)
    return torch.tensor(idx), torch.tensor(offsets), torch.tensor(weights)


def load(directory: str | Path = CLASSIFIER_DIR) -> Classifier:
    """Load a trained classifier; a missing or damaged file is an error naming it."""
    import numpy as np
    from safetensors.numpy import load_file

    directory = Path(directory)
    model, card_file = directory / MODEL_FILE, directory / CARD_FILE
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
        thresholds, conversations = (Thresholds(**{k: float(v) for k, v in card[key].items()})
                                     for key in ("thresholds", "conversation_thresholds"))
        tensors = load_file(str(model))
    except FileNotFoundError as exc:
        raise EaiError(f"{display_path(Path(exc.filename or directory))}: the crisis classifier is missing; "
                       "train it with `eai safety train`") from None
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise EaiError(f"{display_path(directory)}: a damaged crisis classifier ({exc}); "
                       "train it again with `eai safety train`") from None
    if card.get("buckets") != BUCKETS or card.get("classes") != list(CLASSES):
        raise EaiError(f"{display_path(card_file)}: trained with other features (buckets, classes) than this "
                       "code uses; train it again with `eai safety train`")
    weight = np.zeros((BUCKETS, len(CLASSES)), dtype=np.float32)
    weight[tensors["rows"]] = tensors["weight"].astype(np.float32)
    return Classifier(weight, tensors["bias"], thresholds, card, conversations)


@functools.cache
def shipped() -> Classifier:
    """The classifier shipped with the project, loaded once per process."""
    return load(CLASSIFIER_DIR)
