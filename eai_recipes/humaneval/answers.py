"""Reading one model's answers to the questions.

Two formats: LLaMA-Factory's `generated_predictions.jsonl` from a predict run over the questions (lines with
`prompt`, `predict`, `label`, in the questions' order), or a JSON list / JSONL of {"question_id", "answer"}
(optionally "model") for answers produced any other way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from eai_recipes.errors import EaiError
from eai_recipes.humaneval.questions import Question


def _words(text: str) -> str:
    # Tokenizers may re-space punctuation when decoding the prompt; compare word sequences only.
    return " ".join(re.findall(r"\w+", text.lower()))


def _read_records(path: Path) -> list[tuple[str, dict]]:
    """(where, record) pairs; `where` names the line (JSONL) or the list index (JSON)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EaiError(f"answers file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise EaiError(f"answers file {path} is not UTF-8 text: {exc}") from None
    records: list[tuple[str, dict]] = []
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EaiError(f"answers file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise EaiError(f"answers file {path}: expected a JSON list of {{question_id, answer}} objects")
        for index, entry in enumerate(data):
            records.append((f"{path}, entry {index}", entry))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"{path}, line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise EaiError(f"{path}, line {number} is not valid JSON: {exc}") from None
    for where, record in records:
        if not isinstance(record, dict):
            raise EaiError(f"{where} is a {type(record).__name__}, not a JSON object")
    if not records:
        raise EaiError(f"answers file {path} holds no answers")
    return records


def _from_predictions(records: list[tuple[str, dict]], path: Path, questions: list[Question],
                      notes: list[str]) -> dict[str, str]:
    if len(records) != len(questions):
        raise EaiError(
            f"{path} has {len(records)} predictions but there are {len(questions)} questions; a predict run "
            "over the questions file (`eai humaneval prepare`) gives one line per question, in order"
        )
    question_words = [_words(q.question) for q in questions]
    answers: dict[str, str] = {}
    unverified = 0
    for (where, record), question in zip(records, questions, strict=True):
        if "predict" not in record:
            raise EaiError(f"{where} has no 'predict' field (keys: {', '.join(record) or 'none'})")
        prompt = _words(str(record.get("prompt") or ""))
        own = _words(question.question)
        if own and own in prompt:
            pass
        else:
            other = next((questions[i].id for i, w in enumerate(question_words) if w and w in prompt), None)
            if other is not None:
                raise EaiError(
                    f"{where}: the prompt is question {other}, but line order says {question.id}; the predictions "
                    "are not in the questions file's order (was the predict run made over another questions file?)"
                )
            unverified += 1
        answers[question.id] = _answer_text(record.get("predict"), where)
    if unverified:
        notes.append(f"{path}: {unverified} of {len(records)} prompts do not show their question's text (tokenizer "
                     "round trip); answers were matched to questions by line order")
    return answers


def _from_ids(records: list[tuple[str, dict]], path: Path, questions: list[Question], model: str) -> dict[str, str]:
    known = {q.id for q in questions}
    answers: dict[str, str] = {}
    for where, record in records:
        missing = [key for key in ("question_id", "answer") if key not in record]
        if missing:
            raise EaiError(f"{where} lacks {', '.join(missing)} (each record needs question_id and answer, or use "
                           "LLaMA-Factory's generated_predictions.jsonl)")
        if "model" in record and str(record["model"]).strip() != model:
            raise EaiError(f"{where}: unknown model {record['model']!r}; this file was given as --answers {model}=...")
        qid = str(record["question_id"]).strip()
        if qid not in known:
            raise EaiError(f"{where}: unknown question_id {qid!r} (the questions file has {', '.join(sorted(known))})")
        if qid in answers:
            raise EaiError(f"{where}: a second answer to question {qid}")
        answers[qid] = _answer_text(record["answer"], where)
    absent = [q.id for q in questions if q.id not in answers]
    if absent:
        raise EaiError(f"{path}: missing answers for model {model} to question(s) {', '.join(absent)}")
    return answers


def _answer_text(value: object, where: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise EaiError(f"{where}: missing answer (empty or not a string)")
    return text


def load_answers(path: Path | str, model: str, questions: list[Question], notes: list[str]) -> dict[str, str]:
    """{question_id: answer} for one model, covering every question, or an EaiError saying what is wrong."""
    path = Path(path)
    records = _read_records(path)
    first = records[0][1]
    if "predict" in first and "question_id" not in first:
        return _from_predictions(records, path, questions, notes)
    return _from_ids(records, path, questions, model)
