"""config.py: one reader for YAML/JSON, and the one formatter of schema errors (file, line, key, allowed)."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from eai_recipes.config import ConfigModel, load_model
from eai_recipes.errors import EaiError


class Inner(ConfigModel):
    size: int = Field(description="a whole number of rows")


class Outer(ConfigModel):
    mode: Literal["fast", "exact"] = "exact"
    inner: Inner
    items: list[Inner] = Field(default_factory=list)


def _problems(path, text: str, model: type[BaseModel] = Outer) -> list[str]:
    path.write_text(text)
    with pytest.raises(EaiError) as err:
        load_model(path, model)
    return str(err.value).splitlines()


def test_each_problem_names_file_line_key_and_what_is_allowed(tmp_path):
    path = tmp_path / "c.yaml"
    problems = _problems(path, "mode: quick\ninner:\n  size: many\nitems:\n  - {size: 1}\n  - {sise: 2}\n")
    by_key = {p.split("key '")[1].split("'")[0]: p for p in problems}
    assert by_key["mode"].startswith(f"{path}:1: ") and "'fast'" in by_key["mode"] and "'exact'" in by_key["mode"]
    assert by_key["inner.size"].startswith(f"{path}:3: ") and "whole number of rows" in by_key["inner.size"]
    assert by_key["items[1].sise"].startswith(f"{path}:6: ") and "allowed: size" in by_key["items[1].sise"]
    assert by_key["items[1].size"].startswith(f"{path}:6: ") and "missing" in by_key["items[1].size"]


def test_a_missing_key_says_what_is_expected(tmp_path):
    (problem,) = _problems(tmp_path / "c.yaml", "mode: fast\n")
    assert "'inner'" in problem and "missing" in problem


def test_json_files_get_lines_too(tmp_path):
    path = tmp_path / "c.json"
    (problem,) = _problems(path, '{\n  "inner": {\n    "size": "x"\n  }\n}\n')
    assert problem.startswith(f"{path}:3: ") and "'inner.size'" in problem


def test_a_top_level_that_is_not_a_mapping_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    (problem,) = _problems(path, "- 1\n- 2\n")
    assert str(path) in problem and "mapping" in problem
