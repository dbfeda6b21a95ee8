"""Crisis screening: every conversation is checked before generation, and every answer after it.

Layers, cheapest first (see eai_recipes/safety/README.md for what each is measured on):

- `normalise`: one canonical form of a message (Unicode, leetspeak, censoring, spaced letters, shorthand);
- `lexicons` + `rules`: small concept lexicons combined by a few readable patterns;
- `classifier` (trained by `train`): a small learned layer beside the rules, over n-grams and the rules' signals;
- `screen`: a message, a conversation or a model's answer -> `Screening(level, crisis, category, reason)`
  (rules and the learned layer; `model=None`: the rules alone),
  with three levels: `crisis` (the fixed crisis reply), `concern` (the answer carries the resources as a
  footer), `none`;
- `guard`: a model guard, where a model runs (the served model itself, or a classifier such as Llama Guard);
- `resources`: the crisis contacts, read from dataset_info/crisis/resources.yaml (the one source);
- `evaluate`: figures on labelled sets.

The command line is in eai_recipes/cli/safety.py.
"""

from eai_recipes.safety.classifier import shipped as learned_layer
from eai_recipes.safety.evaluate import (
    ALL_FILES,
    BLIND_FILES,
    CONVERSATION_GOALS,
    CONVERSATIONS_FILE,
    FRESH_3_FILE,
    FRESH_FILE,
    HARD_NEGATIVES_FILE,
    HELDOUT_FILE,
    IDIOM_FPR_GOAL,
    LABELLED_FILE,
    MESSAGE_GOALS,
    UNSEEN_FILES,
    Evaluation,
    LabelledExample,
    evaluate,
    format_evaluation,
    load_labelled,
)
from eai_recipes.safety.normalise import normalise
from eai_recipes.safety.resources import (
    CATEGORIES,
    CRISIS_DIR,
    RESOURCES_FILE,
    concern_footer,
    crisis_lines_summary,
    crisis_reply,
    format_resources,
    load_resources,
    resolve_locale,
    resources,
)
from eai_recipes.safety.screen import (
    LEVELS,
    Screening,
    matched_rules,
    screen,
    screen_answer,
    screen_conversation,
    screen_conversation_rules,
    screen_rules,
)

__all__ = [
    "ALL_FILES", "BLIND_FILES", "CATEGORIES", "CONVERSATION_GOALS", "CONVERSATIONS_FILE", "CRISIS_DIR",
    "FRESH_3_FILE", "FRESH_FILE",
    "HARD_NEGATIVES_FILE", "HELDOUT_FILE", "IDIOM_FPR_GOAL", "LABELLED_FILE", "LEVELS", "MESSAGE_GOALS",
    "RESOURCES_FILE", "UNSEEN_FILES", "Evaluation", "LabelledExample", "Screening", "concern_footer",
    "crisis_lines_summary",
    "crisis_reply", "evaluate", "format_evaluation", "format_resources", "learned_layer", "load_labelled",
    "load_resources",
    "matched_rules", "normalise", "resolve_locale", "resources", "screen", "screen_answer", "screen_conversation",
    "screen_conversation_rules", "screen_rules",
]
