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
    with pytest.raises(EaiError, match=r"broken\.json: not a valid JSON array"):
        rows_of(path)


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


def test_local_dir_falls_back_to_the_hub(tmp_path):
    calls = []

    def fetch(source, token):
        calls.append((source.key, token))
        return (tmp_path / "from-hub.jsonl",)

    loc = locate(REGISTRY.get("marmikpandya"), mode="local", info_dir=paths.DATASET_INFO_DIR, local_dir=tmp_path,
                 token="t", fetch=fetch)
    assert calls == [("marmikpandya", "t")] and loc.origin == "hub" and loc.names == ("from-hub.jsonl",)


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
