"""One batch of raw rows -> kept Alpaca lines (with their de-duplication keys) and rejects.

`process_batch` is pure (it touches no file and no shared state), so the build can run several at once;
everything that needs the whole picture (duplicates, decontamination, sampling) stays in build.py.
Work is columnar: the texts become Arrow arrays, `rules.screen` picks the few rows the full chain must see,
and the rest only meet the length rules.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eai_recipes.data import rules
from eai_recipes.data.loaders import Unparseable, parse_line
from eai_recipes.data.registry import Source
from eai_recipes.data.rules import RuleConfig
from eai_recipes.errors import EaiError

_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]  # json.dumps(str, ensure_ascii=False)
_STRING_TYPES = (pa.string(), pa.large_string())


@dataclass(frozen=True)
class Plan:
    """What processing needs to know about a source (small and picklable)."""

    key: str
    user_columns: tuple[str, ...]
    response_column: str
    history_column: str | None
    required: frozenset[str]
    allowed: frozenset[str]
    rules: RuleConfig
    system_json: str
    placeholders: tuple[tuple[str, str], ...] = ()  # filled in identity sources; a leftover one is an error
    screen: bool = True  # False sends every row through the full chain (tests compare both)

    @classmethod
    def for_source(cls, source: Source, system: str, placeholders: dict[str, str], *, screen: bool = True) -> Plan:
        return cls(
            key=source.key,
            user_columns=source.user_columns,
            response_column=source.response_column,
            history_column=source.history_column,
            required=frozenset(source.required_columns),
            allowed=frozenset(source.required_columns) | frozenset(source.ignore_columns),
            rules=source.rules,
            system_json=_encode(system),
            placeholders=tuple(placeholders.items()) if source.fill_placeholders else (),
            screen=screen,
        )


@dataclass
class BatchResult:
    rows: list[int] = field(default_factory=list)  # source row index of each kept row, ascending
    near: list[int] = field(default_factory=list)
    user: list[int] = field(default_factory=list)
    exact: list[int] = field(default_factory=list)
    lines: pa.Array = field(default_factory=lambda: pa.array([], pa.large_string()))
    rejected: list[tuple[int, str, str, Any]] = field(default_factory=list)  # row, rule, detail, the raw row
    touched: Counter = field(default_factory=Counter)

    @property
    def accounted(self) -> int:
        """Rows this result accounts for (kept + rejected). The build does not trust it as a count of rows
        read: it compares what the reader yielded with what it kept and rejected."""
        return len(self.rows) + len(self.rejected)


def alpaca_line(system_json: str, user: str, response: str) -> str:
    """One Alpaca row as JSON text, byte-identical to json.dumps(row, ensure_ascii=False)."""
    return (f'{{"system": {system_json}, "instruction": {_encode(user)}, "input": "", '
            f'"output": {_encode(response)}, "history": []}}')


def _history_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in ("", "[]", "null")
    try:
        return len(value) == 0
    except TypeError:
        return False


def _strip_surrogates(text: str, touched: Counter) -> str:
    """Lone surrogates (from a JSON escape like "\\ud800") cannot be stored as UTF-8 and carry nothing."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        touched[rules.UNICODE] += 1
        return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    return text


def extract(plan: Plan, record: Any) -> tuple[str, str] | tuple[None, str, str]:
    """The (user, response) texts of a record, or (None, rule, detail) when the record cannot be used."""
    if isinstance(record, Unparseable):
        return None, rules.PARSE_ERROR, record.reason
    if not isinstance(record, dict):
        return None, rules.WRONG_TYPE, f"record is {type(record).__name__}, expected an object"
    keys = set(record)
    if not keys >= plan.required or not keys <= plan.allowed:
        missing, extra = sorted(plan.required - keys), sorted(keys - plan.allowed)
        return None, rules.SCHEMA_MISMATCH, "; ".join(
            part for part in (f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else "") if part)
    texts = []
    for column in (*plan.user_columns, plan.response_column):
        value = record[column]
        if value is not None and not isinstance(value, str):
            return None, rules.WRONG_TYPE, f"column {column!r} is {type(value).__name__}, expected text"
        texts.append(value or "")
    if plan.history_column and not _history_empty(record[plan.history_column]):
        return None, rules.MULTI_TURN, f"column {plan.history_column!r} holds earlier turns"
    user = next((t for t in texts[:-1] if t.strip()), "")
    return user, texts[-1]


@dataclass
class _Columns:
    rows: np.ndarray
    users: pa.Array
    responses: pa.Array
    records: Any  # list of records, or the RecordBatch (rows are looked up only for rejects)

    def raw(self, pos: int) -> Any:
        if isinstance(self.records, pa.RecordBatch):
            return self.records.slice(pos, 1).to_pylist()[0]
        return self.records[pos]


def _columns_from_arrow(plan: Plan, start: int, batch: pa.RecordBatch) -> _Columns | None:
    """Vectorised extraction when every mapped column is text; None sends the batch down the per-row path."""
    names = batch.schema.names
    if plan.placeholders or plan.history_column or not set(names) >= plan.required or not set(names) <= plan.allowed:
        return None
    if any(batch.column(c).type not in _STRING_TYPES for c in (*plan.user_columns, plan.response_column)):
        return None
    user = None
    for column in plan.user_columns:  # the first non-empty column holds the user's words
        col = pc.fill_null(batch.column(column).cast(pa.large_string()), "")
        if user is None:
            user = col
        else:
            blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(user)), 0)
            user = pc.if_else(blank, col, user)
    response = pc.fill_null(batch.column(plan.response_column).cast(pa.large_string()), "")
    return _Columns(np.arange(start, start + batch.num_rows), user, response, batch)


def _columns_from_rows(plan: Plan, start: int, items: list, out: BatchResult) -> _Columns:
    rows, users, responses, records = [], [], [], []
    values = dict(plan.placeholders)
    for offset, item in enumerate(items):
        record = parse_line(item) if isinstance(item, bytes) else item
        got = extract(plan, record)
        if got[0] is None:
            raw = record.raw if isinstance(record, Unparseable) else record
            out.rejected.append((start + offset, got[1], got[2], raw))
            continue
        user, response = (_strip_surrogates(t, out.touched) for t in got)  # type: ignore[misc]
        if values:
            filled = rules.fill_placeholders(user, values), rules.fill_placeholders(response, values)
            if filled != (user, response):
                out.touched[rules.FILL_PLACEHOLDERS] += 1
                user, response = filled
        rows.append(start + offset)
        users.append(user)
        responses.append(response)
        records.append(record)
    return _Columns(np.array(rows, dtype=np.int64), rules.texts(users), rules.texts(responses), records)


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(idx, pa.int64()))


def process_batch(plan: Plan, start: int, items: list | pa.RecordBatch) -> BatchResult:
    out = BatchResult()
    cols = None
    if isinstance(items, pa.RecordBatch):
        cols = _columns_from_arrow(plan, start, items)
        if cols is None:
            items = items.to_pylist()
    if cols is None:
        cols = _columns_from_rows(plan, start, items, out)  # type: ignore[arg-type]
    cfg = plan.rules

    if plan.screen:
        flagged = rules.screen(cols.users, cfg) | rules.screen(cols.responses, cfg)
    else:
        flagged = np.ones(len(cols.rows), dtype=bool)
    slow, fast = np.flatnonzero(flagged), np.flatnonzero(~flagged)

    cleaned = rules.clean_batch(_take(cols.users, slow), _take(cols.responses, slow), cfg)
    out.touched.update(cleaned.touched_counts())
    fast_users, fast_responses = _take(cols.users, fast), _take(cols.responses, fast)
    drops = {int(slow[i]): d for i, d in cleaned.drops.items()}
    drops.update({int(fast[i]): d for i, d in rules.length_drops(fast_users, fast_responses, cfg).items()})
    for pos, (rule, detail) in drops.items():
        if rule == rules.PLACEHOLDER and plan.placeholders:
            raise EaiError(f"source '{plan.key}', row {cols.rows[pos]}: {detail}; the identity set may only use "
                           f"{', '.join('{{' + k + '}}' for k, _ in plan.placeholders)}")
        out.rejected.append((int(cols.rows[pos]), rule, detail, cols.raw(pos)))
    out.rejected.sort(key=lambda r: r[0])

    keep_slow = np.array([i for i in range(len(slow)) if i not in cleaned.drops], dtype=np.int64)
    keep_fast = np.array([i for i in range(len(fast)) if int(fast[i]) not in drops], dtype=np.int64)
    positions = np.concatenate([slow[keep_slow], fast[keep_fast]]) if len(slow) + len(fast) else np.zeros(0, int)
    order = np.argsort(positions, kind="stable")
    users = _take(pa.concat_arrays([_take(cleaned.users, keep_slow), _take(fast_users, keep_fast)]), order)
    responses = _take(pa.concat_arrays([_take(cleaned.responses, keep_slow), _take(fast_responses, keep_fast)]),
                      order)
    out.rows = cols.rows[positions[order]].tolist()
    out.near, out.user, out.exact = rules.batch_keys(users, responses)
    out.lines = rules.alpaca_lines(plan.system_json, users, responses)
    return out
