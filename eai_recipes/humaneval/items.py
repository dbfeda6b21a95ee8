"""The paper's eight Likert items (section 4.4.1) and the 1-5 scale, shared by the form and the analysis."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    description: str


# Order and wording follow the paper's list; the ids are what the response CSV's `item` column holds.
ITEMS: tuple[Item, ...] = (
    Item("clarity", "Clarity", "The response is clear and easy to understand."),
    Item("professionalism", "Professionalism", "The response is credible and professionally sound."),
    Item("depth", "Depth", "The response shows a real understanding of the problem."),
    Item("empathy", "Empathy", "The response shows attentiveness, concern and care."),
    Item("comfort", "Comfort", "It feels easy and comfortable to talk with this responder."),
    Item("usefulness", "Usefulness", "The response gives practical help."),
    Item("long_term_help", "Long-term help", "The response would help in the longer term."),
    Item("immediate_soothing", "Immediate soothing", "The response brings immediate emotional relief."),
)
ITEM_IDS: tuple[str, ...] = tuple(item.id for item in ITEMS)
ITEM_BY_ID = {item.id: item for item in ITEMS}

SCORES: tuple[int, ...] = (1, 2, 3, 4, 5)
SCALE_LABELS = {1: "very poor", 2: "poor", 3: "fair", 4: "good", 5: "very good"}
NEUTRAL_SCORE = 3

# The blinded names the form gives the two answers to each question.
BLIND_LABELS: tuple[str, ...] = ("A", "B")


def normalise_item(value: str) -> str:
    """`Long-term help`, `long_term_help` and `LONG TERM HELP` all name the same item."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())
