"""Crisis resources: the one source (resources.yaml), locales, validation, the crisis reply and the footer."""

from __future__ import annotations

from pathlib import Path

import pytest

from eai_recipes import safety
from eai_recipes.errors import EaiError


def test_resources_per_locale():
    us = safety.resources("US")
    assert us[0]["contact"].startswith("Call or text 988") and us[0]["url"].startswith("https://")
    assert safety.resources("en-US") == safety.resources("en_US") == us
    gb = safety.resources("en-GB")
    assert gb == safety.resources("UK") == safety.resources("gb")
    assert "116 123" in gb[0]["contact"]
    assert all(set(r) == {"name", "contact", "url"} for r in gb)


@pytest.mark.parametrize("locale", [None, "", "xx-YY", "Klingon", "en"])
def test_unknown_locale_gets_the_international_default(locale):
    default = safety.resources(locale)
    assert default == safety.resources("international")
    assert any("findahelpline.com" in (r["url"] or "") for r in default)
    assert any("emergency" in r["contact"].lower() for r in default)


def _write_resources(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "resources.yaml"
    path.write_text(text)
    return path


VALID = """
default: international
locales:
  international:
    resources:
      - {name: Help, contact: Call 1}
"""


@pytest.mark.parametrize("text,message", [
    ("default: [oops\n", "not valid YAML"),
    ("- a list\n", "must be a mapping with keys `default` and `locales`"),
    (VALID.replace("default: international", "default: mars"), "default: 'mars' is not one of the locales"),
    (VALID.replace("{name: Help, contact: Call 1}", "{contact: Call 1}"),
     r"locales\.international\.resources\[0\]\.name: missing"),
    (VALID.replace("{name: Help, contact: Call 1}", "{name: Help, contact: ''}"),
     r"locales\.international\.resources\[0\]\.contact: missing or empty"),
    (VALID.replace("contact: Call 1}", "contact: Call 1, url: 'http://x'}"),
     r"locales\.international\.resources\[0\]\.url: must be an https:// address"),
    (VALID.replace("contact: Call 1}", "contact: Call 1, phone: 1}"), r"unknown key\(s\) \['phone'\]"),
    (VALID.replace("    resources:\n      - {name: Help, contact: Call 1}", "    resources: []"),
     r"locales\.international\.resources: must be a non-empty list"),
    ("default: international\nlocales: {}\n", "locales: must be a non-empty mapping"),
])
def test_malformed_resources_name_file_and_key(tmp_path, text, message):
    path = _write_resources(tmp_path, text)
    with pytest.raises(EaiError, match=message) as info:
        safety.resources("US", path)
    assert str(path) in str(info.value) or "resources.yaml" in str(info.value)


def test_missing_resources_file(tmp_path):
    with pytest.raises(EaiError, match="crisis resources file not found"):
        safety.resources(None, tmp_path / "nope.yaml")


def test_resources_file_is_reloaded_when_it_changes(tmp_path):
    path = _write_resources(tmp_path, VALID)
    assert safety.resources(None, path)[0]["name"] == "Help"
    path.write_text(VALID.replace("name: Help", "name: Other help"))
    import os
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert safety.resources(None, path)[0]["name"] == "Other help"


def test_shipped_resources_file_is_valid_and_complete():
    table = safety.load_resources()
    assert table["default"] == "INTERNATIONAL"
    assert {"US", "GB", "INTERNATIONAL"} <= set(table["locales"])


# --------------------------------------------------------------------------------------------- reply


@pytest.mark.parametrize("category", [None, *safety.CATEGORIES])
def test_crisis_reply_is_warm_and_carries_the_resources(category):
    reply = safety.crisis_reply("US", category)
    for r in safety.resources("US"):
        assert r["name"] in reply and r["contact"] in reply
    assert reply.startswith("Thank you") and "emergency" in reply
    assert "you don't have to" in reply


def test_crisis_reply_default_and_bad_category():
    assert "findahelpline.com" in safety.crisis_reply()
    with pytest.raises(ValueError):
        safety.crisis_reply("US", "sadness")


