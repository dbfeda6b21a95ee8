"""The whole build: outputs, accounting, decontamination, determinism, the schema check, the token's absence."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from eai_recipes import cli, paths
from eai_recipes.data import build as build_mod
from eai_recipes.data.build import build_datasets
from eai_recipes.data.loaders import count_and_parse
from eai_recipes.data.rules import match_form
from eai_recipes.errors import EaiError
from eai_recipes.identity import system_prompt

from .conftest import FIXTURES, make_local_dir, quiet


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text())


def rejects(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]


def all_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- outputs of the offline build ---------------------------------------------------------------------------
def test_outputs_exist_and_are_alpaca(offline_build):
    out, manifest = offline_build
    system = system_prompt()
    for name in ("eai_train.json", "eai_val.json", "eai_humaneval.json"):
        rows = load(out / name)
        assert rows and all(list(r) == ["system", "instruction", "input", "output", "history"] for r in rows)
        assert all(r["system"] == system and r["input"] == "" and r["history"] == [] for r in rows)
        assert all(r["instruction"].strip() for r in rows)
    train = load(out / "eai_train.json")
    assert 40 <= len(train) - 86 <= 80  # source rows beside the 86 identity samples: a tiny demo's worth
    assert 20 <= len(load(out / "eai_val.json")) <= 40
    assert all(r["output"] == "" for r in load(out / "eai_humaneval.json"))
    for s in manifest["sources"].values():
        assert (out / s["output"]).is_file()


def test_dataset_info_registers_every_output(offline_build):
    out, manifest = offline_build
    info = json.loads((out / "dataset_info.json").read_text())
    expected = {"eai_train", "eai_val", "eai_humaneval"} | {f"eai_src_{k}" for k in manifest["sources"]}
    ranking = {"eai_pref", "eai_pref_val"}  # preference pairs: tests/data/test_preference.py
    assert set(info) == expected | ranking | {"eai_crisis"}
    for name, entry in info.items():
        assert (out / entry["file_name"]).is_file() and not Path(entry["file_name"]).is_absolute()
        assert entry["formatting"] == "alpaca"
        if name not in ranking:
            assert entry["columns"] == {"prompt": "instruction", "query": "input", "response": "output",
                                        "system": "system", "history": "history"}


def test_every_row_is_kept_or_rejected(offline_build):
    out, manifest = offline_build
    rej = rejects(out)
    for key, s in manifest["sources"].items():
        assert s["read"] == s["kept"] + s["rejected"] == s["kept"] + sum(s["rejected_by_rule"].values())
        files = [paths.DATASET_INFO_DIR.parent / name for name in s["files"]]
        assert s["read"] == sum(count_and_parse(f) for f in files), key  # the rows really in the file
        assert len(load(out / s["output"])) == s["kept"]
        mine = [r for r in rej if r["source"] == key]
        assert len(mine) == s["rejected"] and len({r["row"] for r in mine}) == len(mine)
        for rule, n in s["rejected_by_rule"].items():
            assert sum(r["rule"] == rule for r in mine) == n
    totals = manifest["totals"]
    assert totals["read"] == totals["kept"] + totals["rejected"] == sum(s["read"] for s in manifest["sources"].values())


def test_samples_exercise_every_rule(offline_build):
    """The shipped samples are messy enough that each rule fires at least once in the demo build."""
    _, manifest = offline_build
    from eai_recipes.data import rules

    touched = {rule for rule, r in manifest["rules"].items() if r["rows_touched"]}
    assert touched == set(rules.SCRUBS) | set(rules.DROPS)


def test_manifest_hashes_licences_and_revisions(offline_build):
    out, manifest = offline_build
    for name, entry in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(manifest["outputs"]) >= {"eai_train.json", "eai_val.json", "rejects.jsonl", "dataset_info.json"}
    assert manifest["licences"]["tellikoroma/mentalhealth"] == "ODbL-1.0"
    assert manifest["sources"]["amod"]["revision"] == "9015341"
    assert manifest["parameters"] == {"mode": "offline", "name": "EAI", "author": "G033", "seed": 42,
                                      "val_size": 1000, "registry": "dataset_info/sources.yaml"}
    assert "/" not in "".join(str(v) for v in manifest["parameters"].values() if v != "dataset_info/sources.yaml")


def test_training_set_has_no_near_duplicates(offline_build):
    out, _ = offline_build
    forms = [(match_form(r["instruction"]), match_form(r["output"])) for r in load(out / "eai_train.json")]
    assert len(forms) == len(set(forms))


def test_validation_never_repeats_a_training_question(offline_build):
    out, _ = offline_build
    train = {match_form(r["instruction"]) for r in load(out / "eai_train.json")}
    val = load(out / "eai_val.json")
    assert not [r["instruction"] for r in val if match_form(r["instruction"]) in train]
    # the Harshallama sample copies two Amod questions: both were caught
    caught = [r for r in rejects(out) if r["rule"] == "in_training"]
    assert {r["source"] for r in caught} == {"harshallama"} and len(caught) == 2


def test_identity_placeholders_are_filled(offline_build):
    out, _ = offline_build
    text = (out / "eai_train.json").read_text() + (out / "eai_val.json").read_text()
    assert "{{" not in text
    identity = load(out / "sources" / "identity.json")
    assert len(identity) == 86 and any("G033" in r["output"] for r in identity)
    assert len(load(out / "sources" / "identity_verification.json")) == 20


def test_user_text_is_not_in_the_progress_output(tmp_path, capsys):
    assert cli.main(["data", "build", "--offline", "--out", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert "data:   amod: read 18, kept" in err and "wrote" in err
    for row in load(tmp_path / "d" / "eai_train.json")[:20]:
        assert row["instruction"][:30] not in err


# --- determinism --------------------------------------------------------------------------------------------
def test_same_inputs_and_seed_give_identical_bytes(offline_build, tmp_path):
    out, _ = offline_build
    again = tmp_path / "again"
    build_datasets(again, offline=True, log=quiet)
    assert all_files(again) == all_files(out)


def test_parallel_and_unscreened_builds_match(tmp_path, local_dir, monkeypatch):
    """Worker processes and the full chain on every row give byte-identical outputs."""
    base = tmp_path / "base"
    build_datasets(base, local_dir=local_dir, log=quiet)
    monkeypatch.setattr(build_mod, "PARALLEL_MIN_BYTES", 0)
    build_datasets(tmp_path / "par", local_dir=local_dir, workers=2, log=quiet)
    build_datasets(tmp_path / "full", local_dir=local_dir, screen=False, log=quiet)
    assert all_files(tmp_path / "par") == all_files(base) == all_files(tmp_path / "full")


def test_seed_and_val_size_pick_the_validation_sample(tmp_path):
    picks = set()
    for seed in (1, 2, 3, 4):
        out = tmp_path / f"s{seed}"
        manifest = build_datasets(out, offline=True, seed=seed, val_size=4, log=quiet)
        val = load(out / "eai_val.json")
        assert len(val) == 4 + 20 and manifest["totals"]["val_rows"] == 24
        picks.add(tuple(r["instruction"] for r in val[:4]))
    assert len(picks) > 1


def test_name_and_author_reach_system_and_identity(tmp_path):
    build_datasets(tmp_path / "d", offline=True, name="Sol", author="Lab 7", log=quiet)
    train = load(tmp_path / "d" / "eai_train.json")
    assert train[0]["system"] == system_prompt("Sol", "Lab 7")
    identity = load(tmp_path / "d" / "sources" / "identity.json")
    assert len(identity) == 86 and any("I am Sol" in r["output"] for r in identity)  # not a "personal name"


# --- local files, tokens, errors ----------------------------------------------------------------------------
def test_local_dir_build_with_real_formats_and_a_token(tmp_path, local_dir, monkeypatch, capsys):
    token = "hf_FAKE_secret_token_0123456789"
    monkeypatch.setenv("HF_TOKEN", token)
    out = tmp_path / "d"
    assert cli.main(["data", "build", "--local-dir", str(local_dir), "--out", str(out), "--val-size", "10"]) == 0
    captured = capsys.readouterr()
    for name, data in all_files(out).items():
        assert token.encode() not in data, name
    assert token not in captured.err + captured.out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["mode"] == "local"
    assert manifest["sources"]["psychologist_samhog"]["files"] == ["raflibagas__PsychologistSamhog.parquet"]
    assert str(local_dir) not in (out / "manifest.json").read_text()  # no machine paths
    by_rule = {(r["source"], r["rule"]) for r in rejects(out)}
    assert {("marmikpandya", "parse_error"), ("marmikpandya", "near_duplicate"), ("marmikpandya", "schema_mismatch"),
            ("amod", "wrong_type"), ("amod", "empty_side"), ("harshallama", "in_training"),
            ("identity_verification", "in_training"), ("tellikoroma", "personal_email")} <= by_rule
    identity = load(out / "sources" / "identity.json")
    assert identity[0]["output"] == "Hello! I am EAI, an AI assistant developed by G033. How can I assist you today?"
    samhog = load(out / "sources" / "psychologist_samhog.json")
    assert any(r["instruction"].startswith("My partner checks my phone") for r in samhog)  # from `instruction`
    assert any("1-800-799-7233" in r["output"] for r in samhog)  # a help line is kept


def test_schema_mismatch_stops_before_any_output(tmp_path, local_dir):
    (local_dir / "tellikoroma__mentalhealth.csv").write_text("text,label\nI feel sad,depression\n")
    out = tmp_path / "d"
    with pytest.raises(EaiError) as err:
        build_datasets(out, local_dir=local_dir, log=quiet)
    message = str(err.value)
    for words in ("source 'tellikoroma'", "tellikoroma__mentalhealth.csv", "Expected: question, answer",
                  "Found: text, label", "schema confidence: unknown", "sources.tellikoroma.columns", "ignore_columns"):
        assert words in message
    assert not out.exists()


def test_failed_build_leaves_previous_outputs(tmp_path, local_dir):
    out = tmp_path / "d"
    build_datasets(out, local_dir=local_dir, log=quiet)
    before = all_files(out)
    (local_dir / "identity.json").write_text(json.dumps([{"instruction": "hi", "input": "",
                                                          "output": "Hello, I am {{name}}, call me {{nickname}}."}]))
    with pytest.raises(EaiError, match=r"\{\{nickname\}\}"):
        build_datasets(out, local_dir=local_dir, log=quiet)
    assert all_files(out) == before
    with pytest.raises(EaiError, match=r"\{\{nickname\}\}"):  # into a new folder: nothing is left behind
        build_datasets(tmp_path / "new", local_dir=local_dir, log=quiet)
    assert not (tmp_path / "new").exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("write-")]  # no writer thread left


def test_stale_per_source_files_are_removed(tmp_path):
    out = tmp_path / "d"
    (out / "sources").mkdir(parents=True)
    (out / "sources" / "old_source.json").write_text("[]\n")
    build_datasets(out, offline=True, log=quiet)
    assert not (out / "sources" / "old_source.json").exists()


def test_offline_and_local_dir_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["data", "build", "--offline", "--local-dir", str(tmp_path)])
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err
    with pytest.raises(EaiError, match="exclude each other"):
        build_datasets(tmp_path / "d", offline=True, local_dir=tmp_path)


@pytest.mark.parametrize("argv, words", [
    (["--seed", "-1"], "--seed"),
    (["--val-size", "-5"], "--val-size"),
    (["--name", "{{x}}"], "--name"),
    (["--local-dir", "/no/such/dir"], "not a folder"),
])
def test_bad_parameters_are_one_line_errors(tmp_path, capsys, argv, words):
    if "--local-dir" not in argv:
        argv = ["--offline", *argv]
    assert cli.main(["data", "build", "--out", str(tmp_path / "d"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("eai: error:") and words in err[-1]
    assert not (tmp_path / "d").exists()


def test_manifest_refuses_lost_rows(offline_build):
    """The read = kept + rejected check itself, as the manifest applies it again: counts that do not add up,
    either way, fail the build."""
    from eai_recipes.data.loaders import locate
    from eai_recipes.data.registry import load_registry
    source = load_registry(paths.DATASET_INFO_DIR / "sources.yaml").get("amod")
    loc = locate(source, mode="offline", info_dir=paths.DATASET_INFO_DIR)
    for read, kept, words in ((5, 3, r"kept 3 \+ rejected 1 = 4 \(1 row lost\)"),
                              (5, 6, r"kept 6 \+ rejected 1 = 7 \(2 rows counted twice\)")):
        stats = build_mod._Stats(read=read, kept=kept)
        stats.rejected["too_short"] = 1
        build = build_mod._Build.__new__(build_mod._Build)
        build.stats = {"amod": stats}
        with pytest.raises(EaiError, match=r"source 'amod': read 5 rows from its files but " + words):
            build_mod._manifest(build, [loc], [source], "offline", name="EAI", author="G033", seed=1, val_size=1,
                                system="s", registry_path=paths.DATASET_INFO_DIR / "sources.yaml",
                                info_dir=paths.DATASET_INFO_DIR)


def test_a_row_lost_in_processing_fails_the_build(tmp_path, monkeypatch):
    """Rows read are counted as the reader yields them, not from what processing returns: a row that
    process_batch drops without recording it fails the build, and the previous outputs stay as they were."""
    out = tmp_path / "d"
    before_manifest = build_datasets(out, offline=True, log=quiet)
    before = all_files(out)
    amod = before_manifest["sources"]["amod"]
    real = build_mod.process_batch

    def lose_one(plan, start, items):
        result = real(plan, start, items)
        if plan.key == "amod" and result.rows:  # forget the first kept row: neither kept nor rejected
            result.rows, result.near, result.user, result.exact = (x[1:] for x in (
                result.rows, result.near, result.user, result.exact))
            result.lines = result.lines.slice(1)
        return result

    monkeypatch.setattr(build_mod, "process_batch", lose_one)
    kept, rejected = amod["kept"] - 1, amod["rejected"]
    with pytest.raises(EaiError) as err:
        build_datasets(out, offline=True, log=quiet)
    assert str(err.value).startswith(
        f"source 'amod': read {amod['read']} rows from its files but kept {kept} + rejected {rejected} = "
        f"{kept + rejected} (1 row lost)")
    assert all_files(out) == before and not (out / ".building").exists()


def test_bad_json_array_elements_are_rejects(tmp_path, local_dir):
    """A .json array that parses: an element that is not an object, has a field that is not text, or holds
    invalid UTF-8 is a reject with its reason, like a bad line of JSON Lines; the other rows are built."""
    good = {"Context": "I have been feeling very low for weeks now and I do not know why.",
            "Response": "Thank you for telling me. Feeling low for weeks is hard; let us look at what has changed."}
    elements = [json.dumps(good), "5", '"just text"', "[1, 2]", "null", json.dumps({"Context": 3, "Response": "x"}),
                json.dumps({"Context": ["a"], "Response": None})]
    data = ("[\n" + ",\n".join(elements) + ",\n").encode() + b'{"Context": "bad \xff byte", "Response": "x"}\n]\n'
    (local_dir / "Amod__mental_health_counseling_conversations.json").write_bytes(data)
    manifest = build_datasets(tmp_path / "d", local_dir=local_dir, log=quiet)
    amod = manifest["sources"]["amod"]
    assert amod["read"] == 8 and amod["kept"] == 1
    assert amod["rejected_by_rule"] == {"wrong_type": 6, "parse_error": 1}
    mine = {r["row"]: r for r in rejects(tmp_path / "d") if r["source"] == "amod"}
    assert mine[1]["detail"] == "record is int, expected an object" and mine[1]["data"] == 5
    assert mine[4]["detail"] == "record is NoneType, expected an object"
    assert mine[5]["detail"] == "column 'Context' is int, expected text"
    assert mine[6]["detail"] == "column 'Context' is list, expected text"
    assert mine[7]["detail"] == "not valid UTF-8" and "bad \ufffd byte" in mine[7]["data"]


def test_invalid_json_array_file_is_an_error_naming_it(tmp_path, local_dir):
    """Past the rows the schema check reads, so the build is under way when it meets the error."""
    out = tmp_path / "d"
    build_datasets(out, local_dir=local_dir, log=quiet)
    before = all_files(out)
    good = json.dumps({"Context": "I have been feeling very low for weeks now.",
                       "Response": "Thank you for telling me."})
    path = local_dir / "Amod__mental_health_counseling_conversations.json"
    path.write_text("[\n" + ",\n".join([good] * 100) + ",\n" + '{"Context": "a" "Response": "b"}\n]\n')
    with pytest.raises(EaiError) as err:
        build_datasets(out, local_dir=local_dir, log=quiet)
    message = str(err.value)
    for words in ("source 'amod': Amod__mental_health_counseling_conversations.json: not a valid JSON array",
                  "line 102, column 17, in element 101", "JSON Lines"):
        assert words in message
    assert all_files(out) == before


def test_local_dir_without_a_source_file_under_hf_hub_offline(tmp_path, local_dir, monkeypatch, capsys):
    (local_dir / "tellikoroma__mentalhealth.csv").unlink()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "d"
    assert cli.main(["data", "build", "--local-dir", str(local_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("eai: error: source 'tellikoroma': no tellikoroma__mentalhealth.<jsonl|json|csv|parquet> "
                              f"in --local-dir {local_dir}, and HF_HUB_OFFLINE is set")
    assert not out.exists()


def test_fixture_dir_is_complete():
    names = {p.name for p in (FIXTURES / "local").iterdir()}
    assert {"identity.json", "identity_verification.json", "tellikoroma__mentalhealth.csv"} <= names
    assert make_local_dir  # used by the fixtures above


def test_hub_build_downloads_pinned_revisions_with_the_token(tmp_path, local_dir, fake_hub, monkeypatch):
    """The real huggingface_hub download path, against a local stand-in for the Hub."""
    from eai_recipes import paths
    from eai_recipes.data.loaders import download_from_hub
    from eai_recipes.data.registry import load_registry

    endpoint, hub = fake_hub
    hub_files = {  # each source's fixture under the file name its hub repository uses
        "marmikpandya/mental-health": {"data.jsonl": "marmikpandya__mental-health.jsonl"},
        "raflibagas/PsychologistSamhog": {
            "data/train-00000-of-00001.parquet": "raflibagas__PsychologistSamhog.parquet"},
        "Amod/mental_health_counseling_conversations": {
            "combined_dataset.json": "Amod__mental_health_counseling_conversations.json"},
        "Harshallama/mental_health_alpaca_format": {"data/train-00000-of-00001.parquet": None},
        "tellikoroma/mentalhealth": {"mh_data.csv": "tellikoroma__mentalhealth.csv", "README.md": None},
    }
    import pyarrow as pa
    import pyarrow.parquet as pq

    harsh_jsonl = local_dir / "Harshallama__mental_health_alpaca_format.jsonl"
    harsh = [json.loads(x) for x in harsh_jsonl.read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(harsh), tmp_path / "harsh.parquet")
    for repo, files in hub_files.items():
        hub.repos[repo] = {name: (local_dir / src).read_bytes() if src else
                           (tmp_path / "harsh.parquet").read_bytes() if name.endswith(".parquet") else b"# card"
                           for name, src in files.items()}
    pref_file = local_dir / "Psychotherapy-LLM__PsychoCounsel-Preference.jsonl"
    pref = [json.loads(x) for x in pref_file.read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(pref), tmp_path / "pref.parquet")
    hub.repos["Psychotherapy-LLM/PsychoCounsel-Preference"] = {
        "data/train-00000-of-00001.parquet": (tmp_path / "pref.parquet").read_bytes(), "README.md": b"# card"}
    token = "hf_FAKE_hub_token_abcdef"
    monkeypatch.setenv("HF_TOKEN", token)
    cache = tmp_path / "hf-cache"
    messages: list[str] = []
    manifest = build_datasets(tmp_path / "d", log=messages.append,
                              fetch=lambda s, t: download_from_hub(s, t, endpoint=endpoint, cache_dir=str(cache)))
    registry = load_registry(paths.DATASET_INFO_DIR / "sources.yaml")
    for s in registry.enabled():
        if s.hub_id:
            assert any(p == f"/api/datasets/{s.hub_id}/revision/{s.revision}" for _, p, _ in hub.requests), s.key
            assert manifest["sources"][s.key]["origin"] == "hub"
    assert all(auth == f"Bearer {token}" for _, _, auth in hub.requests)  # the token went to the hub only
    assert manifest["sources"]["tellikoroma"]["files"] == ["mh_data.csv"]  # README.md was not fetched as data
    assert manifest["sources"]["psychologist_samhog"]["files"] == ["data/train-00000-of-00001.parquet"]
    assert manifest["sources"]["amod"]["resolved_commit"] == hub.commit
    assert manifest["sources"]["harshallama"]["read"] == 4
    psycho = manifest["preference"]["parts"]["psychocounsel"]  # the preference set: the same download path
    assert psycho["origin"] == "hub" and psycho["read"] == len(pref)
    assert psycho["resolved_commit"] == psycho["revision"] == "370ad880ca00af2eb4144548109946c87ff183cf"
    assert psycho["files"] == ["data/train-00000-of-00001.parquet"]
    for name, data in all_files(tmp_path / "d").items():
        assert token.encode() not in data, name
    assert not any(token in m for m in messages)
    assert any("downloading" in m for m in messages)
