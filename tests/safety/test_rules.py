"""The combination rules: how weak kinds of sign add up, negation near a match, and idioms at the match."""

from __future__ import annotations

import pytest

from eai_recipes.safety import rules


@pytest.mark.parametrize("kinds,level", [
    (set(), "none"),
    ({"timing"}, "none"),  # a date alone is ordinary life
    ({"hopeless"}, "none"),  # so is despair alone (EAI answers it with care)
    ({"means"}, "concern"),  # a means named
    ({"preparation"}, "concern"),
    ({"hopeless", "plan"}, "concern"),  # hopelessness with a plan-like word
    ({"preparation", "timing"}, "concern"),  # giving things away this weekend
    ({"decision", "timing"}, "crisis"),  # a decision and a date
    ({"means", "hopeless"}, "crisis"),
    ({"preparation", "farewell", "farewell2"}, "crisis"),
    ({"secret_means"}, "crisis"),  # a means kept in secret
    ({"plan", "vague_act"}, "crisis"),  # how I would do it
])
def test_weak_level(kinds, level):
    assert rules.weak_level(kinds) == level


def test_every_weak_kind_is_named():
    assert set(rules.WEAK) <= set(rules.WEAK_KINDS)
    assert set(rules.WEAK_KINDS) >= rules.SOFT_KINDS


@pytest.mark.parametrize("sentence,phrase,negated", [
    ("i would never hurt myself", "hurt myself", True),
    ("i have no intention of harming myself", "harming myself", True),
    ("i can not promise i will not hurt myself", "hurt myself", False),  # uncertain
    ("i would never tell anyone, but i want to die", "want to die", False),  # another clause
    ("i do not want to hurt myself but i can not stop doing it", "hurt myself", False),  # compulsion
])
def test_negation(sentence, phrase, negated):
    start = sentence.index(phrase)
    assert rules.negated(sentence, start, start + len(phrase)) is negated


def test_strong_findings_skip_idioms_but_not_the_rest_of_the_sentence():
    found, _ = rules.strong_findings("this traffic is killing me")
    assert not found
    found, _ = rules.strong_findings("my feet are killing me and i want to die")
    assert [f.id for f in found] == ["suicide.intent"]


def test_rule_modules_stay_small():
    from pathlib import Path

    import eai_recipes.safety as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 600, path.name
