"""`eai safety` commands: screen (messages and conversations), evaluate, reply."""

from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from eai_recipes import safety
from eai_recipes.cli import safety as cli_safety
from eai_recipes.errors import EaiError


def _run(argv: list[str], stdin: str | None = None, monkeypatch=None) -> int:
    parser = argparse.ArgumentParser(prog="eai")
    cli_safety.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return args.func(args)


def test_screen_command_reads_a_file(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 7, "text": "I want to die"}) + "\n\n"
                    + json.dumps({"text": "this traffic is killing me"}) + "\n")
    assert _run(["safety", "screen", str(path)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["id"] == 7 and records[0]["crisis"] is True and records[0]["category"] == "suicide"
    assert records[0]["level"] == "crisis"
    assert records[1] == {"text": "this traffic is killing me", "crisis": False, "level": "none", "category": None,
                          "reason": records[1]["reason"]}
    assert "screened 2 messages" in err and "1 crisis" in err


def test_screen_command_reads_stdin_and_accounts_for_bad_lines(monkeypatch, capsys, tmp_path):
    stdin = '{"text": "I cut myself again"}\nnot json\n["text"]\n{"text": "hello"}\n'
    out_path = tmp_path / "out.jsonl"
    with pytest.raises(EaiError, match=r"stdin: 2 line\(s\) are not JSON objects.*lines 2, 3"):
        _run(["safety", "screen", "-o", str(out_path)], stdin=stdin, monkeypatch=monkeypatch)
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert len(records) == 4  # every input line has its record
    assert records[0]["crisis"] and records[3]["crisis"] is False
    assert records[1] == {"line": 2, "error": records[1]["error"]} and "not valid JSON" in records[1]["error"]
    assert records[2]["line"] == 3


def test_screen_command_missing_file(tmp_path):
    with pytest.raises(EaiError, match="cannot read"):
        _run(["safety", "screen", str(tmp_path / "missing.jsonl")])


def test_evaluate_command(capsys, tmp_path):
    assert _run(["safety", "evaluate"]) == 0
    out = capsys.readouterr().out
    assert "labelled.jsonl" in out and "recall" in out and "idioms" in out and "goals met" in out
    assert _run(["safety", "evaluate", "--json", "--check", str(safety.LABELLED_FILE),
                 str(safety.HELDOUT_FILE)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["meets_goals"] for d in data] == [True, True]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "I like turtles", "crisis": True, "kind": "direct"}) + "\n")
    with pytest.raises(EaiError, match="misses its goals"):
        _run(["safety", "evaluate", "--check", str(bad)])


def test_reply_command(capsys):
    assert _run(["safety", "reply", "--locale", "en-GB", "--category", "self_harm"]) == 0


def test_screen_command_reads_conversations_in_order(tmp_path, capsys):
    rows = [{"messages": [{"role": "user", "content": "I've decided. Sunday is the day."},
                          {"role": "assistant", "content": "I'm glad you told me."},
                          {"role": "user", "content": "what film should I watch"}]},
            {"messages": [{"role": "user", "content": "what film should I watch"}]}]
    path = tmp_path / "conv.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert _run(["safety", "screen", "--conversations", str(path)]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["level"] for r in records] == ["crisis", "none"]
    assert set(records[0]) == {"crisis", "level", "category", "reason"} and records[0]["crisis"] is True
    assert "sunday" not in records[0]["reason"].lower() and "2 conversations" in err


def test_screen_command_conversation_bad_line(tmp_path):
    path = tmp_path / "conv.jsonl"
    path.write_text('{"text": "not a conversation"}\n')
    with pytest.raises(EaiError, match="`messages`"):
        _run(["safety", "screen", "--conversations", str(path)])


@pytest.mark.parametrize("data", ["I want to die".encode("utf-16"), bytes(range(256))])
def test_screen_command_refuses_binary_or_utf16_cleanly(tmp_path, data):
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    with pytest.raises(EaiError, match="not UTF-8 text"):
        _run(["safety", "screen", str(path)])


def test_eai_screen_binary_stdin_is_a_clean_error():
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "eai_recipes.cli", "safety", "screen"], check=False,
                          input=bytes(range(256)),
                          capture_output=True, timeout=120)
    assert proc.returncode == 2 and b"not UTF-8 text" in proc.stderr and b"Traceback" not in proc.stderr


def test_reply_command_concern_footer(capsys):
    assert _run(["safety", "reply", "--concern", "--locale", "US"]) == 0
    out = capsys.readouterr().out
    assert "988" in out and "check in" in out


def test_evaluate_with_the_self_guard_runs_end_to_end(tiny_model, tmp_path, monkeypatch, capsys):
    """`eai safety evaluate --guard self` with the tiny model: every line gets a verdict (noise) or a counted
    failure; the figures come out in the usual form, without the texts when asked."""
    from pathlib import Path

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny-phi4").symlink_to(Path(tiny_model).resolve(), target_is_directory=True)
    rows = [{"text": "I want to die", "crisis": True, "kind": "direct"},
            {"text": "this traffic is killing me", "crisis": False, "kind": "idiom"}]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.chdir(tmp_path)
    assert _run(["safety", "evaluate", "--guard", "self", "--profile", "tiny", "--source", "base", "--json",
                 "--no-text", "--timeout", "60", str(path)]) == 0
    out, err = capsys.readouterr()
    [data] = json.loads(out[out.index("[\n"):])  # model loading may print before the figures
    assert data["n"] == 2 and "text" not in json.dumps(data["misses"]) and "failure(s)" in err
