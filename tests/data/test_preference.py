"""Preference pairs in `eai data build`: ranking files for LLaMA-Factory, every pair kept or rejected with a
rule, decontaminated, safety and identity pairs built from our own sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eai_recipes import paths
from eai_recipes.data import preference, rules
from eai_recipes.data.registry import load_registry
from eai_recipes.errors import EaiError


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def pref_rejects(out: Path) -> list[dict]:
    rows = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r["source"].startswith("preference:")]


def test_ranking_files_are_registered_for_llamafactory_and_the_webui(offline_build):
    out, _ = offline_build
    info = json.loads((out / "dataset_info.json").read_text())
    for name in (preference.PREF_TRAIN, preference.PREF_VAL):
        assert info[name]["ranking"] is True
        assert info[name]["columns"] == {"prompt": "instruction", "query": "input", "chosen": "chosen",
                                         "rejected": "rejected", "system": "system"}
        rows = load(out / info[name]["file_name"])
        assert rows and all(list(r) == ["system", "instruction", "input", "chosen", "rejected"] for r in rows)
        assert all(r["chosen"] != r["rejected"] for r in rows)
    assert "ranking" not in info[preference.CRISIS_PROMPTS]  # a prediction set, Alpaca like eai_val
    # LLaMA-Factory's WebUI lists, for the DPO stage, the entries with "ranking": true (webui/control.py).
    assert {k for k, v in info.items() if v.get("ranking")} == {preference.PREF_TRAIN, preference.PREF_VAL}


def test_every_pair_is_kept_or_rejected_and_the_counts_reconcile(offline_build):
    out, manifest = offline_build
    section = manifest["preference"]
    rej = pref_rejects(out)
    assert set(section["parts"]) == {"psychocounsel", "safety_crisis", "safety_identity"}
    for part, p in section["parts"].items():
        assert p["read"] == p["kept"] + p["rejected"] == p["kept"] + sum(p["rejected_by_rule"].values())
        assert p["kept"] == p["in_eai_pref"] + p["in_eai_pref_val"]
        mine = [r for r in rej if r["source"] == f"preference:{part}"]
        assert len(mine) == p["rejected"]
        for rule, n in p["rejected_by_rule"].items():
            assert sum(r["rule"] == rule for r in mine) == n
    sample = paths.DATASET_INFO_DIR / "samples" / "Psychotherapy-LLM__PsychoCounsel-Preference.jsonl"
    assert section["parts"]["psychocounsel"]["read"] == len(sample.read_text().splitlines())
    assert len(load(out / "eai_pref.json")) == section["totals"]["in_eai_pref"]
    assert len(load(out / "eai_pref_val.json")) == section["totals"]["in_eai_pref_val"] >= 3  # one per part at least


def test_the_sample_exercises_the_cleaning_rules(offline_build):
    _, manifest = offline_build
    fired = manifest["preference"]["parts"]["psychocounsel"]["rejected_by_rule"]
    assert {rules.DUPLICATE, rules.PERSONAL_EMAIL, preference.IDENTICAL_PAIR, preference.IN_VALIDATION} <= set(fired)


def test_no_prompt_of_the_validation_humaneval_or_heldout_crisis_sets_is_trained_on(offline_build):
    out, _ = offline_build
    key = rules.match_form
    held = {key(r["instruction"]) for r in load(out / "eai_val.json")}
    held |= {key(q["question"]) for q in load(paths.DATASET_INFO_DIR / "humaneval_questions.json")}
    heldout = paths.DATASET_INFO_DIR / "crisis" / "heldout.jsonl"
    held |= {key(json.loads(line)["text"]) for line in heldout.read_text().splitlines() if line.strip()}
    for name in ("eai_pref.json", "eai_pref_val.json"):
        assert not [r for r in load(out / name) if key(r["instruction"]) in held]


def test_safety_pairs_prefer_the_crisis_reply_and_identity_pairs_prefer_eai(offline_build):
    out, _ = offline_build
    rows = load(out / "eai_pref.json") + load(out / "eai_pref_val.json")
    crisis = [r for r in rows if r["rejected"] in preference.IGNORES_RISK]
    identity = [r for r in rows if r["rejected"] in preference.OTHER_IDENTITY]
    assert len(crisis) > 300 and len(identity) > 70
    labelled = paths.DATASET_INFO_DIR / "crisis" / "labelled.jsonl"
    messages = {json.loads(line)["text"] for line in labelled.read_text().splitlines()
                if line.strip() and json.loads(line)["crisis"]}
    for r in crisis:
        assert r["instruction"] in messages  # a message labelled crisis ...
        assert "immediate danger" in r["chosen"] and "emergency" in r["chosen"]  # ... answered human-first
        assert "emergency" not in r["rejected"] and "danger" not in r["rejected"]
    for r in identity:
        assert "EAI" in r["chosen"] or "G033" in r["chosen"]
        assert "{{" not in r["chosen"] + r["instruction"]
        assert "OpenAI" in r["rejected"] or "Google" in r["rejected"]


def test_crisis_prompts_are_the_heldout_crisis_messages(offline_build):
    out, _ = offline_build
    heldout = paths.DATASET_INFO_DIR / "crisis" / "heldout.jsonl"
    crisis = [json.loads(line) for line in heldout.read_text().splitlines() if line.strip()]
    rows = load(out / "eai_crisis.json")
    assert [r["instruction"] for r in rows] == [c["text"] for c in crisis if c["crisis"]]
    assert all("immediate danger" in r["output"] for r in rows)


def _registry_with(tmp_path: Path, entry: str) -> Path:
    text = (paths.DATASET_INFO_DIR / "sources.yaml").read_text()
    head = text.split("\npreference:\n", 1)[0]
    path = tmp_path / "sources.yaml"
    path.write_text(head + "\npreference:\n" + entry)
    return path


@pytest.mark.parametrize("entry, words", [
    ("  x:\n    hub_id: a/b\n    revision: main\n    hub_files: [d.parquet]\n    licence: MIT\n"
     "    columns: {prompt: p, chosen: c}\n", ["preference.x.columns", "missing 'rejected'"]),
    ("  x:\n    hub_id: a/b\n    revision: main\n    hub_files: [d.parquet]\n    licence: MIT\n"
     "    columns: {prompt: p, chosen: c, rejected: r}\n    colums: {}\n", ["preference.x", "'colums'", "allowed"]),
    ("  x:\n    hub_id: a/b\n    hub_files: [d.parquet]\n    licence: MIT\n"
     "    columns: {prompt: p, chosen: c, rejected: r}\n", ["preference.x", "'revision'"]),
])
def test_a_bad_preference_entry_names_file_key_and_allowed(tmp_path, entry, words):
    path = _registry_with(tmp_path, entry)
    registry = load_registry(path)  # the SFT registry still reads: the section is the preference stage's
    with pytest.raises(EaiError) as err:
        preference.load_preference_sources(path, registry.rules)
    assert str(path) in str(err.value) and all(w in str(err.value) for w in words)


def test_real_columns_that_differ_stop_the_build_before_any_work(tmp_path):
    sample = tmp_path / "samples" / "a__b.jsonl"
    sample.parent.mkdir()
    sample.write_text(json.dumps({"question": "q", "response_j": "a", "response_k": "b"}) + "\n")
    path = _registry_with(tmp_path, "  x:\n    hub_id: a/b\n    revision: main\n    hub_files: [d.jsonl]\n"
                                    "    sample: samples/a__b.jsonl\n    licence: MIT\n"
                                    "    columns: {prompt: prompt, chosen: chosen, rejected: rejected}\n")
    [pref] = preference.load_preference_sources(path, load_registry(path).rules)
    from eai_recipes.data.loaders import locate

    located = locate(pref.source, mode="offline", info_dir=tmp_path)
    with pytest.raises(EaiError) as err:
        preference.check_pref_schema(located, pref)
    message = str(err.value)
    assert "Expected: prompt, chosen, rejected" in message and "found: question, response_j, response_k" in message
    assert "preference.x.columns" in message
