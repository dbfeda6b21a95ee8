"""Normalisation: one canonical form for leetspeak, censoring, spaced letters, shorthand and contractions."""

from __future__ import annotations

import pytest

from eai_recipes import safety


@pytest.mark.parametrize("raw,expected", [
    ("I can’t go on", "i can not go on"),
    ("im gonna k1ll myself", "i am going to kill myself"),
    ("i wanna d!e", "i want to die"),
    ("KMS", "kill myself"),
    ("ich\u200b will", "ich will"),
    ("su*cide", "suicide"),
    ("he's hitting me", "he is hitting me"),
])
def test_normalise(raw, expected):
    assert safety.normalise(raw) == expected


def test_normalise_keeps_ordinary_numbers_and_punctuation():
    assert safety.normalise("We lost 5-0 at 2am!") == "we lost 5-0 at 2am!"

