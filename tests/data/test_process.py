"""One batch through extraction, the rules and the output lines; the Arrow and per-row paths agree."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from eai_recipes import paths
from eai_recipes.data import rules
from eai_recipes.data.loaders import Unparseable
from eai_recipes.data.process import Plan, alpaca_line, extract, process_batch
from eai_recipes.data.registry import load_registry
from eai_recipes.errors import EaiError
from eai_recipes.identity import system_prompt

REGISTRY = load_registry(paths.DATASET_INFO_DIR / "sources.yaml")
SYSTEM = system_prompt()


def plan(key: str, **kw) -> Plan:
    return Plan.for_source(REGISTRY.get(key), SYSTEM, {"name": "EAI", "author": "G033"}, **kw)


@pytest.mark.parametrize("record, expected", [
    (Unparseable("not valid JSON: x", "raw"), (None, rules.PARSE_ERROR, "not valid JSON: x")),
    (["a", "b"], (None, rules.WRONG_TYPE, "record is list, expected an object")),
    ({"Context": "q"}, (None, rules.SCHEMA_MISMATCH, "missing ['Response']")),
    ({"Context": "q", "Response": "a", "extra": 1}, (None, rules.SCHEMA_MISMATCH, "unexpected ['extra']")),
    ({"Context": 3, "Response": "a"}, (None, rules.WRONG_TYPE, "column 'Context' is int, expected text")),
    ({"Context": None, "Response": "a"}, ("", "a")),
    ({"Context": "q", "Response": "a"}, ("q", "a")),
])
def test_extract(record, expected):
    assert extract(plan("amod"), record) == expected


def test_extract_takes_the_first_non_empty_user_column():
    p = plan("psychologist_samhog")  # user: [input, instruction]
    base = {"output": "o", "text": "t"}
    assert extract(p, {**base, "input": "from input", "instruction": "generic"}) == ("from input", "o")
    assert extract(p, {**base, "input": "  ", "instruction": "from instruction"}) == ("from instruction", "o")


def test_extract_rejects_rows_with_history():
    source = REGISTRY.get("amod")
    import dataclasses

    with_history = dataclasses.replace(source, history_column="history")
    p = Plan.for_source(with_history, SYSTEM, {})
    assert extract(p, {"Context": "q", "Response": "a", "history": []}) == ("q", "a")
    assert extract(p, {"Context": "q", "Response": "a", "history": [["hi", "hello"]]})[1] == rules.MULTI_TURN


GOOD = ("I have been anxious for weeks and cannot relax at all.",
        "That sounds exhausting. Let us look at what helps you feel a little calmer each day.")


def test_process_batch_keeps_rejects_and_counts():
    items = [
        json.dumps({"Context": GOOD[0], "Response": GOOD[1]}).encode(),
        b'{"Context": "broken',
        {"Context": "Visit https://x.org now, I feel so alone lately", "Response": GOOD[1]},
        {"Context": "short", "Response": GOOD[1]},
        {"Context": GOOD[0], "Response": GOOD[1] + " -- Dr. Rivera"},
    ]
    out = process_batch(plan("amod"), 100, items)
    assert out.rows == [100, 102] and out.accounted == 5
    assert [(r[0], r[1]) for r in out.rejected] == [(101, rules.PARSE_ERROR), (103, rules.TOO_SHORT),
                                                     (104, rules.PERSONAL_NAME)]
    assert out.rejected[0][3] == '{"Context": "broken'  # the raw line is kept for rejects.jsonl
    assert out.touched[rules.URLS] == 1
    lines = out.lines.to_pylist()
    assert json.loads(lines[1])["instruction"] == "Visit now, I feel so alone lately"
    assert lines[0] == alpaca_line(json.encoder.encode_basestring(SYSTEM), *GOOD)


def test_arrow_batches_and_row_lists_agree():
    rows = [{"instruction": "generic", "input": u, "output": r} for u, r in [
        GOOD, ("", GOOD[1]), ("Write to me at a@b.co please now", GOOD[1]), (" spaced  out  words here ", GOOD[1]),
        ("caf\u00e9 \uff21 \u2019 fine words here", GOOD[1]),
    ]]
    p = plan("harshallama")
    from_list = process_batch(p, 0, rows)
    from_arrow = process_batch(p, 0, pa.RecordBatch.from_pylist(rows))
    assert from_list.rows == from_arrow.rows
    assert from_list.lines.to_pylist() == from_arrow.lines.to_pylist()
    assert [r[:3] for r in from_list.rejected] == [r[:3] for r in from_arrow.rejected]
    rejected = {r[0]: r for r in from_arrow.rejected}
    assert rejected[1][1] == rules.TOO_SHORT  # empty input: the user's text falls back to `instruction`
    assert rejected[2][1] == rules.PERSONAL_EMAIL and rejected[2][3] == rows[2]  # the original record


def test_screened_and_full_chain_agree():
    rows = [{"Context": f"{GOOD[0]} {extra}", "Response": GOOD[1]} for extra in
            ("", "see www.a.org", "<i>x</i>", "My name is Bo", "tab\there", "As I said before", "{{name}}")]
    a = process_batch(plan("amod"), 0, rows)
    b = process_batch(plan("amod", screen=False), 0, rows)
    assert a.rows == b.rows and a.lines.to_pylist() == b.lines.to_pylist() and a.rejected == b.rejected
    assert a.touched == b.touched


def test_identity_placeholders_fill_and_leftovers_fail():
    p = plan("identity")
    out = process_batch(p, 0, [{"instruction": "Who are you?", "input": "", "output": "I am {{name}} by {{author}}."}])
    assert json.loads(out.lines[0].as_py())["output"] == "I am EAI by G033."
    assert out.touched[rules.FILL_PLACEHOLDERS] == 1
    with pytest.raises(EaiError, match=r"source 'identity', row 0: .*\{\{mood\}\}"):
        process_batch(p, 0, [{"instruction": "hi", "input": "", "output": "I am {{name}}, feeling {{mood}}."}])


def test_lone_surrogates_are_dropped_not_fatal():
    out = process_batch(plan("amod"), 0, [json.dumps({"Context": GOOD[0] + " \ud800", "Response": GOOD[1]}).encode()])
    assert out.rows == [0] and json.loads(out.lines[0].as_py())["instruction"] == GOOD[0]
    assert out.touched[rules.UNICODE] == 1
