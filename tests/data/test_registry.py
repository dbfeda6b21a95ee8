"""The source registry: the shipped one is complete and pinned; a bad one fails naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eai_recipes import paths
from eai_recipes.data.registry import load_registry
from eai_recipes.errors import EaiError

SHIPPED = paths.DATASET_INFO_DIR / "sources.yaml"
PAPER_REVISIONS = {
    "marmikpandya/mental-health": "c0c6a71",
    "raflibagas/PsychologistSamhog": "35b312d",
    "Amod/mental_health_counseling_conversations": "9015341",
    "Harshallama/mental_health_alpaca_format": "c9f4838",
    "tellikoroma/mentalhealth": "e220582",
}


def test_shipped_registry_pins_every_paper_source():
    reg = load_registry(SHIPPED)
    hub = {s.hub_id: s for s in reg.sources if s.hub_id}
    for hub_id, revision in PAPER_REVISIONS.items():
        assert hub[hub_id].revision == revision and hub[hub_id].enabled and hub[hub_id].licence
    roles = {s.key: s.role for s in reg.enabled()}
    assert roles["harshallama"] == roles["tellikoroma"] == roles["identity_verification"] == "validation"
    assert roles["marmikpandya"] == roles["psychologist_samhog"] == roles["amod"] == roles["identity"] == "train"
    assert reg.get("identity_verification").draw == "all" and reg.val_size == 1000


def test_shipped_registry_offline_samples_exist():
    for s in load_registry(SHIPPED).enabled():
        path = paths.DATASET_INFO_DIR / (s.file or s.sample)
        assert path.is_file(), path


def test_optional_source_is_listed_but_off():
    s = load_registry(SHIPPED).get("mentalchat16k")
    assert s.enabled is False and s.hub_id == "ShenLab/MentalChat16K"


def test_rule_overrides_merge_with_defaults():
    reg = load_registry(SHIPPED)
    identity = reg.get("identity").rules
    assert identity.min_words == {"user": 1, "response": 3}
    assert identity.max_chars == reg.rules.max_chars
    assert "8002738255" in reg.rules.phone_allowlist  # stored as digits without the trunk prefix


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _minimal() -> dict:
    return {
        "rules": {"min_words": {"user": 1, "response": 1}, "max_chars": {"user": 10, "response": 10}},
        "sources": {
            "a": {"hub_id": "o/a", "revision": "abc", "hub_files": ["x.jsonl"], "role": "train",
                  "licence": "MIT", "columns": {"user": "q", "response": "a"}},
        },
    }


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["sources"]["a"].update(role="test"), ["sources.a.role", "'test'", "train, validation"]),
    (lambda d: d["sources"]["a"].update(colour="red"), ["sources.a", "unknown key 'colour'", "allowed"]),
    (lambda d: d["sources"]["a"].pop("revision"), ["sources.a", "'revision'"]),
    (lambda d: d["sources"]["a"]["columns"].pop("response"), ["sources.a.columns", "'response'"]),
    (lambda d: d["sources"]["a"].update(sample="s.xlsx"), ["sources.a.sample", ".xlsx", "jsonl"]),
    (lambda d: d["sources"]["a"].update(file="f.json"), ["sources.a", "exactly one of"]),
    (lambda d: d["rules"]["min_words"].update(user=-1), ["rules.min_words.user", ">= 0"]),
    (lambda d: d["sources"]["a"].update(role="validation"), ["no enabled training source"]),
    (lambda d: d.update(extra=1), ["top level", "unknown key 'extra'"]),
    (lambda d: d["sources"]["a"].update(draw="most"), ["sources.a.draw", "sample, all"]),
])
def test_bad_registry_names_file_and_key(tmp_path, mutate, words):
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(EaiError) as err:
        load_registry(path)
    message = str(err.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_missing_or_broken_registry(tmp_path):
    with pytest.raises(EaiError, match="not found"):
        load_registry(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("sources: [unclosed")
    with pytest.raises(EaiError, match="not valid YAML"):
        load_registry(tmp_path / "bad.yaml")


def test_user_column_list_and_local_name(tmp_path):
    data = _minimal()
    data["sources"]["a"]["columns"]["user"] = ["input", "instruction"]
    reg = load_registry(_write(tmp_path, data))
    s = reg.get("a")
    assert s.user_columns == ("input", "instruction") and s.local_name == "o__a"
    assert s.required_columns == ("input", "instruction", "a")
