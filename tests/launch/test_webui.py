from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.launch.webui import check_datasets as webui_check_datasets
from eai_recipes.launch.webui import listed_datasets, webui_env


def test_llamafactorys_webui_listing_sees_our_datasets(workdir, monkeypatch):
    monkeypatch.chdir(workdir)  # where `eai webui` starts it: the dataset dir is data/, relative
    names = listed_datasets()
    assert {"eai_train", "eai_val"} <= set(names)
    registered = json.loads((workdir / "data" / "dataset_info.json").read_text())
    assert set(names) == {k for k, v in registered.items() if not v.get("ranking")}
    assert webui_check_datasets() == names


def test_missing_or_broken_dataset_info_is_an_error_not_an_empty_dropdown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EaiError, match="eai data build"):
        webui_check_datasets()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text("{not json")
    with pytest.raises(EaiError, match="lists no training dataset"):
        webui_check_datasets()


def test_binds_to_loopback_unless_told_otherwise():
    env = webui_env(None, None, False, {"GRADIO_SHARE": "1"})
    assert env["GRADIO_SERVER_NAME"] == "127.0.0.1" and env["GRADIO_SERVER_PORT"] == "7860"
    assert env["GRADIO_SHARE"] == "0" and env["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert webui_env(None, None, False, {"GRADIO_SERVER_NAME": "0.0.0.0"})["GRADIO_SERVER_NAME"] == "0.0.0.0"
    told = webui_env("0.0.0.0", 8000, True, {"GRADIO_SERVER_NAME": "10.1.1.1"})
    assert (told["GRADIO_SERVER_NAME"], told["GRADIO_SERVER_PORT"], told["GRADIO_SHARE"]) == ("0.0.0.0", "8000", "1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> list[str]:
    """Local addresses listening on a TCP port, from the kernel's table (IPv4)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.append(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return found


@pytest.mark.integration
def test_eai_webui_starts_llamafactorys_webui_on_loopback(workdir):
    import urllib.request

    from conftest import EAI

    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs /proc/net/tcp to see the bound address")
    port = _free_port()
    env = {**os.environ}
    env.pop("GRADIO_SERVER_NAME", None)
    proc = subprocess.Popen([*EAI, "webui", "--port", str(port)], cwd=workdir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not _listening(port):
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the WebUI did not start"
            time.sleep(0.5)
        assert _listening(port) == ["127.0.0.1"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = proc.stdout.read()
    assert "eai_train" in out and f"http://127.0.0.1:{port}" in out
    for made in ("llamaboard_cache",):
        shutil.rmtree(workdir / made, ignore_errors=True)
