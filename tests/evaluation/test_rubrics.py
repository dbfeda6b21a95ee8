"""Rubrics and judge profiles: the shipped files load, errors name file and key, the schema comes from the
dimensions, the prompts show every anchor, and the parser is strict about everything but where the object sits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eai_recipes.errors import EaiError
from eai_recipes.evaluation import rubrics
from eai_recipes.evaluation.rubrics import (
    load_judge_profile,
    load_rubric,
    parse_judgment,
)

SCHEMA = {"overall": [1, 2, 3, 4, 5], "medical_advice": ["yes", "no", "unsure"]}


def test_shipped_rubrics_and_profiles_load():
    cb = load_rubric("counselbench_v1")
    assert [d.id for d in cb.dimensions] == ["overall", "empathy", "specificity", "medical_advice",
                                            "factual_consistency", "toxicity"]
    assert cb.schema()["medical_advice"] == ["yes", "no", "unsure"]
    assert cb.schema()["factual_consistency"] == [1, 2, 3, 4]
    assert cb.dimension("toxicity").higher_is_better is False
    assert [d.id for d in cb.pairwise_dimensions()] == ["overall", "empathy", "specificity", "factual_consistency",
                                                       "toxicity"]  # medical advice has no better end
    mc = load_rubric("mentalchat_v1")
    assert len(mc.dimensions) == 7 and all(d.scale == list(range(1, 11)) for d in mc.dimensions)
    assert cb.humaneval_map and mc.humaneval_map
    for name in ("tiny", "qwen2.5-7b"):
        profile = load_judge_profile(name)
        load_rubric(profile.rubric)
    assert load_judge_profile("tiny").backend == "huggingface"


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _rubric_data() -> dict:
    return yaml.safe_load((rubrics.JUDGE_DIR / "counselbench_v1.yaml").read_text())


def test_rubric_errors_name_file_key_and_allowed(tmp_path):
    data = _rubric_data()
    data["dimensions"][0]["scael"] = [1, 2]
    with pytest.raises(EaiError) as err:
        load_rubric(_write(tmp_path, data))
    assert "bad.yaml" in str(err.value) and "dimensions.0.scael: unknown key" in str(err.value)

    data = _rubric_data()
    del data["dimensions"][1]["anchors"][5]
    with pytest.raises(EaiError, match=r"dimensions\.1.*anchors must describe exactly the scale values"):
        load_rubric(_write(tmp_path, data))

    # An unquoted yes/no is a YAML boolean: refused, saying to quote it.
    path = tmp_path / "bool.yaml"
    text = (rubrics.JUDGE_DIR / "counselbench_v1.yaml").read_text().replace('["yes", "no", "unsure"]',
                                                                              "[yes, no, unsure]")
    path.write_text(text)
    with pytest.raises(EaiError, match="quote them"):
        load_rubric(path)

    with pytest.raises(EaiError, match="no file .*nosuch.yaml; known: counselbench_v1, mentalchat_v1"):
        load_rubric("nosuch")


def test_judge_profile_errors(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("description: x\nmodel: m\ntemplate: phi4\nbackend: sglang\nbatch_size: 0\n")
    with pytest.raises(EaiError) as err:
        load_judge_profile(path)
    msg = str(err.value)
    assert "p.yaml" in msg and "backend: Input should be 'huggingface' or 'vllm'" in msg and "batch_size" in msg


def test_rendering_shows_every_anchor_and_the_schema():
    cb = load_rubric("counselbench_v1")
    prompt = rubrics.render_single(cb, question="I can't sleep.", answer="Try a routine.", reference="Ref text.")
    for d in cb.dimensions:
        assert f"[{d.id}] {d.name}: {d.question}" in prompt
        for anchor in d.anchors.values():
            assert anchor in prompt
    assert '"medical_advice": <one of "yes", "no", "unsure">' in prompt
    assert '"factual_consistency": <one of 1, 2, 3, 4>' in prompt
    assert "I can't sleep." in prompt and "Try a routine." in prompt and "Ref text." in prompt
    assert "Ref text." not in rubrics.render_single(cb, question="q", answer="a")
    pair = rubrics.render_pairwise(cb, question="q", first="FIRST", second="SECOND")
    assert pair.index("FIRST") < pair.index("SECOND") and "medical_advice" not in pair
    assert "lower (less of it is better)" in pair  # toxicity


@pytest.mark.parametrize("text", [
    '{"overall": 4, "medical_advice": "no"}',
    'Here is my judgment:\n```json\n{"overall": 4, "medical_advice": "no"}\n```\nThanks.',
    '  {"medical_advice": "no",\n "overall": 4}  ',
])
def test_parser_accepts_the_one_object(text):
    assert parse_judgment(text, SCHEMA) == ({"overall": 4, "medical_advice": "no"}, "")


@pytest.mark.parametrize("text, reason", [
    ("overall 4, medical advice no", "no JSON object"),
    ('{"overall": 4, "medical_advice": "no"', "no JSON object"),
    ('{"overall": 4 "medical_advice": "no"}', "invalid JSON"),
    ('{"overall": 6, "medical_advice": "no"}', "overall: 6 is not one of [1, 2, 3, 4, 5]"),
    ('{"overall": "4", "medical_advice": "no"}', 'overall: "4" is not one of'),
    ('{"overall": 4.0, "medical_advice": "no"}', "overall: 4.0 is not one of"),
    ('{"overall": true, "medical_advice": "no"}', "overall: true is not one of"),
    ('{"overall": 4, "medical_advice": "No"}', 'medical_advice: "No" is not one of'),
    ('{"overall": 4, "medical_advice": "no", "reason": "fine"}', "unexpected key(s) ['reason']"),
    ('{"overall": 4}', "missing key(s) ['medical_advice']"),
    ('{"overall": 4, "medical_advice": "no"} {"overall": 2, "medical_advice": "no"}', "2 JSON objects"),
    ("[4, \"no\"]", "no JSON object"),
])
def test_parser_refuses_and_says_why(text, reason):
    scores, problem = parse_judgment(text, SCHEMA)
    assert scores is None and reason in problem


def test_braces_inside_strings_do_not_split_the_object():
    schema = {"overall": [1, 2], "note_free": ["a}b", "c"]}
    assert parse_judgment('{"overall": 1, "note_free": "a}b"}', schema) == ({"overall": 1, "note_free": "a}b"}, "")
