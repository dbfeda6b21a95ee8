"""Facts that more than one module states, read from facts.yaml (package data) so each has one source:
the labels of the compared models and Phi-4's chat tokens."""

from __future__ import annotations

from importlib import resources

import yaml

_FACTS = yaml.safe_load(resources.files(__package__).joinpath("facts.yaml").read_text(encoding="utf-8"))

MODEL_LABELS: dict[str, str] = dict(_FACTS["model_labels"])
IM_START, IM_SEP, IM_END = (_FACTS["chat_tokens"][k] for k in ("start", "sep", "end"))
CHAT_TOKENS: list[str] = [IM_START, IM_SEP, IM_END]
