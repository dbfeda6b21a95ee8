"""Where each source's rows come from (a shipped sample, a local file or the hub) and how they are read.

Readers stream: they yield batches of raw rows (a JSON line still to parse, a parsed record, or an
`Unparseable` marker) so that a file of any size is read in constant memory and a bad row becomes a reject,
not a crash. The hub download is one thin function, `download_from_hub`; nothing else talks to the network.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eai_recipes.data.registry import FORMATS, Source
from eai_recipes.errors import EaiError

BATCH_ROWS = 32768
_JSON_CHUNK = 1 << 20


@dataclass(frozen=True)
class Unparseable:
    """A row that could not be read: why, and what there was of it (for rejects.jsonl)."""

    reason: str
    raw: Any = None


@dataclass(frozen=True)
class Located:
    source: Source
    origin: str  # sample | shipped | local-dir | hub
    files: tuple[Path, ...]
    names: tuple[str, ...]  # what the manifest shows: repository-relative or bare names, never machine paths
    commit: str | None = None  # the full commit a hub revision resolved to


# --- finding the files ---------------------------------------------------------------------------------------
def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def download_from_hub(source: Source, token: str | None, *, endpoint: str | None = None,
                      cache_dir: str | None = None) -> tuple[Path, ...]:
    """Fetch the pinned revision's files of a hub dataset (huggingface_hub's cache; token optional)."""
    from huggingface_hub import snapshot_download

    try:
        root = snapshot_download(
            repo_id=source.hub_id, repo_type="dataset", revision=source.revision,
            allow_patterns=list(source.hub_files), token=token or None, endpoint=endpoint, cache_dir=cache_dir,
        )
    except Exception as exc:  # noqa: BLE001 - any failure (network, gated repo, revision) becomes one message
        raise EaiError(
            f"source '{source.key}': could not download {source.hub_id} at revision {source.revision} from the "
            f"hub ({type(exc).__name__}: {redact(' '.join(str(exc).split()), token)[:300]}). "
            "A gated dataset needs a token in "
            f"$HF_TOKEN (or --token-env VAR); without the network, put the file in a folder as "
            f"{source.local_name}.<jsonl|json|csv|parquet> and use --local-dir, or use --offline"
        ) from None
    files = sorted({p for pattern in source.hub_files for p in Path(root).glob(pattern) if p.is_file()})
    files = [p for p in files if p.suffix.lstrip(".") in FORMATS]
    if not files:
        raise EaiError(f"source '{source.key}': {source.hub_id}@{source.revision} has no readable file matching "
                       f"{list(source.hub_files)}; fix hub_files in the registry")
    return tuple(files)


def hub_offline() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set to 1/on/yes/true, as huggingface_hub reads it."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def locate(source: Source, *, mode: str, info_dir: Path, local_dir: Path | None = None, token: str | None = None,
           fetch: Callable[..., tuple[Path, ...]] = download_from_hub,
           log: Callable[[str], None] | None = None) -> Located:
    """mode: 'offline' (shipped samples), 'local' (DIR/<local_name>.<ext>, else the shipped file or the hub:
    a hub download says so, and fails under HF_HUB_OFFLINE=1) or 'hub'."""
    if mode == "local" and local_dir is not None:
        found = [local_dir / f"{source.local_name}.{ext}" for ext in FORMATS]
        found = [p for p in found if p.is_file()]
        if len(found) > 1:
            raise EaiError(f"source '{source.key}': several local files in --local-dir: "
                           f"{', '.join(p.name for p in found)}; keep one")
        if found:
            return Located(source, "local-dir", (found[0],), (found[0].name,))
        if not source.file:
            return _from_hub_instead(source, local_dir, token, fetch, log)
    if source.file:
        path = info_dir / source.file
        if not path.is_file():
            raise EaiError(f"source '{source.key}': shipped file {path} is missing (registry key "
                           f"sources.{source.key}.file)")
        return Located(source, "shipped", (path,), (f"dataset_info/{source.file}",))
    if mode == "offline":
        if not source.sample:
            raise EaiError(f"source '{source.key}': no offline sample; add 'sample:' to sources.{source.key} in "
                           f"{info_dir / 'sources.yaml'}, or disable the source (enabled: false)")
        path = info_dir / source.sample
        if not path.is_file():
            raise EaiError(f"source '{source.key}': sample file {path} is missing (registry key "
                           f"sources.{source.key}.sample)")
        return Located(source, "sample", (path,), (f"dataset_info/{source.sample}",))
    if log:
        log(f"data: {source.key}: downloading {source.hub_id} at revision {source.revision} from the hub")
    return _located_on_hub(source, fetch(source, token))


def _from_hub_instead(source: Source, local_dir: Path, token: str | None, fetch: Callable[..., tuple[Path, ...]],
                      log: Callable[[str], None] | None) -> Located:
    """--local-dir without this source's file: download it, saying so; under HF_HUB_OFFLINE=1, or when the
    download fails, an error that names the file it looked for."""
    wanted = f"{source.local_name}.<{'|'.join(FORMATS)}>"
    missing = f"source '{source.key}': no {wanted} in --local-dir {local_dir}"
    if hub_offline():
        raise EaiError(f"{missing}, and HF_HUB_OFFLINE is set, so it is not downloaded from the hub. Put the "
                       f"source's file there (e.g. {local_dir / (source.local_name + '.jsonl')}), unset "
                       f"HF_HUB_OFFLINE to download {source.hub_id}, or switch the source off "
                       f"(sources.{source.key}.enabled: false)")
    if log:
        log(f"data: {source.key}: no {wanted} in --local-dir {local_dir}: downloading {source.hub_id} at revision "
            f"{source.revision} from the hub instead (set HF_HUB_OFFLINE=1 to forbid downloads)")
    try:
        files = fetch(source, token)
    except EaiError as exc:
        reason = str(exc).removeprefix(f"source '{source.key}': ")
        raise EaiError(f"{missing}, and the hub download it fell back to failed: {reason}") from None
    return _located_on_hub(source, files)


def _located_on_hub(source: Source, files: tuple[Path, ...]) -> Located:
    parts = [p.parts for p in files]
    # huggingface_hub's cache keeps files under .../snapshots/<commit>/<path in the repository>
    where = [ps.index("snapshots") if "snapshots" in ps[:-1] else None for ps in parts]
    names = tuple("/".join(ps[i + 2:]) if i is not None and len(ps) > i + 2 else ps[-1] for ps, i in zip(parts, where))
    commit = parts[0][where[0] + 1] if where and where[0] is not None else None
    return Located(source, "hub", files, names, commit)


# --- reading ------------------------------------------------------------------------------------------------
def file_format(path: Path) -> str:
    ext = path.suffix.lstrip(".").lower()
    if ext not in FORMATS:
        raise EaiError(f"{path.name}: cannot read .{ext} files; use one of {', '.join(FORMATS)}")
    if ext == "json" and _first_char(path) != "[":
        return "jsonl"  # a .json file holding one object per line (as some hub datasets do)
    return ext


def _first_char(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        while True:
            chunk = f.read(4096)
            if not chunk:
                return ""
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0]


def read_columns(path: Path) -> list[str]:
    """The columns a file declares (header, schema) or, for JSON, the keys of its first object."""
    fmt = file_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            return next(csv.reader(f), [])
    for _, items in iter_batches(path, batch_rows=64):
        for item in items if isinstance(items, list) else items.to_pylist():
            record = parse_line(item) if isinstance(item, bytes) else item
            if isinstance(record, dict):
                return list(record)
    return []


def parse_line(line: bytes) -> dict | list | Unparseable | Any:
    try:
        return json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return Unparseable(f"not valid JSON: {exc}", line.decode("utf-8", errors="replace").rstrip("\r\n"))
    except RecursionError:
        return Unparseable("JSON nested too deeply to read", line.decode("utf-8", errors="replace").rstrip("\r\n"))


def iter_batches(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, list]]:
    """Yield (index of the first row, rows) for one file. Rows are a list whose items are bytes (a JSON line,
    parsed later, in parallel), parsed records or Unparseable; for parquet, an Arrow RecordBatch. Blank lines
    are not rows."""
    fmt = file_format(path)
    reader = {"jsonl": _jsonl_rows, "json": _json_array_rows, "csv": _csv_rows, "parquet": _parquet_batches}[fmt]
    start = 0
    for items in reader(path, batch_rows):
        if items:
            yield start, items
            start += len(items)


def _jsonl_rows(path: Path, batch_rows: int) -> Iterator[list]:
    batch: list = []
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            if n == 0 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            batch.append(line)
            if len(batch) >= batch_rows:
                yield batch
                batch = []
    yield batch


def _json_array_rows(path: Path, batch_rows: int) -> Iterator[list]:
    """Stream the elements of a top-level JSON array without loading the whole file. An element that parses
    is a row whatever it holds (a non-object or a non-text field becomes a reject later, as in JSON Lines;
    invalid UTF-8 inside an element is an `Unparseable` row); a file that is not a valid JSON array cannot be
    split into rows and is an error naming the file and the line."""
    decoder = json.JSONDecoder()
    batch: list = []
    # surrogateescape: invalid UTF-8 bytes become lone surrogates, which a JSON escape ("\ud800") never
    # leaves in the raw text, so an element holding one had bytes that were not UTF-8
    with open(path, encoding="utf-8-sig", errors="surrogateescape") as f:
        buf, pos, eof, n = "", 0, False, 0
        line0 = 1  # the line of the file where buf starts
        undecodable = False  # set once a chunk held invalid UTF-8: from then on elements are checked

        def fill(more: bool = False) -> None:
            """Keep at least a chunk ahead of `pos` (or read one more chunk when `more`)."""
            nonlocal buf, pos, eof, line0, undecodable
            if pos > _JSON_CHUNK:
                line0 += buf.count("\n", 0, pos)
                buf, pos = buf[pos:], 0
            while not eof and (more or len(buf) - pos < _JSON_CHUNK):
                chunk = f.read(_JSON_CHUNK)
                eof = not chunk
                if not undecodable and not chunk.isascii() and _has_surrogate(chunk):
                    undecodable = True
                buf += chunk
                if more:
                    return

        def skip_ws() -> None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) or eof:
                    return
                fill()

        def fail(what: str, at: int) -> EaiError:
            at = min(at, len(buf))
            line = line0 + buf.count("\n", 0, at)
            column = at - buf.rfind("\n", 0, at)
            return EaiError(f"{path.name}: not a valid JSON array ({what} at line {line}, column {column}, in "
                            f"element {n + 1}); the file cannot be split into rows, so the build stops. Fix "
                            f"the file, or convert it to JSON Lines (one object per line), where a bad line "
                            f"becomes a reject on its own")

        fill()
        skip_ws()
        if pos >= len(buf) or buf[pos] != "[":
            raise fail("expected '['", pos)
        pos += 1
        while True:
            skip_ws()
            if pos < len(buf) and buf[pos] == "]" and n == 0:
                break
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if eof:
                        raise fail(exc.msg, exc.pos) from None
                    fill(more=True)  # the element may run past the window
                except RecursionError:
                    raise fail("an element nested too deeply to read", pos) from None
            if undecodable and _has_surrogate(buf[pos:end]):
                obj = Unparseable("not valid UTF-8", buf[pos:end].encode("utf-8", "surrogateescape").decode(
                    "utf-8", "replace"))
            pos = end
            n += 1
            batch.append(obj)
            if len(batch) >= batch_rows:
                yield batch
                batch = []
            fill()
            skip_ws()
            if pos < len(buf) and buf[pos] == ",":
                pos += 1
            elif pos < len(buf) and buf[pos] == "]":
                break
            else:
                raise fail("expected ',' or ']' after an element", pos)
        pos += 1
        skip_ws()
        if pos < len(buf):
            raise fail("text after the closing ']'", pos)
    yield batch


def _csv_rows(path: Path, batch_rows: int) -> Iterator[list]:
    csv.field_size_limit(1 << 26)
    batch: list = []
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                batch.append(Unparseable(f"CSV: {exc} (line {reader.line_num})"))
                continue
            if not row or (len(row) == 1 and not row[0].strip() and len(header) > 1):
                continue
            if len(row) != len(header):
                batch.append(Unparseable(f"CSV row has {len(row)} fields, the header has {len(header)}", row))
            elif any(_has_surrogate(v) for v in row):
                batch.append(Unparseable("not valid UTF-8", [v.encode("utf-8", "surrogateescape").decode(
                    "utf-8", "replace") for v in row]))
            else:
                batch.append(dict(zip(header, row)))
            if len(batch) >= batch_rows:
                yield batch
                batch = []
    yield batch


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parquet_batches(path: Path, batch_rows: int) -> Iterator:
    """Arrow record batches: processing stays columnar (parquet has one schema, so no row can be malformed)."""
    import pyarrow.parquet as pq

    yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)


def count_and_parse(path: Path) -> int:
    """Read every row of a file into a Python record and keep nothing: the "read and parse" baseline of the
    benchmark (parquet rows become dicts, JSON lines are decoded, CSV rows split)."""
    n = 0
    for _, items in iter_batches(path):
        if not isinstance(items, list):
            items = items.to_pylist()
        for item in items:
            if isinstance(item, bytes):
                parse_line(item)
            n += 1
    return n
