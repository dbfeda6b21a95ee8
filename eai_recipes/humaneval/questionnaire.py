"""The blinded questionnaire: an HTML form, a long-format CSV template and the unblinding key."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from eai_recipes import templates
from eai_recipes.config import ConfigModel, load_model
from eai_recipes.errors import EaiError
from eai_recipes.humaneval.items import BLIND_LABELS, ITEMS, SCALE_LABELS, SCORES
from eai_recipes.humaneval.questions import Question

KEY_FILE = "key.json"
FORM_FILE = "questionnaire.html"
TEMPLATE_FILE = "responses_template.csv"
CORE_COLUMNS = ("rater_id", "gender", "major")
RATING_COLUMNS = ("model", "question_id", "item", "score")
DEMOGRAPHIC_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_COLUMNS = set(CORE_COLUMNS) | set(RATING_COLUMNS)


@dataclass(frozen=True)
class Blinding:
    """Which model is 'Answer A' and which 'Answer B' for one question."""

    question_id: str
    by_label: dict[str, str]


def blind(questions: list[Question], models: list[str], seed: int) -> list[Blinding]:
    """Randomise which model is shown first, balanced so each model is 'A' on half of the questions.

    Pure per-question coin flips can put one model first on most questions; balancing removes that
    position bias from the comparison while the order per question stays random.
    """
    if len(models) != len(BLIND_LABELS):
        raise EaiError(f"the questionnaire compares exactly {len(BLIND_LABELS)} models; got {len(models)}: "
                       f"{', '.join(models) or 'none'} (give --answers MODEL=PATH twice)")
    rng = random.Random(seed)
    half = len(questions) // 2
    firsts = [0] * half + [1] * half
    if len(questions) % 2:
        firsts.append(rng.randrange(2))
    rng.shuffle(firsts)
    blindings = []
    for question, first in zip(questions, firsts, strict=True):
        order = [models[first], models[1 - first]]
        blindings.append(Blinding(question.id, dict(zip(BLIND_LABELS, order, strict=True))))
    return blindings


def parse_demographics(values: list[str] | None) -> list[str]:
    fields: list[str] = []
    for value in values or []:
        name = value.strip().lower()
        if not DEMOGRAPHIC_RE.match(name) or name in RESERVED_COLUMNS:
            raise EaiError(f"--demographic {value!r}: use a lower-case column name of letters, digits and '_' "
                           f"that is not one of {', '.join(sorted(RESERVED_COLUMNS))}")
        if name not in fields:
            fields.append(name)
    return fields


def identity_leaks(questions: list[Question], answers: dict[str, dict[str, str]]) -> list[str]:
    """Answers that name one of the models, which would let raters tell them apart."""
    notes = []
    for model, by_question in answers.items():
        for q in questions:
            for name in answers:
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", by_question[q.id], flags=re.IGNORECASE):
                    notes.append(f"warning: {model}'s answer to {q.id} mentions {name!r}; raters may be able to tell "
                                 "the models apart (edit the answers file if that is not intended)")
    return notes


def render_form(questions: list[Question], answers: dict[str, dict[str, str]], blindings: list[Blinding],
                demographics: list[str], title: str) -> str:
    columns = [*CORE_COLUMNS, *demographics, *RATING_COLUMNS]
    shown = []
    for q, b in zip(questions, blindings, strict=True):
        shown.append({"id": q.id, "topic": q.topic, "question": q.question,
                      "answers": {label: answers[model][q.id] for label, model in b.by_label.items()}})
    # The form id keys the browser's autosave; it must change when the content does, and not reveal the key.
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    form_json = json.dumps({"form_id": digest, "columns": columns}).replace("<", "\\u003c")
    return templates.get("questionnaire.html.j2").render(
        title=title, questions=shown, items=ITEMS, labels=BLIND_LABELS, scores=SCORES, scale_labels=SCALE_LABELS,
        demographics=demographics, form_json=form_json)


def write_template(path: Path, questions: list[Question], demographics: list[str], raters: int) -> int:
    """The long-format CSV to fill in, labels instead of model names, scores blank. Returns the row count."""
    columns = [*CORE_COLUMNS, *demographics, *RATING_COLUMNS]
    rater_ids = [f"R{i:02d}" for i in range(1, raters + 1)] if raters > 1 else [""]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for rater in rater_ids:
            for q in questions:
                for label in BLIND_LABELS:
                    for item in ITEMS:
                        values = {"rater_id": rater, "model": label, "question_id": q.id, "item": item.id}
                        writer.writerow([values.get(column, "") for column in columns])
                        rows += 1
    return rows


def key_document(questions: list[Question], models: list[str], blindings: list[Blinding], seed: int,
                 sources: dict[str, str]) -> dict:
    return {
        "about": "Unblinding key for questionnaire.html. Keep it away from raters; pass it to "
                 "`eai humaneval analyze --key` to turn the labels A/B back into model names.",
        "seed": seed,
        "models": models,
        "answer_files": sources,
        "questions": [{"question_id": q.id, "topic": q.topic} for q in questions],
        "assignments": [{"question_id": b.question_id, "label": label, "model": model}
                        for b in blindings for label, model in b.by_label.items()],
    }


def build(questions: list[Question], answers: dict[str, dict[str, str]], sources: dict[str, str], out: Path, *,
          seed: int, demographics: list[str], raters: int, title: str) -> dict[str, Path]:
    models = list(answers)
    blindings = blind(questions, models, seed)
    out.mkdir(parents=True, exist_ok=True)
    written = {"form": out / FORM_FILE, "template": out / TEMPLATE_FILE, "key": out / KEY_FILE}
    written["form"].write_text(render_form(questions, answers, blindings, demographics, title), encoding="utf-8")
    write_template(written["template"], questions, demographics, raters)
    key = key_document(questions, models, blindings, seed, sources)
    written["key"].write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return written


@dataclass(frozen=True)
class Key:
    """The unblinding key: {(question_id, label): model}, the models in --answers order, the question ids."""

    mapping: dict[tuple[str, str], str]
    models: list[str]
    question_ids: list[str]


class Assignment(ConfigModel):
    question_id: str = Field(min_length=1, description="a question id from the questionnaire")
    label: str = Field(description=f"one of {', '.join(BLIND_LABELS)}")
    model: str = Field(min_length=1, description="the model name given to --answers")

    @field_validator("question_id", "model")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        label = value.strip().upper()
        if label not in BLIND_LABELS:
            raise ValueError(f"label {label!r} is not one of {', '.join(BLIND_LABELS)}")
        return label


class KeyFile(ConfigModel):
    """The key file `build` writes (key.json): who is behind each blind label."""

    about: str = ""
    seed: int | None = None
    models: list[str] = Field(default_factory=list)
    answer_files: dict[str, str] = Field(default_factory=dict)
    questions: list[dict[str, Any]] = Field(default_factory=list)
    assignments: list[Assignment] = Field(
        min_length=1, description="a non-empty list written by `eai humaneval questionnaire`")

    @model_validator(mode="after")
    def _complete(self) -> KeyFile:
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(self.assignments):
            slot = (entry.question_id, entry.label)
            if slot in seen:
                raise ValueError(f"assignments[{index}]: ({slot[0]}, {slot[1]}) is assigned twice")
            seen.add(slot)
        return self


def load_key(path: Path | str) -> Key:
    """Read a key file written by `build`, checked for completeness."""
    path = Path(path)
    if not path.is_file():
        raise EaiError(f"key file {path} does not exist")
    doc = load_model(path, KeyFile)
    mapping = {(e.question_id, e.label): e.model for e in doc.assignments}
    question_ids = list(dict.fromkeys(e.question_id for e in doc.assignments))
    models = list(doc.models)
    for qid in question_ids:
        assigned = [mapping.get((qid, label)) for label in BLIND_LABELS]
        if None in assigned or len(set(assigned)) != len(assigned):
            raise EaiError(f"key file {path}: question {qid} must map each of {', '.join(BLIND_LABELS)} to a "
                           "different model")
        if not models:
            models = list(assigned)
        if set(assigned) != set(models):
            raise EaiError(f"key file {path}: question {qid} maps to {', '.join(assigned)}, but the key's models "
                           f"are {', '.join(models)}")
    return Key(mapping, models, question_ids)
