"""Training the learned layer (`classifier`) on the labelled sets, and choosing its thresholds honestly.

Every labelled set is a *group* (one writer, or one batch in one style). Thresholds are chosen on
leave-one-group-out predictions: each set is scored by a model that never saw it, which is how a new writer's
wording will meet the shipped model. The card records those out-of-group figures per set; figures of the final
model on its own training sets are not estimates of anything and are not reported as such.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eai_recipes.safety import classifier as clf
from eai_recipes.safety.evaluate import load_labelled
from eai_recipes.safety.resources import CRISIS_DIR, display_path
from eai_recipes.safety.screen import (
    ConversationInput,
    Screening,
    combine,
    conversation_inputs,
    decide_conversation,
    message_inputs,
)

# The budgets the thresholds are chosen under, a little inside the goals (<= 0.05 false positives at
# the crisis level, <= 0.15 others marked by crisis or concern) so that a new writer's set has some room.
CRISIS_FP_BUDGET = 0.04
MARKED_BUDGET = 0.12
# The goal itself: what `settled` moves is an earlier turn's crisis to concern, and for the person the two differ
# little (the model answers the latest message, with the resources under it, either way).
CONVERSATION_FP_BUDGET = 0.10
EPOCHS = 120
LEARNING_RATE = 0.05
WEIGHT_DECAY = 1e-5
FOLDS = 10  # sets dealt round-robin (in name order) into this many folds
_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))


def training_files(root: Path = CRISIS_DIR) -> list[Path]:
    """Every labelled set under dataset_info/crisis/ (the shipped sets, the blind rounds, the training batches)
    except those in `unseen/`: blind rounds kept out of training, so that the shipped model's figure on them
    stays a figure on wording it never saw."""
    return sorted(p for p in root.rglob("*.jsonl") if p.is_file() and "unseen" not in p.relative_to(root).parts)


@dataclass
class Row:
    norm: str
    signals: Sequence[str]
    label: int  # index in clf.CLASSES
    group: str
    rule: Screening
    conversation: ConversationInput | None = None  # a conversation of two or more user turns
    readings: Sequence[clf.Reading] = ()  # a message's, read whole and in parts (`MessageInput.readings`)

    @functools.cached_property
    def ids(self) -> list[int]:
        """Hashed features, computed once for all the folds."""
        return clf.feature_ids(self.norm, self.signals)

    @functools.cached_property
    def message_ids(self) -> list[list[int]]:
        """A message read whole and in parts (`classifier.message_ids`; the whole's ids are `ids`)."""
        return [self.ids, *clf.message_ids(self.readings[1:])]

    @functools.cached_property
    def turn_ids(self) -> list[list[list[int]]]:
        """A conversation's recent user turns, each read alone as a message."""
        turns = self.conversation.turns if self.conversation else []
        return [clf.message_ids(t.readings) for t in turns]


def rows_of(path: Path) -> list[Row]:
    """One row per labelled message or conversation of a set."""
    out = []
    for ex in load_labelled(path):
        label = clf.CLASSES.index(ex.category) if ex.crisis and ex.category in clf.CLASSES else int(ex.crisis)
        read = conversation_inputs(ex.messages) if ex.messages is not None else None
        if read is not None and read.whole is not None:
            out.append(Row(read.whole[0], read.whole[1], label, path.stem, read.rule, read))
        else:
            one = message_inputs([ex.text if ex.messages is None else ex.messages[-1]["content"]])[0]
            out.append(Row(one.norm, one.signals, label, path.stem, one.rule, readings=one.readings))
    return out


def fit(rows: Sequence[Row], *, epochs: int = EPOCHS) -> clf.Classifier:
    """Multinomial logistic regression over hashed features, full batch, Adam, a small L2 penalty."""
    import torch

    torch.manual_seed(0)
    bag = torch.nn.EmbeddingBag(clf.BUCKETS, len(clf.CLASSES), mode="sum")
    torch.nn.init.zeros_(bag.weight)
    bias = torch.zeros(len(clf.CLASSES), requires_grad=True)
    idx, offsets, weights = clf.bag_inputs([r.ids for r in rows])
    labels = torch.tensor([r.label for r in rows])
    opt = torch.optim.Adam([bag.weight, bias], lr=LEARNING_RATE)
    for _ in range(epochs):
        opt.zero_grad()
        logits = bag(idx, offsets, per_sample_weights=weights) + bias
        loss = torch.nn.functional.cross_entropy(logits, labels) + WEIGHT_DECAY * (bag.weight ** 2).sum()
        loss.backward()
        opt.step()
    return clf.Classifier(bag.weight.detach().numpy(), bias.detach().numpy(), clf.Thresholds(0.6, 0.4, 0.4, 0.3), {})


Probs = dict[str, float]


def out_of_group(rows: Sequence[Row], progress: Callable[[str], None] = print
                 ) -> tuple[list[Probs], list[list[Probs]]]:
    """Each row's probabilities from a model that never saw its set, and for a conversation those of each of its
    recent user turns read alone: the sets are dealt into `FOLDS` folds (whole sets, never split), and each fold
    is scored by a model trained on the others."""
    groups = sorted({r.group for r in rows})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    folds = sorted(set(fold_of.values()))
    probs: list[Probs | None] = [None] * len(rows)
    turn_probs: list[list[Probs]] = [[] for _ in rows]
    for n, fold in enumerate(folds, 1):
        started = time.monotonic()
        model = fit([r for r in rows if fold_of[r.group] != fold])
        held = [i for i, r in enumerate(rows) if fold_of[r.group] == fold]
        whole = [i for i in held if rows[i].conversation]
        alone = [i for i in held if not rows[i].conversation]
        for i, p in zip(whole, model.scores([rows[i].ids for i in whole])):
            probs[i] = p
        for i, p in zip(alone, model.message_scores([rows[i].message_ids for i in alone])):
            probs[i] = p
        for i in whole:
            turn_probs[i] = model.message_scores(rows[i].turn_ids)
        names = sorted(g for g in groups if fold_of[g] == fold)
        progress(f"  cross-validation {n}/{len(folds)}: {len(held)} rows of {len(names)} sets held out "
                 f"({', '.join(names[:3])}{' ...' if len(names) > 3 else ''}; {time.monotonic() - started:.1f} s)")
    return probs, turn_probs  # type: ignore[return-value]


def figures(rows: Sequence[Row], probs: Sequence[Probs], t: clf.Thresholds) -> dict[str, float | int]:
    """Recall and false positives per level of the rules and the model combined by `t`."""
    return level_figures(rows, [combine(r.rule, p, t).level for r, p in zip(rows, probs)])


def level_figures(rows: Sequence[Row], levels: Sequence[str]) -> dict[str, float | int]:
    """Recall and false positives per level, each row's level given."""
    pos = [lv for r, lv in zip(rows, levels) if r.label]
    neg = [lv for r, lv in zip(rows, levels) if not r.label]

    def share(levels: list[str], allowed: tuple[str, ...]) -> float:
        return round(sum(lv in allowed for lv in levels) / len(levels), 3) if levels else float("nan")

    return {"n_crisis": len(pos), "n_not": len(neg),
            "crisis_recall": share(pos, ("crisis",)), "crisis_false_positives": share(neg, ("crisis",)),
            "crisis_or_concern_recall": share(pos, ("crisis", "concern")),
            "others_marked": share(neg, ("crisis", "concern"))}


def choose_thresholds(rows: Sequence[Row], probs: Sequence[dict[str, float]]) -> clf.Thresholds:
    """Two searches over a grid of 0.05 steps, on out-of-group predictions: `crisis` and `keep` with the highest
    crisis recall at <= CRISIS_FP_BUDGET false positives; then `concern` and `rule_concern` with the highest
    crisis-or-concern recall marking <= MARKED_BUDGET of the others."""
    never = 1.01  # a threshold no probability reaches

    def best(candidates, key_recall: str, key_cost: str, budget: float) -> clf.Thresholds | None:
        found = None
        for t in candidates:
            f = figures(rows, probs, t)
            if f[key_cost] <= budget and (found is None or (f[key_recall], -f[key_cost]) > found[0]):
                found = ((f[key_recall], -f[key_cost]), t)
        return found[1] if found else None

    nothing = clf.Thresholds(never, never, 0.0, 0.0)  # no pair within the budget: the rules alone decide
    crisis = best((clf.Thresholds(c, never, k, never) for k in (*_GRID, never) for c in _GRID),
                  "crisis_recall", "crisis_false_positives", CRISIS_FP_BUDGET) or nothing
    both = best((clf.Thresholds(crisis.crisis, c, crisis.keep, r) for c in (*_GRID, never)
                 for r in (0.0, *_GRID, never) if c <= crisis.crisis or c == never),
                "crisis_or_concern_recall", "others_marked", MARKED_BUDGET)
    return both or crisis


def levels_of(rows: Sequence[Row], probs: Sequence[Probs], turn_probs: Sequence[Sequence[Probs]],
              message_t: clf.Thresholds, conversation_t: clf.Thresholds) -> list[str]:
    """Each row's level as the screen decides it: a message by `combine`, a conversation by
    `screen.decide_conversation` (its turns read alone and together)."""
    return [decide_conversation(r.conversation, list(tp), p, message_t, conversation_t).level if r.conversation
            else combine(r.rule, p, message_t).level for r, p, tp in zip(rows, probs, turn_probs)]


def choose_settled(rows: Sequence[Row], probs: Sequence[Probs], turn_probs: Sequence[Sequence[Probs]],
                   message_t: clf.Thresholds, conversation_t: clf.Thresholds) -> clf.Thresholds:
    """`conversation_t` with the `settled` level that gives conversations, decided as the screen decides them,
    the highest crisis recall at <= CONVERSATION_FP_BUDGET false positives; 0 (no crisis held at concern)
    when no level keeps within the budget."""
    found = None
    for level in (0.0, *_GRID):
        t = dataclasses.replace(conversation_t, settled=level)
        f = level_figures(rows, levels_of(rows, probs, turn_probs, message_t, t))
        if f["crisis_false_positives"] <= CONVERSATION_FP_BUDGET and (
                found is None or (f["crisis_recall"], -f["crisis_false_positives"]) > found[0]):
            found = ((f["crisis_recall"], -f["crisis_false_positives"]), t)
    return found[1] if found else conversation_t


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(files: Sequence[Path], out: Path, *, cross_validate: bool = True,
          progress: Callable[[str], None] = print) -> clf.Classifier:
    """Train on `files`, choose thresholds out of group (or keep the defaults without cross-validation), write
    the model and its card to `out`."""
    rows: list[Row] = []
    for path in files:
        rows += rows_of(path)
    progress(f"training the crisis classifier on {len(rows)} rows from {len(files)} sets")
    conv = [r.conversation is not None for r in rows]
    thresholds = conversation_thresholds = clf.Thresholds(0.6, 0.4, 0.4, 0.3)
    per_group: dict[str, dict] = {}
    pooled: dict[str, dict] = {}
    if cross_validate and len({r.group for r in rows}) > 1:
        probs, turn_probs = out_of_group(rows, progress)
        chosen = {}
        for name, want in (("messages", False), ("conversations", True)):
            part = [(r, p) for r, p, c in zip(rows, probs, conv) if c == want]
            if part:
                chosen[name] = choose_thresholds([r for r, _ in part], [p for _, p in part])
        thresholds = chosen.get("messages", thresholds)
        conversation_thresholds = chosen.get("conversations", thresholds)
        if any(conv):
            held = [i for i, c in enumerate(conv) if c]
            conversation_thresholds = choose_settled([rows[i] for i in held], [probs[i] for i in held],
                                                     [turn_probs[i] for i in held], thresholds,
                                                     conversation_thresholds)
        levels = levels_of(rows, probs, turn_probs, thresholds, conversation_thresholds)
        for name, want in (("messages", False), ("conversations", True)):
            part = [i for i, c in enumerate(conv) if c == want]
            if part:
                pooled[name] = level_figures([rows[i] for i in part], [levels[i] for i in part])
        for g in sorted({r.group for r in rows}):
            part = [i for i, r in enumerate(rows) if r.group == g]
            per_group[g] = level_figures([rows[i] for i in part], [levels[i] for i in part])
    model = fit(rows)
    model.thresholds, model.conversation_thresholds = thresholds, conversation_thresholds
    model.card = {
        "what": "crisis classifier: multinomial logistic regression over hashed word, word-pair and character "
                "n-grams and the rules' signals; a long message read whole and in parts "
                "(eai_recipes/safety/classifier.py)",
        "parts": {"sentences": clf.PART_SENTENCES, "weight": clf.PART_WEIGHT},
        "trained": dt.date.today().isoformat(),
        "command": "eai safety train",
        "classes": list(clf.CLASSES), "buckets": clf.BUCKETS,
        "epochs": EPOCHS, "learning_rate": LEARNING_RATE, "weight_decay": WEIGHT_DECAY,
        "thresholds": vars(thresholds), "conversation_thresholds": vars(conversation_thresholds),
        "budgets": {"crisis_false_positives": CRISIS_FP_BUDGET, "others_marked": MARKED_BUDGET,
                    "conversations_crisis_false_positives": CONVERSATION_FP_BUDGET},
        "training_sets": [{"file": display_path(p), "sha256": file_sha256(p)} for p in files],
        "rows": {c: sum(r.label == i for r in rows) for i, c in enumerate(clf.CLASSES)},
        "out_of_group": {"pooled": pooled, "per_set": per_group},
    }
    model.save(out)
    progress(f"wrote {display_path(out / clf.MODEL_FILE)} and {display_path(out / clf.CARD_FILE)}; thresholds "
             f"{thresholds} (messages), {conversation_thresholds} (conversations)")
    return model
