"""Jinja2 templates shipped with the package (package data): the report page, the model card, the
questionnaire form. Kept as .j2 files so a page can be read and edited without reading Python."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template


@cache
def _environment(autoescape: bool) -> Environment:
    # StrictUndefined: a value the code forgot to pass is an error, not an empty gap in a page.
    return Environment(loader=PackageLoader("eai_recipes", "templates"), autoescape=autoescape,
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=True)


def get(name: str, *, autoescape: bool = True) -> Template:
    """A template of this folder by file name, e.g. get("report.html.j2")."""
    return _environment(autoescape).get_template(name)
