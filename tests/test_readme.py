"""The docs stay true: every `eai ...` command a tracked Markdown file shows parses with the real `eai` parser
(sub-command and options), and every `make X` it names is a target of the Makefile. What the commands do is
tested by the module tests and the integration runs; this file catches a doc that drifts from the code."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from eai_recipes.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _tracked_docs() -> list[Path]:
    """Every Markdown file git tracks (a new doc is covered the day it is added), except test fixtures, which
    imitate files a run writes. Outside a git checkout (an unpacked sdist) every *.md under the root counts."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.md"], check=True, capture_output=True,
                             text=True).stdout.split()
        paths = [ROOT / name for name in out]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for p in ROOT.rglob("*.md") if ".venv" not in p.parts]
    return sorted(p for p in paths if p.exists() and "fixtures" not in p.relative_to(ROOT).parts)


DOCS = _tracked_docs()

# Placeholders the README uses where a user supplies a value.
PLACEHOLDERS = {"NAME": "tiny", "<run-name>": "demo", "R": "demo", "DIR": "somewhere", "PATH...": "recipes/",
                "RUN": "demo", "ADDR": "127.0.0.1", "N": "1", "k=v": "learning_rate=1e-4"}


def _commands(text: str) -> list[str]:
    """`eai ...` commands from shell blocks (one per line, continuation lines joined), indented blocks and
    inline code."""
    found = []
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    blocks += re.findall(r"^ {4}(?:[A-Z_]+=\S+ )*(eai [a-z].*)$", re.sub(r"```.*?```", "", text, flags=re.S),
                         flags=re.M)
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            m = re.search(r"(?:^|\s|\|\s*)(eai\s+[a-z].*)$", line)
            if m:
                found.append(m.group(1))
    for inline in re.findall(r"`(eai [a-z][^`]*)`", text):
        found.append(inline)
    return found


def _argv(command: str) -> list[str]:
    command = re.sub(r"\[[^\]]*\]", "", command)  # optional parts in [brackets]
    command = command.split(" | ")[0].split(" > ")[0]
    words = []
    for word in shlex.split(command)[1:]:
        if word in {"/", "\\"}:
            break  # "eai train / predict / export": the first is enough, the table row names them all
        words.append(PLACEHOLDERS.get(word, word))
    return words


def _readme_commands():
    for doc in DOCS:
        for command in _commands(doc.read_text(encoding="utf-8")):
            yield pytest.param(command, id=f"{doc.relative_to(ROOT)}: {command[:60]}")


@pytest.mark.parametrize("command", list(_readme_commands()))
def test_every_eai_command_in_the_docs_parses(command):
    parser = build_parser()
    argv = _argv(command)
    if len(argv) == 1:  # a command named in prose ("`eai report` writes ..."): it must exist
        argv = [*argv, "--help"]
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0 and argv[-1] == "--help":
            return
        pytest.fail(f"`{command}` does not parse as {argv} (exit {exc.code})")


def test_the_docs_show_commands_at_all():
    assert len(list(_readme_commands())) > 30


def test_the_docs_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "recipes/README.md", "bench/README.md", "eai_recipes/serving/README.md"} <= names
    assert not any("fixtures" in name for name in names)


def test_every_make_target_in_the_docs_exists():
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    targets = set(re.findall(r"`make ([a-z][a-z-]*)", text)) | set(re.findall(r"^make ([a-z][a-z-]*)", text, re.M))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    assert targets and targets <= defined, sorted(targets - defined)
    for target in targets:
        subprocess.run(["make", "-n", "-C", str(ROOT), target], check=True, capture_output=True)
