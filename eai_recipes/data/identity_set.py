"""EAI's identity in the data: placeholder values, the leftover-placeholder guard, and the human-evaluation
questions rendered as a predict-only dataset."""

from __future__ import annotations

import json
import re
from pathlib import Path

from eai_recipes.errors import EaiError

_LEFTOVER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")


def placeholder_values(name: str, author: str) -> dict[str, str]:
    for label, value in (("--name", name), ("--author", author)):
        if not value or not value.strip() or "{" in value or "}" in value or "\n" in value:
            raise EaiError(f"{label} {value!r}: give a non-empty single line without braces")
    return {"name": name.strip(), "author": author.strip()}


def check_no_placeholder(line: str, where: str) -> None:
    """A {{placeholder}} that reaches an output file is a build error, never a training example."""
    if "{{" in line:
        m = _LEFTOVER.search(line)
        if m:
            raise EaiError(f"{where}: leftover placeholder {m.group(0)!r} in an output row")


def humaneval_rows(path: Path, system: str) -> list[dict]:
    """The human-evaluation questions ({"id", "topic", "question"}) as Alpaca rows with an empty output,
    for `do_predict` (LLaMA-Factory accepts an empty response when it only generates)."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EaiError(f"{path}: cannot read the human-evaluation questions: {exc}") from None
    if not isinstance(items, list) or not items:
        raise EaiError(f"{path}: expected a non-empty JSON list of {{\"id\", \"topic\", \"question\"}}")
    rows, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item[k].strip()
                                                 for k in ("id", "topic", "question")):
            raise EaiError(f"{path}: item {i} needs non-empty text fields 'id', 'topic' and 'question'")
        if item["id"] in seen:
            raise EaiError(f"{path}: item {i}: id {item['id']!r} appears twice")
        seen.add(item["id"])
        rows.append({"system": system, "instruction": item["question"].strip(), "input": "", "output": "",
                     "history": []})
    return rows
