"""`eai data build`: registry -> cleaned, de-duplicated, decontaminated Alpaca files for LLaMA-Factory.

The flow: validate everything cheap first (registry, parameters, file locations, every source's columns),
then stream each source through `process.process_batch` (in worker processes for big files), keep the
training set free of duplicates, drop validation rows whose question is in the training set, draw the
validation sample (seeded, order-independent), and write the outputs with a manifest that accounts for every
row read. Outputs are written to a scratch folder and moved into place only when the build succeeds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import json
import os
import queue
import shutil
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eai_recipes import __version__, paths
from eai_recipes.data import rules
from eai_recipes.data.identity_set import (
    check_no_placeholder,
    humaneval_rows,
    placeholder_values,
)
from eai_recipes.data.loaders import Located, iter_batches, locate, read_columns
from eai_recipes.data.preference import build_preference, locate_preference
from eai_recipes.data.process import BatchResult, Plan, process_batch
from eai_recipes.data.registry import Source, load_registry
from eai_recipes.data.rules import has_placeholder
from eai_recipes.errors import EaiError
from eai_recipes.identity import DEFAULT_AUTHOR, DEFAULT_NAME, system_prompt

TRAIN, VAL, HUMANEVAL = "eai_train", "eai_val", "eai_humaneval"
SOURCES_DIR = "sources"
DATASET_INFO_TEMPLATE = "dataset_info.json.j2"
HUMANEVAL_QUESTIONS = "humaneval_questions.json"
PARALLEL_MIN_BYTES = 16 << 20  # below this a source is processed in-process: starting workers costs more
_MASK = (1 << 64) - 1


# --- small helpers --------------------------------------------------------------------------------------------
class _Writer:
    """Streams rows to a JSON list (one row per line) or a JSON Lines file. Writing and hashing happen on a
    background thread (both release the GIL), so they overlap with the cleaning of the next batch."""

    def __init__(self, path: Path, *, jsonl: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.jsonl, self.rows = path, jsonl, 0
        self._f = open(path, "wb")  # noqa: SIM115 - open for the writer's lifetime, closed by close()/abort()
        self._sha = hashlib.sha256()
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name=f"write-{path.name}", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is None:
                try:
                    self._f.write(data)
                    self._sha.update(data)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread by close()
                    self._error = exc

    def _put(self, data: bytes | memoryview) -> None:
        self._queue.put(data)

    def add(self, lines: list[str]) -> None:
        if not lines:
            return
        if self.jsonl:
            text = "\n".join(lines) + "\n"
        else:
            text = ("[\n" if self.rows == 0 else ",\n") + ",\n".join(lines)
        self._put(text.encode("utf-8"))
        self.rows += len(lines)

    def add_array(self, lines: pa.Array) -> None:
        """Write an Arrow array of lines straight from its buffer (no Python string per row)."""
        if self.jsonl or len(lines) == 0:
            self.add(lines.to_pylist())
            return
        sep, empty = pa.scalar(",\n", pa.large_string()), pa.scalar("", pa.large_string())
        joined = pc.binary_join_element_wise(sep, lines.cast(pa.large_string()), empty).cast(pa.large_binary())
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset:joined.offset + len(joined) + 1]
        data = memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]]  # keeps the buffer alive until written
        if self.rows == 0:
            self._put(b"[")
            data = data[1:]  # the first row has no comma before it
        self._put(data)
        self.rows += len(lines)

    def close(self) -> dict:
        if not self.jsonl:
            self._put(b"\n]\n" if self.rows else b"[]\n")
        self._stop()
        if self._error is not None:
            raise EaiError(f"could not write {self.path}: {self._error}")
        return {"rows": self.rows, "sha256": self._sha.hexdigest()}

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._f.close()

    def abort(self) -> None:
        """Stop without finishing the file (the build failed; its folder is removed)."""
        if self._thread.is_alive():
            while not self._queue.empty():  # drop what was not written yet
                self._queue.get_nowait()
        self._stop()


class _JsonText(str):
    """A row that is already JSON text (a cleaned output row), to embed in rejects.jsonl without re-encoding."""


def _priorities(near_keys: list[int], seed: int) -> np.ndarray:
    """A seeded 64-bit shuffle of each row's key (splitmix64): the validation draw keeps the lowest ones, so
    the sample depends only on the seed and the rows, not on their order or on how batches were split."""
    z = np.array(near_keys, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z ^ np.uint64(((seed + 1) * 0x9E3779B97F4A7C15) & _MASK)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class _BottomK:
    def __init__(self, k: int) -> None:
        self.k, self._heap = k, []  # max-heap on priority via negation

    def wants(self, priority: int) -> bool:
        return self.k > 0 and (len(self._heap) < self.k or -priority > self._heap[0][0])

    def threshold(self) -> int:
        """Rows with a priority at or above this cannot get in."""
        if self.k <= 0:
            return 0
        return _MASK if len(self._heap) < self.k else -self._heap[0][0]

    def offer(self, priority: int, item: tuple) -> None:
        if not self.wants(priority):
            return
        entry = (-priority, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        else:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list[tuple]:
        return sorted(item for _, item in self._heap)


class _Progress:
    """Counts only, never row text: user text is not logged."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log, self._last = log, time.monotonic()

    def tick(self, key: str, read: int, started: float) -> None:
        now = time.monotonic()
        if now - self._last >= 2.0:
            self._last = now
            rate = read / max(now - started, 1e-9)
            self.log(f"data:   {key}: {read:,} rows read ({rate:,.0f} rows/s)")


def check_placeholders(lines: pa.Array) -> bool:
    """True when any output line still holds a {{placeholder}} (a build error, never a training example)."""
    return bool(has_placeholder(lines).any())


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _batches(located: Located) -> Iterator[tuple[int, int, list | pa.RecordBatch]]:
    """(index of the first row, rows in the batch, the batch) over a source's files. The row count is taken
    here, as the reader hands the batch over, so that the build can check that processing accounted for
    every row (kept + rejected) against a count it did not compute itself."""
    offset = 0
    for path in located.files:
        try:
            for _, items in iter_batches(path):
                n = items.num_rows if isinstance(items, pa.RecordBatch) else len(items)
                yield offset, n, items
                offset += n
        except EaiError as exc:  # a file that cannot be read (not a valid JSON array ...): say whose it is
            raise _of_source(located, exc) from None


def _of_source(located: Located, exc: EaiError) -> EaiError:
    prefix = f"source '{located.source.key}': "
    return exc if str(exc).startswith(prefix) else EaiError(prefix + str(exc))


def _results(plan: Plan, located: Located, pool: Executor | None, workers: int) -> Iterator[tuple[int, BatchResult]]:
    """(rows read, result) per batch, in file order. With a pool of worker processes a few batches are in
    flight at once; the bound keeps memory flat however big the file."""
    if pool is None:
        for start, n, items in _batches(located):
            yield n, process_batch(plan, start, items)
        return
    pending: deque = deque()
    for start, n, items in _batches(located):
        pending.append((n, pool.submit(process_batch, plan, start, items)))
        if len(pending) >= 2 * workers:
            n_read, future = pending.popleft()
            yield n_read, future.result()
    while pending:
        n_read, future = pending.popleft()
        yield n_read, future.result()


def check_accounted(key: str, read: int, kept: int, rejected: int) -> None:
    """Nothing lost: the rows the reader yielded must equal the rows kept plus the rows rejected."""
    if read != kept + rejected:
        diff = read - kept - rejected
        rows = f"{abs(diff)} row{'s' if abs(diff) != 1 else ''}"
        what = f"{rows} lost" if diff > 0 else f"{rows} counted twice"
        raise EaiError(f"source '{key}': read {read} rows from its files but kept {kept} + rejected {rejected} = "
                       f"{kept + rejected} ({what}). This is a bug in the build (please report it); the previous "
                       f"outputs are left as they were")


# --- checks before any work -----------------------------------------------------------------------------------
def check_schema(located: Located) -> None:
    """Stop when a file's columns are not the mapped ones plus the optional ignored ones."""
    source = located.source
    required, optional = list(source.required_columns), list(source.ignore_columns)
    for path, name in zip(located.files, located.names):
        try:
            found = read_columns(path)
        except EaiError as exc:
            raise _of_source(located, exc) from None
        missing = [c for c in required if c not in found]
        unexpected = [c for c in found if c not in required and c not in optional]
        if not missing and not unexpected:
            continue
        mapping = f"user={'|'.join(source.user_columns)}, response={source.response_column}"
        if source.history_column:
            mapping += f", history={source.history_column}"
        raise EaiError(
            f"source '{source.key}' ({source.title}, file {name}): the columns differ from the registry "
            f"(schema confidence: {source.schema}). Expected: {', '.join(required)} (mapped: {mapping}); "
            f"may also be present: {', '.join(optional) or 'none'}. Found: {', '.join(found) or 'none'}"
            f"{'; missing: ' + ', '.join(missing) if missing else ''}"
            f"{'; unexpected: ' + ', '.join(unexpected) if unexpected else ''}. Map them in "
            f"dataset_info/sources.yaml under sources.{source.key}.columns (user: the column with the user's "
            f"words, or a list to take the first non-empty one; response: the column with the answer) and list "
            f"columns to leave out under sources.{source.key}.ignore_columns"
        )


def _is_big(located: Located) -> bool:
    return sum(p.stat().st_size for p in located.files) >= PARALLEL_MIN_BYTES


def _start_pool(workers: int) -> Executor:
    """Worker processes, started before this process runs any thread of its own (forking a threaded process
    is unsafe); where there is no fork (macOS, Windows) they are spawned."""
    import multiprocessing

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    pool.submit(int).result()  # start them now
    return pool


def default_workers() -> int:
    """One process below 4 CPUs (measured on 2 cores: shipping batches to workers cost more than it saved);
    otherwise one per CPU but one, at most 4."""
    cpus = os.cpu_count() or 1
    return 1 if cpus < 4 else min(4, cpus - 1)


def _check_params(seed: int, val_size: int, workers: int) -> None:
    if not isinstance(seed, int) or seed < 0:
        raise EaiError(f"--seed {seed!r}: give a whole number >= 0")
    if not isinstance(val_size, int) or val_size < 0:
        raise EaiError(f"--val-size {val_size!r}: give a whole number >= 0")
    if not isinstance(workers, int) or workers < 1:
        raise EaiError(f"--workers {workers!r}: give a whole number >= 1")


# --- the build ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Stats:
    read: int = 0
    kept: int = 0
    rejected: Counter = dataclasses.field(default_factory=Counter)
    touched: Counter = dataclasses.field(default_factory=Counter)
    in_split: int = 0


class _Build:
    def __init__(self, sources: list[Source], tmp: Path, system: str, placeholders: dict[str, str], seed: int,
                 val_size: int, screen: bool, workers: int, log: Callable[[str], None]) -> None:
        self.sources, self.tmp, self.system, self.seed = sources, tmp, system, seed
        self.placeholders, self.screen, self.workers, self.log = placeholders, screen, workers, log
        self.stats: dict[str, _Stats] = {}
        self.outputs: dict[str, dict] = {}
        self.train_near: dict[int, int] = {}  # match-form key -> exact-text key of the kept row
        self.train_users: set[int] = set()
        self.val_near: dict[int, int] = {}
        self.pool_rows = _BottomK(val_size)
        self.val_all: list[tuple] = []
        self.progress = _Progress(log)
        self.writers: list[_Writer] = []
        self.rejects = self.writer(tmp / "rejects.jsonl", jsonl=True)
        self.train = self.writer(tmp / f"{TRAIN}.json")
        self._pool: Executor | None = None

    def writer(self, path: Path, *, jsonl: bool = False) -> _Writer:
        self.writers.append(_Writer(path, jsonl=jsonl))
        return self.writers[-1]

    def abort(self) -> None:
        self.close_pool()
        for writer in self.writers:
            writer.abort()

    def pool(self, located: Located) -> Executor | None:
        return self._pool if _is_big(located) else None

    def close_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run_source(self, order: int, located: Located) -> None:
        source = located.source
        stats = self.stats[source.key] = _Stats()
        plan = Plan.for_source(source, self.system, self.placeholders, screen=self.screen)
        is_train = source.role == "train"
        seen_near = self.train_near if is_train else self.val_near
        train_users = np.array(sorted(self.train_users), dtype=np.uint64) if not is_train else None
        scope = "training" if is_train else "validation"
        writer = self.writer(self.tmp / SOURCES_DIR / f"{source.key}.json")
        where = f"{SOURCES_DIR}/{source.key}.json"
        started = time.monotonic()
        self.log(f"data: {source.key} ({source.role}, {located.origin}: {', '.join(located.names)})")
        for n_read, result in _results(plan, located, self.pool(located), self.workers):
            rejected = list(result.rejected)
            keep = np.zeros(len(result.rows), dtype=bool)
            dropped: list[tuple[int, str, str]] = []  # position in batch, rule, detail
            is_pool = source.draw == "sample" and not is_train
            in_training = (np.isin(np.array(result.user, dtype=np.uint64), train_users)
                           if not is_train and len(train_users) else np.zeros(len(result.rows), dtype=bool))
            seen_get, kept_positions = seen_near.get, []
            for pos, (near, exact, trained) in enumerate(zip(result.near, result.exact, in_training.tolist())):
                if trained:
                    dropped.append((pos, rules.IN_TRAINING, "question also in the training set"))
                    continue
                first = seen_get(near)
                if first is None:
                    seen_near[near] = exact
                    kept_positions.append(pos)
                else:
                    rule = rules.DUPLICATE if first == exact else rules.NEAR_DUPLICATE
                    dropped.append((pos, rule, f"repeats an earlier {scope} row"))
            keep[kept_positions] = True
            if is_train:
                self.train_users.update(result.user[p] for p in kept_positions)
            candidates: list[tuple[int, int, int]] = []  # position, priority, row
            if is_pool and kept_positions:
                priorities = _priorities([result.near[p] for p in kept_positions], self.seed)
                wanted = np.flatnonzero(priorities < np.uint64(self.pool_rows.threshold()))
                for i in wanted.tolist():
                    pos, priority = kept_positions[i], int(priorities[i])
                    if self.pool_rows.wants(priority):
                        candidates.append((pos, priority, result.rows[pos]))
            if dropped:
                texts = result.lines.take(pa.array([d[0] for d in dropped], pa.int64())).to_pylist()
                rejected += [(result.rows[pos], rule, detail, _JsonText(text))
                             for (pos, rule, detail), text in zip(dropped, texts)]
            kept = result.lines.filter(pa.array(keep)) if not keep.all() else result.lines
            if len(kept) and check_placeholders(kept):
                raise EaiError(f"{where}: leftover {{{{placeholder}}}} in an output row of source '{source.key}'")
            writer.add_array(kept)
            if is_train:
                self.train.add_array(kept)
            elif source.draw == "all":
                kept_rows = [row for row, k in zip(result.rows, keep) if k]
                self.val_all += [(order, row, text) for row, text in zip(kept_rows, kept.to_pylist())]
            if candidates:
                texts = result.lines.take(pa.array([c[0] for c in candidates], pa.int64())).to_pylist()
                for (_, priority, row), text in zip(candidates, texts):
                    self.pool_rows.offer(priority, (order, row, text))
            stats.read += n_read  # counted as the reader yielded the batch, not from the result
            stats.kept += int(keep.sum())
            stats.touched.update(result.touched)
            self._reject(source, rejected, stats)
            self.progress.tick(source.key, stats.read, started)
        rejected_n = sum(stats.rejected.values())
        check_accounted(source.key, stats.read, stats.kept, rejected_n)
        self.outputs[where] = writer.close()
        if is_train:
            stats.in_split = stats.kept
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(stats.rejected.items()))
        self.log(f"data:   {source.key}: read {stats.read:,}, kept {stats.kept:,}, rejected {rejected_n:,}"
                 f"{' (' + detail + ')' if detail else ''}")

    def _reject(self, source: Source, rejected: list[tuple], stats: _Stats) -> None:
        if not rejected:
            return
        rejected.sort(key=lambda r: r[0])
        lines = []
        for row, rule, detail, raw in rejected:
            stats.rejected[rule] += 1
            if isinstance(raw, _JsonText):  # an output row, already JSON: embedded as it is
                head = json.dumps({"source": source.key, "row": row, "rule": rule, "detail": detail},
                                  ensure_ascii=False)
                lines.append(f'{head[:-1]}, "data": {raw}}}')
                continue
            record = {"source": source.key, "row": row, "rule": rule, "detail": detail, "data": raw}
            try:  # allow_nan=False: a NaN read from a JSON row would make the line invalid JSON
                lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
            except (TypeError, ValueError):
                record["data"] = repr(raw)
                lines.append(json.dumps(record, ensure_ascii=False))
        self.rejects.add(lines)

    def finish_validation(self) -> list[str]:
        chosen = self.pool_rows.items() + self.val_all
        chosen.sort(key=lambda item: (item[0], item[1]))
        for order, _, _ in chosen:
            self.stats[self.sources[order].key].in_split += 1
        return [line for _, _, line in chosen]


def _render_dataset_info(info_dir: Path, entries: list[dict]) -> str:
    import jinja2

    template_path = info_dir / DATASET_INFO_TEMPLATE
    if not template_path.is_file():
        raise EaiError(f"dataset_info.json template {template_path} is missing")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    text = env.from_string(template_path.read_text(encoding="utf-8")).render(entries=entries)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise EaiError(f"{template_path} rendered invalid JSON: {exc}") from None
    missing = [e["name"] for e in entries if e["name"] not in parsed]
    if missing:
        raise EaiError(f"{template_path} did not render entries {missing}")
    return text


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_datasets(
    out_dir: Path | str = paths.DATA_DIR,
    *,
    offline: bool = False,
    local_dir: Path | str | None = None,
    name: str = DEFAULT_NAME,
    author: str = DEFAULT_AUTHOR,
    seed: int = 42,
    val_size: int | None = None,
    token_env: str = "HF_TOKEN",
    registry_path: Path | str | None = None,
    info_dir: Path | str | None = None,
    workers: int | None = None,
    screen: bool = True,
    log: Callable[[str], None] = _stderr,
    fetch: Callable[..., tuple[Path, ...]] | None = None,
) -> dict:
    """Build the EAI datasets into `out_dir`; return the manifest (also written to out_dir/manifest.json).

    offline: read the shipped samples; local_dir: read DIR/<owner>__<name>.<ext> (and identity*.json) in
    place of hub downloads; neither: download the pinned revisions (token from $token_env, if set).
    """
    if offline and local_dir is not None:
        raise EaiError("--offline and --local-dir exclude each other: --offline reads the shipped samples, "
                       "--local-dir reads your files")
    info_dir = Path(info_dir) if info_dir else paths.DATASET_INFO_DIR
    registry = load_registry(Path(registry_path) if registry_path else info_dir / "sources.yaml")
    val_size = registry.val_size if val_size is None else val_size
    workers = default_workers() if workers is None else workers
    _check_params(seed, val_size, workers)
    placeholders = placeholder_values(name, author)
    system = system_prompt(placeholders["name"], placeholders["author"])
    local = Path(local_dir) if local_dir is not None else None
    if local is not None and not local.is_dir():
        raise EaiError(f"--local-dir {local}: not a folder")
    mode = "offline" if offline else "local" if local is not None else "hub"
    token = (os.environ.get(token_env) or None) if token_env else None  # never logged or written
    sources = registry.enabled()
    exempt = (placeholders["name"], placeholders["author"])
    sources = [dataclasses.replace(s, rules=dataclasses.replace(s.rules, exempt_names=exempt)) for s in sources]
    questions = info_dir / HUMANEVAL_QUESTIONS
    humaneval = humaneval_rows(questions, system) if questions.is_file() else None

    # Locate (download, when from the hub) and check every source before processing any.
    kwargs = {"fetch": fetch} if fetch else {}
    located = [locate(s, mode=mode, info_dir=info_dir, local_dir=local, token=token, log=log, **kwargs)
               for s in sources]
    for loc in located:
        check_schema(loc)
    pref_located = locate_preference(info_dir=info_dir, registry_path=registry.path, cfg=registry.rules, mode=mode,
                                     local_dir=local, token=token, log=log, **kwargs)

    out = Path(out_dir)
    out_existed = out.exists()
    tmp = out / ".building"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pool = _start_pool(workers) if workers > 1 and any(_is_big(loc) for loc in located) else None
    build = _Build(sources, tmp, system, placeholders, seed, val_size, screen, workers, log)
    build._pool = pool
    try:
        log(f"data: building {len(sources)} sources ({mode}) into {out}/")
        order = {s.key: i for i, s in enumerate(sources)}
        for loc in sorted(located, key=lambda loc: (loc.source.role != "train", order[loc.source.key])):
            build.run_source(order[loc.source.key], loc)
        build.outputs[f"{TRAIN}.json"] = build.train.close()
        val_writer = build.writer(tmp / f"{VAL}.json")
        val_writer.add(build.finish_validation())
        build.outputs[f"{VAL}.json"] = val_writer.close()
        if build.outputs[f"{VAL}.json"]["rows"] == 0:
            log("data: warning: the validation set is empty (no validation row survived; see rejects.jsonl)")
        entries = [
            {"name": TRAIN, "file_name": f"{TRAIN}.json"},
            {"name": VAL, "file_name": f"{VAL}.json"},
        ]
        if humaneval is not None:
            he_writer = build.writer(tmp / f"{HUMANEVAL}.json")
            lines = [json.dumps(row, ensure_ascii=False) for row in humaneval]
            for line in lines:
                check_no_placeholder(line, f"{HUMANEVAL}.json")
            he_writer.add(lines)
            build.outputs[f"{HUMANEVAL}.json"] = he_writer.close()
            entries.append({"name": HUMANEVAL, "file_name": f"{HUMANEVAL}.json"})
        entries += [{"name": f"eai_src_{s.key}", "file_name": f"{SOURCES_DIR}/{s.key}.json"} for s in sources]
        preference, pref_rejects, pref_entries, pref_licences = build_preference(
            tmp, pref_located, info_dir=info_dir, cfg=registry.rules, system=system, placeholders=placeholders,
            seed=seed, log=log)
        build.rejects.add(pref_rejects)
        entries += pref_entries
        build.outputs["rejects.jsonl"] = build.rejects.close()
        info_text = _render_dataset_info(info_dir, entries)
        (tmp / "dataset_info.json").write_text(info_text, encoding="utf-8")
        build.outputs["dataset_info.json"] = {"rows": len(entries), "sha256": _sha256(tmp / "dataset_info.json")}
        manifest = _manifest(build, located, sources, mode, name=placeholders["name"],
                             author=placeholders["author"], seed=seed, val_size=val_size, system=system,
                             registry_path=registry.path, info_dir=info_dir)
        manifest["preference"] = preference
        manifest["licences"].update(pref_licences)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    except BaseException:
        build.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        if not out_existed:
            shutil.rmtree(out, ignore_errors=True)
        raise
    build.close_pool()
    _publish(tmp, out)
    total_rej = sum(sum(s.rejected.values()) for s in build.stats.values()) + preference["totals"]["rejected"]
    log(f"data: wrote {out}/{TRAIN}.json ({build.outputs[TRAIN + '.json']['rows']:,} rows), "
        f"{out}/{VAL}.json ({build.outputs[VAL + '.json']['rows']:,} rows), {out}/dataset_info.json, "
        f"{out}/manifest.json, {out}/rejects.jsonl ({total_rej:,} rejects)")
    return manifest


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished files into place; per-source files of sources no longer built are removed."""
    stale = out / SOURCES_DIR
    if stale.is_dir():
        for old in stale.glob("*.json"):
            if not (tmp / SOURCES_DIR / old.name).exists():
                old.unlink()
    for path in sorted(tmp.rglob("*")):
        if path.is_file():
            target = out / path.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    shutil.rmtree(tmp, ignore_errors=True)


def _relative(path: Path, info_dir: Path) -> str:
    try:
        return f"dataset_info/{path.resolve().relative_to(info_dir.resolve()).as_posix()}"
    except ValueError:
        return path.name


def _manifest(build: _Build, located: list[Located], sources: list[Source], mode: str, *, name: str, author: str,
              seed: int, val_size: int, system: str, registry_path: Path, info_dir: Path) -> dict:
    per_source, licences = {}, {}
    totals_touched: Counter = Counter()
    totals_rejected: Counter = Counter()
    for loc in located:
        s, st = loc.source, build.stats[loc.source.key]
        check_accounted(s.key, st.read, st.kept, sum(st.rejected.values()))  # checked per source, and again here
        per_source[s.key] = {
            "hub_id": s.hub_id,
            "revision": s.revision,
            "resolved_commit": loc.commit,
            "licence": s.licence,
            "role": s.role,
            "draw": s.draw if s.role == "validation" else None,
            "origin": loc.origin,
            "files": list(loc.names),
            "read": st.read,
            "kept": st.kept,
            "rejected": sum(st.rejected.values()),
            "rejected_by_rule": dict(sorted(st.rejected.items())),
            "touched_by_scrub": dict(sorted(st.touched.items())),
            f"in_{TRAIN if s.role == 'train' else VAL}": st.in_split,
            "output": f"{SOURCES_DIR}/{s.key}.json",
        }
        licences[s.title] = s.licence
        totals_touched.update(st.touched)
        totals_rejected.update(st.rejected)
    rule_report = {rule: {"kind": "scrub", "rows_touched": totals_touched.get(rule, 0)} for rule in rules.SCRUBS}
    rule_report.update({rule: {"kind": "drop", "rows_touched": totals_rejected.get(rule, 0)} for rule in rules.DROPS})
    return {
        "eai_recipes_version": __version__,
        "parameters": {"mode": mode, "name": name, "author": author, "seed": seed, "val_size": val_size,
                       "registry": _relative(registry_path, info_dir)},
        "system_prompt": system,
        "licences": licences,
        "sources": per_source,
        "rules": rule_report,
        "totals": {
            "read": sum(st.read for st in build.stats.values()),
            "kept": sum(st.kept for st in build.stats.values()),
            "rejected": sum(totals_rejected.values()),
            "train_rows": build.outputs[f"{TRAIN}.json"]["rows"],
            "val_rows": build.outputs[f"{VAL}.json"]["rows"],
        },
        "outputs": dict(sorted(build.outputs.items())),
    }

