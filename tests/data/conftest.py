"""Data-stage fixtures: one offline build per session, and the local-dir fixture set in its real formats."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eai_recipes.data.build import build_datasets

FIXTURES = Path(__file__).parent / "fixtures"


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="session")
def offline_build(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("offline") / "data"
    return out, build_datasets(out, offline=True, log=quiet)


def make_local_dir(target: Path) -> Path:
    """tests/data/fixtures/local/, with PsychologistSamhog turned into parquet as it is on the hub."""
    shutil.copytree(FIXTURES / "local", target)
    jsonl = target / "raflibagas__PsychologistSamhog.jsonl"
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), target / "raflibagas__PsychologistSamhog.parquet")
    jsonl.unlink()
    return target


@pytest.fixture
def local_dir(tmp_path) -> Path:
    return make_local_dir(tmp_path / "local")


class _FakeHub(BaseHTTPRequestHandler):
    """Just enough of the Hub's HTTP API for huggingface_hub.snapshot_download: repo info at a revision, the
    file tree, and file downloads. Records every request (path and Authorization header)."""

    repos: ClassVar[dict[str, dict[str, bytes]]] = {}
    requests: ClassVar[list[tuple[str, str, str | None]]] = []
    commit = "0123456789abcdef0123456789abcdef01234567"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        self.requests.append((self.command, self.path, self.headers.get("authorization")))
        path = self.path.split("?")[0]
        data, status, headers = b"{}", 404, {"Content-Type": "application/json"}
        for repo, files in self.repos.items():
            if path.startswith(f"/api/datasets/{repo}/tree/"):
                data, status = json.dumps([{"type": "file", "path": name, "size": len(content),
                                            "oid": hashlib.sha1(content).hexdigest()}
                                           for name, content in files.items()]).encode(), 200
            elif path.startswith(f"/api/datasets/{repo}/revision/"):
                data, status = json.dumps({"id": repo, "sha": self.commit,
                                           "siblings": [{"rfilename": n} for n in files]}).encode(), 200
            elif path.startswith(f"/datasets/{repo}/resolve/"):
                # a revision the client resolved through the API (self.commit), or a full commit hash pinned
                # in the registry, which the client uses as it is
                revision, _, name = path.split("/resolve/", 1)[1].partition("/")
                if name in files and (revision == self.commit or len(revision) == 40):
                    data, status = files[name], 200
                    headers = {"X-Repo-Commit": revision, "ETag": f'"{hashlib.sha1(data).hexdigest()}"'}
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_hub():
    """A local stand-in for huggingface.co (the tests have no network); yields (endpoint, handler class)."""
    _FakeHub.repos, _FakeHub.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", _FakeHub
    server.shutdown()
