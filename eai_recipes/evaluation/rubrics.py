"""Rubrics and judge profiles (recipes/judge/): loading and checking them, rendering a rubric into a judge's
prompt, and parsing the judge's reply strictly against the output schema the rubric implies.

A rubric is data (name, version, instructions, dimensions with a scale and an anchor for every value). Its
output schema is derived, never written by hand: a JSON object with exactly one key per dimension id whose value
is one of that dimension's scale values. The parser accepts that object and nothing looser: a reply that is not
one JSON object, misses a key, adds one, or gives a value off the scale is *unparsable*, with the reason. The
one leniency is where the object sits: a judge that wraps it in prose or a ```json fence still answered, so
the single top-level object is taken from the text; two objects, or none, are unparsable (we never pick one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from eai_recipes import paths
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError

JUDGE_DIR = paths.RECIPES_DIR / "judge"
JUDGE_PROFILES_DIR = JUDGE_DIR / "profiles"
PAIRWISE_SCALE = ("A", "B", "tie")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

ScaleValue = int | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Strict):
    id: str
    name: str
    question: str
    scale: list[ScaleValue] = Field(min_length=2)
    # None: a category with no better end (e.g. medical advice yes/no/unsure); pairwise mode skips it.
    higher_is_better: bool | None = None
    anchors: dict[ScaleValue, str]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("must be lowercase letters, digits and underscores, starting with a letter")
        return v

    @field_validator("scale", mode="before")
    @classmethod
    def _no_booleans(cls, v: Any) -> Any:
        # Checked before pydantic coerces: YAML reads an unquoted yes/no as a boolean, which would become 1/0.
        if isinstance(v, list) and any(isinstance(x, bool) for x in v):
            raise ValueError('booleans are not scale values; quote them ("yes", "no")')
        return v

    @field_validator("scale")
    @classmethod
    def _scale_shape(cls, v: list[ScaleValue]) -> list[ScaleValue]:
        if len(set(map(repr, v))) != len(v):
            raise ValueError("values must be unique")
        if not (all(isinstance(x, int) for x in v) or all(isinstance(x, str) for x in v)):
            raise ValueError("must be all integers or all strings")
        return v

    @model_validator(mode="after")
    def _anchors_match_scale(self) -> Dimension:
        scale = {repr(x) for x in self.scale}
        anchors = {repr(x) for x in self.anchors}
        if scale != anchors:
            raise ValueError(f"anchors must describe exactly the scale values {self.scale}; "
                             f"missing {sorted(scale - anchors)}, extra {sorted(anchors - scale)}")
        if self.higher_is_better is not None and not self.numeric:
            raise ValueError("higher_is_better applies to a numeric scale only")
        return self

    @property
    def numeric(self) -> bool:
        return all(isinstance(x, int) for x in self.scale)


class Rubric(_Strict):
    name: str
    version: int | str
    description: str
    instructions: str
    dimensions: list[Dimension] = Field(min_length=1)
    # Rubric dimension id -> humaneval item id (eai_recipes/humaneval/items.py), for `eai judge calibrate`.
    humaneval_map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        ids = [d.id for d in self.dimensions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"dimension ids must be unique, got {ids}")
        unknown = sorted(set(self.humaneval_map) - set(ids))
        if unknown:
            raise ValueError(f"humaneval_map names unknown dimension(s) {unknown}; dimensions: {ids}")
        return self

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def dimension(self, dim_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dim_id:
                return d
        raise KeyError(dim_id)

    def schema(self) -> dict[str, list[ScaleValue]]:
        """The output schema: dimension id -> allowed values."""
        return {d.id: list(d.scale) for d in self.dimensions}

    def pairwise_dimensions(self) -> list[Dimension]:
        return [d for d in self.dimensions if d.higher_is_better is not None]


class Decoding(_Strict):
    do_sample: bool = False
    temperature: float = Field(default=0.0, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_new_tokens: int = Field(default=128, ge=8)
    repetition_penalty: float = Field(default=1.0, ge=1, le=2)
    seed: int = 0


class JudgeProfile(_Strict):
    description: str
    model: str
    adapter: str | None = None
    template: str
    backend: Literal["huggingface", "vllm"] = "huggingface"
    batch_size: int = Field(default=8, ge=1)
    cutoff_len: int = Field(default=4096, ge=256)
    trust_remote_code: bool = False
    rubric: str = "counselbench_v1"
    decoding: Decoding = Decoding()
    name: str = ""  # filled in from the file name

    @property
    def label(self) -> str:
        return self.model + (f" + {self.adapter}" if self.adapter else "")


def _pydantic_problem(path: Path, exc: ValidationError, what: str) -> EaiError:
    """One line per problem: the key path in the file, what is wrong, and (for an unknown key) what is allowed."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing key"
        lines.append(f"  {loc}: {msg}")
    return EaiError(f"{path}: not a valid {what}:\n" + "\n".join(lines) + "\n(the keys are described in "
                    "eai_recipes/evaluation/README.md)")


def _resolve(name_or_path: str, folder: Path, kind: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    candidate = folder / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    known = ", ".join(sorted(x.stem for x in folder.glob("*.yaml"))) or "none"
    raise EaiError(f"{kind} {name_or_path!r}: no file {candidate}; known: {known}")


def load_rubric(name_or_path: str | Path) -> Rubric:
    path = _resolve(str(name_or_path), JUDGE_DIR, "rubric")
    data = load_yaml_mapping(path)
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_problem(path, exc, "rubric") from None


def load_judge_profile(name_or_path: str | Path) -> JudgeProfile:
    path = _resolve(str(name_or_path), JUDGE_PROFILES_DIR, "judge profile")
    data = load_yaml_mapping(path)
    try:
        return JudgeProfile.model_validate({**data, "name": path.stem})
    except ValidationError as exc:
        raise _pydantic_problem(path, exc, "judge profile") from None


# ------------------------------------------------------------------------------------------- rendering


def _value(v: ScaleValue) -> str:
    return json.dumps(v)  # what the judge must write: 3, or "yes" with its quotes


def _schema_line(keys: list[tuple[str, list[ScaleValue]]]) -> str:
    parts = [f'"{k}": <one of {", ".join(_value(v) for v in scale)}>' for k, scale in keys]
    return "{" + ", ".join(parts) + "}"


def render_dimensions(dims: list[Dimension]) -> str:
    blocks = []
    for d in dims:
        lines = [f"[{d.id}] {d.name}: {d.question}"]
        lines += [f"  {_value(v)}: {d.anchors[v]}" for v in d.scale]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def system_prompt(rubric: Rubric) -> str:
    return rubric.instructions.strip()


def render_single(rubric: Rubric, *, question: str, answer: str, reference: str | None = None) -> str:
    """The user turn of a single-answer judgment: the dimensions with anchors, the exchange, the schema."""
    parts = [f"Rubric ({rubric.label}):\n\n{render_dimensions(rubric.dimensions)}",
             f"The user's message:\n<<<\n{question.strip()}\n>>>"]
    if reference:
        parts.append(f"A reference answer by a human counsellor (one reasonable reply, not the only one):\n<<<\n"
                     f"{reference.strip()}\n>>>")
    parts.append(f"The chatbot's answer to judge:\n<<<\n{answer.strip()}\n>>>")
    parts.append("Reply with exactly this JSON object and nothing else:\n" + _schema_line(
        [(d.id, d.scale) for d in rubric.dimensions]))
    return "\n\n".join(parts)


def render_pairwise(rubric: Rubric, *, question: str, first: str, second: str) -> str:
    """The user turn of a pairwise judgment: which answer is better on each dimension with a better end."""
    dims = rubric.pairwise_dimensions()
    lines = []
    for d in dims:
        better = "higher" if d.higher_is_better else "lower (less of it is better)"
        lines.append(f"[{d.id}] {d.name}: {d.question} The better answer is the one that would score {better}.")
    parts = [f"Rubric ({rubric.label}), compare two answers on each dimension:\n\n" + "\n".join(lines),
             f"The user's message:\n<<<\n{question.strip()}\n>>>",
             f"Answer A:\n<<<\n{first.strip()}\n>>>", f"Answer B:\n<<<\n{second.strip()}\n>>>",
             "For each dimension write \"A\" if answer A is better, \"B\" if answer B is better, \"tie\" if neither. "
             "Reply with exactly this JSON object and nothing else:\n" + _schema_line(
                 [(d.id, list(PAIRWISE_SCALE)) for d in dims])]
    return "\n\n".join(parts)


def render_conversation(rubric: Rubric, turns: list[dict[str, str]]) -> str:
    """The user turn judging a whole conversation: the chatbot's side, taken as a whole, on every dimension."""
    shown = "\n".join(f"{'USER' if t['role'] == 'user' else 'CHATBOT'}: {t['content'].strip()}" for t in turns)
    return "\n\n".join([
        f"Rubric ({rubric.label}):\n\n{render_dimensions(rubric.dimensions)}",
        "Judge the chatbot's replies in this whole conversation, taken together:\n<<<\n" + shown + "\n>>>",
        "Reply with exactly this JSON object and nothing else:\n" + _schema_line(
            [(d.id, d.scale) for d in rubric.dimensions]),
    ])


def retry_prompt(prompt: str, reply: str, problem: str) -> str:
    """The second and last try: the same task, with the first reply and why it could not be read. Greedy
    decoding would repeat itself on the same input; the stated problem is what changes the input."""
    shown = reply.strip()[:400] or "(empty)"
    return (f"{prompt}\n\nYour previous reply could not be read ({problem}):\n<<<\n{shown}\n>>>\n"
            "Answer again with only the JSON object, every key once, each value one of those allowed.")


# --------------------------------------------------------------------------------------------- parsing


def _objects(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level {...} blocks in text (braces inside JSON strings are skipped)."""
    spans, depth, start, in_str, esc = [], 0, -1, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def parse_judgment(text: str, schema: dict[str, list[ScaleValue]]) -> tuple[dict[str, ScaleValue] | None, str]:
    """(scores, "") for a reply that holds exactly one JSON object matching the schema, else (None, reason).

    Strict on content: every key of the schema, no other key, every value one of its scale's values with its
    type (3 for an integer scale, "yes" for a string scale; "3" and 3.0 are off the scale). Lenient only on
    where the one object sits (prose or a code fence around it)."""
    spans = _objects(text)
    if not spans:
        return None, "no JSON object"
    if len(spans) > 1:
        return None, f"{len(spans)} JSON objects; expected exactly one"
    a, b = spans[0]
    try:
        obj = json.loads(text[a:b])
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg})"
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    missing = [k for k in schema if k not in obj]
    extra = [k for k in obj if k not in schema]
    if missing or extra:
        why = []
        if missing:
            why.append(f"missing key(s) {missing}")
        if extra:
            why.append(f"unexpected key(s) {extra}")
        return None, "; ".join(why)
    out: dict[str, ScaleValue] = {}
    for key, scale in schema.items():
        value = obj[key]
        # bool is an int in Python: true must not pass for 1.
        ok = any(type(value) is type(v) and value == v for v in scale)
        if not ok:
            return None, f"{key}: {json.dumps(value)} is not one of {[json.loads(_value(v)) for v in scale]}"
        out[key] = value
    return out, ""
