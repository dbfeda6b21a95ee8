"""The learned layer: the shipped model is in step with its data, training runs end to end (with and without
cross-validation), damaged models are clear errors, and the rules and the model combine as documented."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eai_recipes import safety
from eai_recipes.errors import EaiError
from eai_recipes.safety import classifier, train
from eai_recipes.safety.screen import Screening, combine, message_inputs, screen, screen_conversation, screen_rules

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_model_was_trained_on_the_shipped_sets_as_they_are():
    """A set edited (or added) without `eai safety train` leaves the shipped model out of step with its data."""
    card = classifier.shipped().card
    on_disk = {str(p.relative_to(ROOT)): train.file_sha256(p) for p in train.training_files()}
    in_card = {s["file"]: s["sha256"] for s in card["training_sets"]}
    assert in_card == on_disk, "the labelled sets changed since the classifier was trained: run `eai safety train`"
    assert card["classes"] == list(classifier.CLASSES) and card["buckets"] == classifier.BUCKETS
    assert card["out_of_group"]["pooled"]["messages"]["n_crisis"] > 1000


def test_card_thresholds_are_the_ones_the_model_uses():
    model = classifier.shipped()
    assert vars(model.thresholds) == model.card["thresholds"]
    assert vars(model.conversation_thresholds) == model.card["conversation_thresholds"]
    t = model.thresholds
    assert 0 <= t.rule_concern <= t.keep and t.concern <= t.crisis <= 1


@pytest.mark.parametrize("text, signals", [("i have the pills saved up and i am done", ["weak:means", "L:concern"]),
                                          ("", []), ("!!", ["L:none"]), ("me me me", []), ("a", [])])
def test_feature_ids_are_the_hashed_features(text, signals):
    """The fast path (each word's ids cached) gives the ids of the readable one, in the same order."""
    for _ in range(2):  # the second time from the cache
        assert classifier.feature_ids(text, signals) == classifier.hashed(classifier.features(text, signals))


def test_a_long_message_is_also_read_in_parts():
    """Parts of two sentences, overlapping; a short message has none. A part says more only where its risk,
    weighted by PART_WEIGHT, is above the whole's."""
    assert classifier.parts("one. two") == [] and classifier.parts("") == []
    assert classifier.parts("one. two. three. four") == ["one . two", "two . three", "three . four"]
    [read] = message_inputs(["I feel fine. My day was long. I cut myself again last night."])
    assert [norm for norm, _ in read.parts] == ["i feel fine . my day was long", "my day was long . i cut myself "
                                                "again last night"]
    assert "L:none" in read.parts[0][1] and "L:crisis" in read.parts[1][1]  # the rules read each part too
    assert classifier.message_ids(read.readings)[2] == classifier.feature_ids(*read.parts[1])
    whole, calm, risky = _p(0.2), _p(0.1), _p(0.8, "suicide")
    assert classifier.strongest(whole, [calm]) is whole
    best = classifier.strongest(whole, [calm, risky])
    w = classifier.PART_WEIGHT
    assert best["suicide"] == pytest.approx(0.8 * w) and best["none"] == pytest.approx(1 - 0.8 * w)
    assert sum(best.values()) == pytest.approx(1.0)
    assert classifier.strongest(_p(0.7), [_p(0.75, "suicide")])["none"] == pytest.approx(0.3)  # 0.75 * w < 0.7


def test_a_crisis_buried_in_a_long_everyday_message_is_found():
    news = ("Work was fine today, we finally shipped the new menu at the cafe. My sister rang about her wedding "
            "plans and we talked for an hour about the flowers. I fed the neighbour's cat because they are away. "
            "{} Then I made soup and watched two episodes of a cooking show. Tomorrow I have the dentist at ten.")
    for risk in ("I finished the letters to my family and left them in the drawer for after I'm gone.",
                 "Last night I cut myself again after months clean and I'm hiding it under long sleeves."):
        assert screen(news.format(risk)).level == "crisis", risk
    assert screen(news.format("I finished the thank-you letters for the wedding gifts.")).level == "none"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _small_sets(tmp_path: Path) -> list[Path]:
    crisis = ["i have the pills saved up and i am done", "tonight i end it, the note is written",
              "he said he will kill me when he gets home", "i am going to hurt him when he walks in",
              "cut myself again last night, deeper", "nobody will miss me after sunday"]
    calm = ["my feet are killing me after the run", "what dose of ibuprofen is safe for a headache",
            "i feel lonely since the move", "this boss fight in the game killed me twice",
            "i used to self harm but i have been clean for years", "exams are stressing me out"]
    sets = []
    for n in range(3):
        rows = [{"text": f"{t} ({n})", "crisis": True, "category": "suicide"} for t in crisis]
        rows += [{"text": f"{t} ({n})", "crisis": False, "category": "none"} for t in calm]
        sets.append(_write(tmp_path / f"set{n}.jsonl", rows))
    conv = [{"messages": [{"role": "user", "content": "i saved the pills"}, {"role": "assistant", "content": "ok"},
                          {"role": "user", "content": "anyway whats for dinner"}], "crisis": True,
             "category": "suicide"},
            {"messages": [{"role": "user", "content": "my battery is dying"}, {"role": "assistant", "content": "?"},
                          {"role": "user", "content": "the phone lol"}], "crisis": False, "category": "none"}]
    sets.append(_write(tmp_path / "conv.jsonl", conv))
    return sets


def test_train_with_cross_validation_writes_a_model_that_loads(tmp_path):
    out = tmp_path / "model"
    lines: list[str] = []
    model = train.train(_small_sets(tmp_path), out, progress=lines.append)
    assert any("cross-validation 4/4" in line for line in lines)
    loaded = classifier.load(out)
    card = loaded.card
    assert set(card["out_of_group"]["per_set"]) == {"set0", "set1", "set2", "conv"}
    assert card["rows"] == {"none": 19, "suicide": 19, "self_harm": 0, "harm_others": 0, "danger": 0}
    assert vars(loaded.thresholds) == vars(model.thresholds)
    p = loaded.probabilities("tonight i end it")
    assert set(p) == set(classifier.CLASSES) and abs(sum(p.values()) - 1) < 1e-4
    # The weights survive the sparse fp16 round trip.
    assert abs(p["none"] - model.probabilities("tonight i end it")["none"]) < 1e-2


def test_train_command_without_cross_validation(tmp_path):
    sets = _small_sets(tmp_path)[:2]
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "eai_recipes.cli", "safety", "train", "--no-cv", "--out", str(out),
                           *map(str, sets)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "training the crisis classifier on 24 rows from 2 sets" in proc.stderr
    card = json.loads((out / classifier.CARD_FILE).read_text())
    assert card["out_of_group"] == {"pooled": {}, "per_set": {}}
    assert [s["file"] for s in card["training_sets"]] == [str(p) for p in sets]


def test_a_missing_or_damaged_model_is_a_clear_error(tmp_path):
    with pytest.raises(EaiError, match=r"crisis classifier is missing; train it with `eai safety train`"):
        classifier.load(tmp_path / "nowhere")
    train.train(_small_sets(tmp_path)[:1], tmp_path / "m", cross_validate=False, progress=lambda _: None)
    card_file = tmp_path / "m" / classifier.CARD_FILE
    card = json.loads(card_file.read_text())
    card_file.write_text(json.dumps({**card, "buckets": 12}))
    with pytest.raises(EaiError, match="other features"):
        classifier.load(tmp_path / "m")
    card_file.write_text(json.dumps({k: v for k, v in card.items() if k != "thresholds"}))
    with pytest.raises(EaiError, match="damaged crisis classifier"):
        classifier.load(tmp_path / "m")


T = classifier.Thresholds(crisis=0.7, concern=0.4, keep=0.2, rule_concern=0.1)


def _p(risk: float, category: str = "danger") -> dict[str, float]:
    rest = {c: 0.0 for c in classifier.CLASSES[1:]}
    return {"none": 1 - risk, **rest, category: risk}


@pytest.mark.parametrize(("rule_level", "risk", "level", "by"), [
    ("crisis", 0.25, "crisis", "rule"),      # a rule's crisis stands while the model gives it some weight
    ("crisis", 0.15, "concern", "held"),     # ... then it is held at concern
    ("crisis", 0.05, "none", "set aside"),   # ... unless the model is sure it is not one
    ("none", 0.75, "crisis", "learned"),     # the model alone makes a crisis above its threshold
    ("concern", 0.75, "crisis", "learned"),
    ("concern", 0.15, "concern", "rule"),
    ("concern", 0.05, "none", "set aside"),
    ("none", 0.45, "concern", "learned"),
    ("none", 0.30, "none", "rule"),
])
def test_combination_of_rules_and_the_learned_layer(rule_level, risk, level, by):
    rule = Screening.make(rule_level, "suicide", "rule text (rule x.y)")
    out = combine(rule, _p(risk), T)
    assert out.level == level
    if by == "rule":
        assert out is rule
    elif by == "held":
        assert out.category == "suicide" and "held at concern by the learned layer" in out.reason
    elif by == "set aside":
        assert out.category is None and "set aside by the learned layer" in out.reason
    else:
        assert out.category == "danger" and out.reason.startswith("the learned layer: P(crisis)")


def test_rules_only_is_the_rule_layer_and_reasons_never_quote_the_text():
    text = "I've been stockpiling my meds and I know the date"
    assert screen(text, model=None) == screen_rules(text)
    for result in (screen(text), screen_conversation([{"role": "user", "content": "hi"},
                                                      {"role": "assistant", "content": "hello"},
                                                      {"role": "user", "content": text}])):
        assert "stockpiling" not in result.reason and "meds" not in result.reason


def test_textbook_crises_stay_crises_with_the_learned_layer():
    for text in ("I want to kill myself", "I'm going to overdose tonight", "he has a knife and says he'll kill me",
                 "I keep cutting myself and I can't stop", "I'm going to stab my brother when he gets home"):
        assert screen(text).crisis, (text, screen(text))
    assert safety.screen("").level == "none"


def test_an_earlier_crisis_is_held_at_concern_when_the_turns_together_are_settled():
    """`settled`: an earlier turn's crisis is held at concern when the model reading the recent turns together
    scores the conversation below it; above, it stays active. The latest turn's own crisis is never held."""
    from eai_recipes.safety.screen import conversation_inputs, decide_conversation

    earlier = [{"role": "user", "content": "I want to kill myself, I have decided"},
               {"role": "assistant", "content": "I'm here."}, {"role": "user", "content": "what film should I watch"}]
    latest = [{"role": "user", "content": "what film should I watch"}, {"role": "assistant", "content": "Any mood?"},
              {"role": "user", "content": "I want to kill myself, I have decided"}]
    tc = classifier.Thresholds(0.7, 0.4, 0.5, 0.2, settled=0.3)
    read = conversation_inputs(earlier)
    assert read.rule.level == "crisis" and len(read.turns) == 2 and read.whole is not None
    turns = [_p(0.9), _p(0.01)]
    active = decide_conversation(read, turns, _p(0.35, "suicide"), T, tc)
    assert active.level == "crisis" and active.earlier
    held = decide_conversation(read, turns, _p(0.1, "suicide"), T, tc)
    assert held.level == "concern" and held.category == "suicide" and held.earlier
    assert "held at concern: the turns read together give P(crisis) 0.10 (< 0.30)" in held.reason
    assert decide_conversation(read, turns, _p(0.1), T, dataclasses.replace(tc, settled=0.0)).level == "crisis"
    read = conversation_inputs(latest)
    now = decide_conversation(read, [_p(0.01), _p(0.9)], _p(0.01), T, tc)
    assert now.level == "crisis" and not now.earlier
    one = conversation_inputs(earlier[:1])
    assert one.whole is None and decide_conversation(one, [_p(0.9)], None, T, tc).level == "crisis"


def test_an_earlier_crisis_only_the_learned_layer_saw_is_carried_too():
    """A first turn no rule reads as anything ("I stood a long time by the river near work, thinking") and then
    a change of topic: the learned layer's crisis on that turn stays active as a concern (the resources go under
    the answer), whatever the turns read together say; before, it was dropped."""
    from eai_recipes.safety.screen import conversation_inputs, decide_conversation

    messages = [{"role": "user", "content": "last week I stood a long time by the river near work, thinking"},
                {"role": "assistant", "content": "That sounds heavy."},
                {"role": "user", "content": "anyway can you check my cover letter"}]
    tc = classifier.Thresholds(0.7, 0.4, 0.5, 0.2, settled=0.3)
    read = conversation_inputs(messages)
    assert read.rule.level == "none" and not read.clarified
    turns = [_p(0.9, "suicide"), _p(0.01)]
    for together in (0.35, 0.1):
        carried = decide_conversation(read, turns, _p(together, "suicide"), T, tc)
        assert carried.level == "concern" and carried.earlier and carried.category == "suicide"
        assert "no rule reads the conversation as one" in carried.reason
    assert decide_conversation(read, [_p(0.1), _p(0.01)], _p(0.1), T, tc).level == "none"


def test_a_crisis_said_now_stays_a_crisis_after_a_long_ordinary_conversation():
    """The turns read together are diluted by a long ordinary history; what was just said must still count."""
    ordinary = ("I have been feeling anxious about my exams for weeks and I can't sleep at night. What could "
                "help me calm down in the evening?")
    messages = [{"role": "user", "content": ordinary}, {"role": "assistant", "content": "Try breathing slowly."}] * 8
    for crisis in ("I've decided to end my life tonight, I already wrote the letters.",
                   "I keep cutting myself when things get bad and I did it again today."):
        verdict = screen_conversation([*messages, {"role": "user", "content": crisis}])
        assert verdict.level == "crisis" and not verdict.earlier, verdict
