"""The shipped identity sets and the human-evaluation questions."""

from __future__ import annotations

import json
import re

import pytest

from eai_recipes import paths
from eai_recipes.data.identity_set import (
    check_no_placeholder,
    humaneval_rows,
    placeholder_values,
)
from eai_recipes.data.rules import match_form
from eai_recipes.errors import EaiError

IDENTITY = json.loads((paths.DATASET_INFO_DIR / "identity.json").read_text())
VERIFICATION = json.loads((paths.DATASET_INFO_DIR / "identity_verification.json").read_text())


def test_identity_sets_have_the_papers_sizes_and_layout():
    assert len(IDENTITY) == 86 and len(VERIFICATION) == 20
    for row in IDENTITY + VERIFICATION:
        assert set(row) == {"instruction", "input", "output"} and row["input"] == ""
        assert row["instruction"].strip() and row["output"].strip()


def test_only_name_and_author_placeholders():
    used = {m for row in IDENTITY + VERIFICATION for m in re.findall(r"\{\{\s*(\w+)\s*\}\}", json.dumps(row))}
    assert used == {"name", "author"}
    assert all("{{name}}" in r["output"] for r in IDENTITY + VERIFICATION)


def test_identity_questions_are_distinct_and_verification_is_held_apart():
    train = [match_form(r["instruction"]) for r in IDENTITY]
    assert len(train) == len(set(train))
    assert not {match_form(r["instruction"]) for r in VERIFICATION} & set(train)


def test_identity_is_english():
    assert all(r["instruction"].isascii() and r["output"].isascii() for r in IDENTITY + VERIFICATION)


@pytest.mark.parametrize("name, author", [("", "G033"), ("EAI", "  "), ("{{x}}", "G033"), ("EAI", "a\nb")])
def test_placeholder_values_reject_bad_identity(name, author):
    with pytest.raises(EaiError, match="--name|--author"):
        placeholder_values(name, author)


def test_leftover_placeholder_check():
    check_no_placeholder('{"output": "I am EAI"}', "x.json")
    check_no_placeholder('{"output": "set {{ in code"}', "x.json")
    with pytest.raises(EaiError, match=r"x\.json: leftover placeholder '\{\{author\}\}'"):
        check_no_placeholder('{"output": "by {{author}}"}', "x.json")


def test_humaneval_rows(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"id": "q1", "topic": "sleep", "question": " I can't sleep. "}]))
    assert humaneval_rows(path, "SYS") == [
        {"system": "SYS", "instruction": "I can't sleep.", "input": "", "output": "", "history": []}]


@pytest.mark.parametrize("content, words", [
    ("not json", "cannot read"),
    ("[]", "non-empty JSON list"),
    ('[{"id": "q1", "topic": "x"}]', "item 0"),
    ('[{"id": "q1", "topic": "x", "question": "a"}, {"id": "q1", "topic": "y", "question": "b"}]', "appears twice"),
])
def test_humaneval_bad_file(tmp_path, content, words):
    path = tmp_path / "q.json"
    path.write_text(content)
    with pytest.raises(EaiError, match=words):
        humaneval_rows(path, "SYS")
