"""Finding and streaming source files: every format, bad rows, local/offline/shipped choices, the hub call."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eai_recipes import paths
from eai_recipes.data import loaders
from eai_recipes.data.loaders import Unparseable, iter_batches, locate, read_columns
from eai_recipes.data.registry import load_registry
from eai_recipes.errors import EaiError

REGISTRY = load_registry(paths.DATASET_INFO_DIR / "sources.yaml")


def rows_of(path: Path, batch_rows: int = 3) -> list:
    out = []
    for start, items in iter_batches(path, batch_rows=batch_rows):
        assert start == len(out)
        items = items if isinstance(items, list) else items.to_pylist()
        out += [loaders.parse_line(i) if isinstance(i, bytes) else i for i in items]
    return out


def test_jsonl_bad_line_blank_lines_and_bom(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"q": "one"}\n\n{"q": "two"\n{"q": "three"}\n   \n[1, 2]\n')
    rows = rows_of(path)
    assert rows[0] == {"q": "one"} and rows[2] == {"q": "three"} and rows[3] == [1, 2]
    assert isinstance(rows[1], Unparseable) and "not valid JSON" in rows[1].reason and rows[1].raw == '{"q": "two"'
    assert len(rows) == 4  # blank lines are not rows
    assert read_columns(path) == ["q"]


def test_json_array_is_streamed_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "_JSON_CHUNK", 16)  # force elements to straddle reads
    items = [{"Context": f"question {i} " + "x" * (i * 7), "Response": f"answer {i}"} for i in range(25)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(items, indent=1))
    assert loaders.file_format(path) == "json"
    assert rows_of(path, batch_rows=4) == items
    assert read_columns(path) == ["Context", "Response"]


def test_json_lines_in_a_json_file(tmp_path):
    path = tmp_path / "combined.json"
    path.write_text('{"Context": "a", "Response": "b"}\n{"Context": "c", "Response": "d"}\n')
    assert loaders.file_format(path) == "jsonl"
    assert [r["Context"] for r in rows_of(path)] == ["a", "c"]


def test_broken_json_array_names_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"a": 1}, {"a": 2 "b": 3}]')
    with pytest.raises(EaiError, match=r"broken\.json: not a valid JSON array \(Expecting ',' delimiter at line 1, "
                                       r"column 20, in element 2\)"):
        rows_of(path)


@pytest.mark.parametrize("text, words", [
    ('[{"a": 1},\n{"a": 2},\n\n  {"a": 3,}\n]', "line 4, column 11, in element 3"),  # the line in the file
    ('[{"a": 1}, {"a": 2}', "expected ',' or ']' after an element"),  # cut short: rows would be missing
    ('[{"a": 1}]\n[{"a": 2}]\n', "text after the closing ']' at line 2, column 1"),  # not silently ignored
    ('[{"a": 1},]', "Expecting value"),
    ("[" + "[" * 100000 + "]" * 100000 + "]", "nested too deeply"),
])
def test_invalid_json_array_is_an_error_with_its_place(tmp_path, monkeypatch, text, words):
    monkeypatch.setattr(loaders, "_JSON_CHUNK", 8)  # the place is right across read windows
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(EaiError, match=r"bad\.json: not a valid JSON array") as err:
        rows_of(path)
    assert words in str(err.value) and "JSON Lines" in str(err.value)


def test_json_array_elements_of_any_kind_are_rows(tmp_path, monkeypatch):
    """Every element that parses is a row (processing rejects the non-objects); invalid UTF-8 inside one
    element makes that element Unparseable, not the file."""
    monkeypatch.setattr(loaders, "_JSON_CHUNK", 16)
    path = tmp_path / "a.json"
    path.write_bytes(b'[{"q": "one"}, 5, "text", [1], null, {"q": 2},\n {"q": "caf\xe9 \\ud800"}, {"q": "\\ud800"}]')
    rows = rows_of(path)
    assert rows[:6] == [{"q": "one"}, 5, "text", [1], None, {"q": 2}] and rows[7] == {"q": "\ud800"}
    assert isinstance(rows[6], Unparseable) and rows[6].reason == "not valid UTF-8"
    assert rows[6].raw == '{"q": "caf\ufffd \\ud800"}'  # the escape is JSON text; only the bad byte is replaced
    assert read_columns(path) == ["q"]


def test_deeply_nested_json_line_is_a_reject(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"q": "one"}\n' + "[" * 100000 + "]" * 100000 + "\n")
    rows = rows_of(path)
    assert rows[0] == {"q": "one"} and isinstance(rows[1], Unparseable) and "nested too deeply" in rows[1].reason


def test_csv_quoted_newlines_and_wrong_field_count(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('question,answer\n"multi\nline, with comma",fine\nonly one field\n"a","b","c"\n\nx,y\n')
    rows = rows_of(path)
    assert rows[0] == {"question": "multi\nline, with comma", "answer": "fine"}
    assert isinstance(rows[1], Unparseable) and "1 fields" in rows[1].reason
    assert isinstance(rows[2], Unparseable) and rows[2].raw == ["a", "b", "c"]
    assert rows[3] == {"question": "x", "answer": "y"} and len(rows) == 4
    assert read_columns(path) == ["question", "answer"]


def test_csv_invalid_utf8_is_a_reject(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"question,answer\nok,fine\nbad \xff\xfe bytes,x\n")
    rows = rows_of(path)
    assert rows[0] == {"question": "ok", "answer": "fine"}
    assert isinstance(rows[1], Unparseable) and "UTF-8" in rows[1].reason


def test_parquet_batches(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"input": [f"q{i}" for i in range(10)], "output": [f"a{i}" for i in range(10)]}), path)
    batches = list(iter_batches(path, batch_rows=4))
    assert [start for start, _ in batches] == [0, 4, 8]
    assert isinstance(batches[0][1], pa.RecordBatch)
    assert rows_of(path, 4)[9] == {"input": "q9", "output": "a9"}
    assert read_columns(path) == ["input", "output"]
    assert loaders.count_and_parse(path) == 10


def test_unreadable_extension(tmp_path):
    with pytest.raises(EaiError, match=r"\.xlsx"):
        loaders.file_format(tmp_path / "x.xlsx")


# --- locating files -----------------------------------------------------------------------------------------
def test_offline_uses_the_shipped_sample():
    loc = locate(REGISTRY.get("amod"), mode="offline", info_dir=paths.DATASET_INFO_DIR)
    assert loc.origin == "sample" and loc.files[0].is_file()
    assert loc.names == ("dataset_info/samples/Amod__mental_health_counseling_conversations.json",)


def test_missing_sample_fails_naming_the_key(tmp_path):
    (tmp_path / "samples").mkdir()
    with pytest.raises(EaiError, match=r"sources\.amod\.sample"):
        locate(REGISTRY.get("amod"), mode="offline", info_dir=tmp_path)


def test_local_dir_wins_and_must_be_unambiguous(tmp_path):
    amod = REGISTRY.get("amod")
    (tmp_path / "Amod__mental_health_counseling_conversations.csv").write_text("Context,Response\na,b\n")
    loc = locate(amod, mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path)
    assert loc.origin == "local-dir" and loc.names == ("Amod__mental_health_counseling_conversations.csv",)
    (tmp_path / "Amod__mental_health_counseling_conversations.jsonl").write_text("")
    with pytest.raises(EaiError, match="several local files"):
        locate(amod, mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path)


def test_local_dir_overrides_shipped_identity(tmp_path):
    identity = REGISTRY.get("identity")
    assert locate(identity, mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path).origin == "shipped"
    (tmp_path / "identity.json").write_text("[]")
    assert locate(identity, mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path).origin == "local-dir"


def test_local_dir_falls_back_to_the_hub_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    calls, messages = [], []

    def fetch(source, token):
        calls.append((source.key, token))
        return (tmp_path / "from-hub.jsonl",)

    loc = locate(REGISTRY.get("marmikpandya"), mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path,
                 token="t", fetch=fetch, log=messages.append)
    assert calls == [("marmikpandya", "t")] and loc.origin == "hub" and loc.names == ("from-hub.jsonl",)
    assert messages == [(f"data: marmikpandya: no marmikpandya__mental-health.<jsonl|json|csv|parquet> in "
                         f"--local-dir {tmp_path}: downloading marmikpandya/mental-health at revision c0c6a71 from "
                         f"the hub instead (set HF_HUB_OFFLINE=1 to forbid downloads)")]


@pytest.mark.parametrize("variable, value", [("HF_HUB_OFFLINE", "1"), ("HF_HUB_OFFLINE", "true"),
                                             ("TRANSFORMERS_OFFLINE", "1")])
def test_local_dir_under_hf_hub_offline_does_not_download(tmp_path, monkeypatch, variable, value):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv(variable, value)

    def fetch(source, token):
        raise AssertionError("no download under HF_HUB_OFFLINE")

    with pytest.raises(EaiError) as err:
        locate(REGISTRY.get("amod"), mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path, fetch=fetch,
               log=print)
    message = str(err.value)
    assert message.startswith(f"source 'amod': no Amod__mental_health_counseling_conversations.<jsonl|json|csv|"
                              f"parquet> in --local-dir {tmp_path}, and HF_HUB_OFFLINE is set")
    assert "sources.amod.enabled: false" in message
    identity = locate(REGISTRY.get("identity"), mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path)
    assert identity.origin == "shipped"  # a shipped file needs no network


def test_local_dir_fallback_without_network_names_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def fetch(source, token):
        raise EaiError(f"source '{source.key}': could not download {source.hub_id} (ConnectionError: no route)")

    with pytest.raises(EaiError) as err:
        locate(REGISTRY.get("amod"), mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path, fetch=fetch)
    assert str(err.value) == (
        f"source 'amod': no Amod__mental_health_counseling_conversations.<jsonl|json|csv|parquet> in --local-dir "
        f"{tmp_path}, and the hub download it fell back to failed: could not download "
        f"Amod/mental_health_counseling_conversations (ConnectionError: no route)")


# --- the hub download, against a local server that echoes the token back ------------------------------------
class _EchoHub(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _reply(self) -> None:
        self.seen.append(self.path)
        auth = self.headers.get("authorization")
        body = json.dumps({"error": f"Invalid credentials in Authorization header: {auth}"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Error-Message", f"rejected {auth}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = _reply

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def echo_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_hub_error_never_shows_the_token(echo_hub, tmp_path):
    token = "hf_FAKE_token_must_not_leak_42"
    amod = REGISTRY.get("amod")
    with pytest.raises(EaiError) as err:
        loaders.download_from_hub(amod, token, endpoint=echo_hub, cache_dir=str(tmp_path / "cache"))
    message = str(err.value)
    assert token not in message and "***" in message  # the server echoed it; the message hides it
    assert "source 'amod'" in message and "--local-dir" in message and "\n" not in message
    assert any(f"/revision/{amod.revision}" in p for p in _EchoHub.seen)  # the pinned revision was asked for


def test_redact():
    assert loaders.redact("token abc in abc", "abc") == "token *** in ***"
    assert loaders.redact("nothing", None) == "nothing"
