"""Data-build benchmark: a synthetic Harshallama-shaped source through the full `eai data build`.

Writes a parquet (or JSON Lines) file of --rows rows (instruction/input/output, like
Harshallama/mental_health_alpaca_format;
about 868k rows in reality) with a realistic share of messy rows (URLs, HTML, e-mail addresses, phone numbers,
duplicates, near-duplicates, curly quotes, multi-turn text, too-short rows), then, alternately in this one
run, times (a) merely reading and parsing the file into rows with the build's own reader and (b) the whole
build (`--local-dir`, the other sources from the shipped samples). Each measurement runs in a fresh child
process so that its peak memory (ru_maxrss, worker processes included) is its own.

    .venv/bin/python bench/bench_data_build.py                 # 1,000,000 rows of parquet
    .venv/bin/python bench/bench_data_build.py --format jsonl --workers 2
    .venv/bin/python bench/bench_data_build.py --rows 200000 --rounds 1

Goals (issue 3): the build at >= 25% of the read-and-parse rate, peak memory < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INSTRUCTION = ("You are a helpful mental health counselling assistant, please answer the mental health questions "
               "based on the patient's description.")
_USER = [
    "I have been feeling low for weeks", "my sleep has been terrible lately", "I worry about my job all the time",
    "my partner and I argue about small things", "I feel alone even when I am with friends",
    "I can't focus on my studies", "my mother is ill and I am scared", "I feel like I am failing at everything",
    "social situations make me very nervous", "I get headaches when I am stressed",
    "I don't enjoy the things I used to love", "I keep thinking about a mistake I made",
    "my heart races before meetings", "I feel guilty when I rest", "I moved to a new city and know nobody",
    "my teenager won't talk to me", "I cry more than usual", "I am exhausted after work every day",
    "I feel like a burden to my family", "I compare myself to everyone online",
]
_RESPONSE = [
    "That sounds really hard, and it makes sense that you feel this way.",
    "Thank you for sharing this; it takes courage to put it into words.",
    "It may help to notice when these feelings are strongest and what happens just before.",
    "Small routines, like regular meals and a short walk, can give your days some steadiness.",
    "Try writing your worries down in the evening so they are on paper rather than in your head.",
    "Talking with someone you trust can make the load feel lighter.",
    "A counsellor or doctor can help you understand what is going on and what could help.",
    "Be as patient with yourself as you would be with a good friend in the same situation.",
    "Slow breathing, with a longer breath out than in, can calm your body in the moment.",
    "It is okay to ask for help; you do not have to work this out alone.",
    "Setting one small, achievable goal for tomorrow can help you regain a sense of control.",
    "Notice what you have managed to do, even on difficult days.",
    "If things feel overwhelming or unsafe, please contact local emergency services or a crisis line.",
    "Your feelings are valid, and they can change with the right support.",
]
_MESSY = [
    lambda u, r: (u, r + " More here: https://www.example.org/help/page-" + str(random.randrange(10**6)) + "."),
    lambda u, r: (u + " <br><b>please</b> help", r),
    lambda u, r: (u + " Write to me at someone" + str(random.randrange(1000)) + "@example.com.", r),
    lambda u, r: (u + " Call me on 555-" + f"{random.randrange(1000):03d}-{random.randrange(10000):04d}.", r),
    lambda u, r: ("Patient: " + u + "\nCounsellor: go on\nPatient: that's it", r),
    lambda u, r: ("help", r),
    lambda u, r: ("As I said before, " + u, r),
    lambda u, r: (u, r + "\n\nWarmly,\nJane Porter, LMFT"),
]


def _text(pool: list[str], rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(pool) + ("." if pool is _USER else "") for _ in range(rng.randint(lo, hi)))


def make_source(path: Path, rows: int, seed: int = 7) -> None:
    """A Harshallama-shaped file (parquet or JSON Lines, by suffix): about 6% messy rows, 3% exact and 2% near
    duplicates, 15% with curly apostrophes (non-ASCII but already normalised, as in real text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = path.suffix == ".jsonl"
    out = open(path, "w", encoding="utf-8") if jsonl else None  # noqa: SIM115 - closed at the end
    rng = random.Random(seed)
    random.seed(seed)
    writer = None
    recent: list[tuple[str, str]] = []
    chunk = 50_000
    for start in range(0, rows, chunk):
        inputs, outputs = [], []
        for i in range(start, min(rows, start + chunk)):
            roll = rng.random()
            if recent and roll < 0.03:
                u, r = rng.choice(recent)
            elif recent and roll < 0.05:
                u, r = rng.choice(recent)
                u = u.upper().replace(".", "!")
            else:
                u = f"{_text(_USER, rng, 2, 5)} It has been {i} days."
                r = _text(_RESPONSE, rng, 4, 9)
                if rng.random() < 0.15:
                    u = u.replace("I am", "I\u2019m").replace("don't", "don\u2019t")
                if rng.random() < 0.06:
                    u, r = rng.choice(_MESSY)(u, r)
                recent.append((u, r))
                if len(recent) > 1000:
                    recent.pop(0)
            inputs.append(u)
            outputs.append(r)
        if out is not None:
            out.writelines(json.dumps({"instruction": INSTRUCTION, "input": u, "output": r}, ensure_ascii=False)
                           + "\n" for u, r in zip(inputs, outputs))
            continue
        table = pa.table({"instruction": [INSTRUCTION] * len(inputs), "input": inputs, "output": outputs})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=65_536)
    if writer is not None:
        writer.close()
    if out is not None:
        out.close()


_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from eai_recipes.data import build, loaders
kind, src, local, out, workers = sys.argv[1:6]
t = time.perf_counter()
if kind == "parse":
    rows = loaders.count_and_parse(Path(src))
else:
    manifest = build.build_datasets(out, local_dir=local, workers=int(workers), log=lambda m: None)
    rows = manifest["sources"]["harshallama"]["read"]
dt = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"rows": rows, "seconds": dt, "peak_kib": me.ru_maxrss, "worker_peak_kib": kids.ru_maxrss,
                  "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "main_cpu_seconds": me.ru_utime + me.ru_stime}}))
"""


def _measure(kind: str, src: Path, local: Path, out: Path, workers: int) -> dict:
    code = _CHILD.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, kind, str(src), str(local), str(out), str(workers)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("parquet", "jsonl"), default="parquet",
                    help="file format of the synthetic source "
                         "(Harshallama is parquet on the hub; default: %(default)s)")
    ap.add_argument("--workers", type=int, default=None,
                    help="build worker processes "
                         "(default: as `eai data build`: 1 below 4 CPUs, else CPUs - 1, at most 4)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating parse/build rounds (default: %(default)s)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep files here instead of a temporary folder")
    args = ap.parse_args(argv)
    if args.workers is None:
        from eai_recipes.data.build import default_workers

        args.workers = default_workers()

    from eai_recipes.data.preference import load_preference_sources
    from eai_recipes.data.registry import load_registry

    work = args.workdir or Path(tempfile.mkdtemp(prefix="eai-bench-data-"))
    work.mkdir(parents=True, exist_ok=True)
    local = work / "local"
    local.mkdir(exist_ok=True)
    src = local / f"Harshallama__mental_health_alpaca_format.{args.format}"
    for other in local.glob("Harshallama__mental_health_alpaca_format.*"):
        if other != src:
            other.rename(work / other.name)  # one file per source in --local-dir
    info = ROOT / "dataset_info"
    registry = load_registry(info / "sources.yaml")
    pref = [p.source for p in load_preference_sources(info / "sources.yaml", registry.rules)]
    for s in [*registry.enabled(), *pref]:  # every source but the measured one from its shipped sample
        if s.sample and s.key != "harshallama":
            shutil.copy(info / s.sample, local / f"{s.local_name}{Path(s.sample).suffix}")
    try:
        if not src.exists() and (work / src.name).exists():
            (work / src.name).rename(src)
        if not src.exists():
            print(f"writing {args.rows:,} synthetic rows to {src} ...", file=sys.stderr)
            make_source(src, args.rows)
        print(f"source: {src.stat().st_size / 2**20:,.0f} MiB {args.format}; workers={args.workers}", file=sys.stderr)
        parse, full = [], []
        for r in range(args.rounds):
            parse.append(_measure("parse", src, local, work / "out", args.workers))
            full.append(_measure("build", src, local, work / "out", args.workers))
            print(f"round {r + 1}: parse {parse[-1]['seconds']:.1f}s, build {full[-1]['seconds']:.1f}s",
                  file=sys.stderr)
        manifest = json.loads((work / "out" / "manifest.json").read_text())
        h = manifest["sources"]["harshallama"]
        rows = parse[0]["rows"]
        parse_rate = rows / statistics.median(m["seconds"] for m in parse)
        build_rate = rows / statistics.median(m["seconds"] for m in full)
        parse_cpu = statistics.median(m["cpu_seconds"] for m in parse) / rows * 1e6
        build_cpu = statistics.median(m["cpu_seconds"] for m in full) / rows * 1e6
        main_cpu = statistics.median(m["main_cpu_seconds"] for m in full) / rows * 1e6
        worker_peak = max(m["worker_peak_kib"] for m in full) / 2**20 if args.workers > 1 else 0.0
        # main process plus every worker at its own peak: an upper bound on the build's memory at any moment
        peak_build = max(m["peak_kib"] for m in full) / 2**20 + args.workers * worker_peak
        peak_parse = max(m["peak_kib"] for m in parse) / 2**20
        print(f"synthetic source: {args.format}, {src.stat().st_size / 2**20:,.0f} MiB; build workers: {args.workers}")
        print(f"rows in the synthetic source:     {rows:,} (kept {h['kept']:,}, rejected {h['rejected']:,}: "
              + ", ".join(f"{k} {v:,}" for k, v in h["rejected_by_rule"].items()) + ")")
        print(f"read and parse into rows:         {parse_rate:>9,.0f} rows/s   {parse_cpu:5.2f} CPU-us/row   "
              f"peak {peak_parse:.2f} GiB")
        print(f"full build:                       {build_rate:>9,.0f} rows/s   {build_cpu:5.2f} CPU-us/row   "
              f"peak {peak_build:.2f} GiB   (main process {main_cpu:.2f} CPU-us/row)")
        print(f"ratio build / read-and-parse:     {build_rate / parse_rate:.1%} (wall clock; goal >= 25%), "
              f"{parse_cpu / build_cpu:.1%} (CPU time)")
        print(f"peak memory of the build:         {peak_build:.2f} GiB (main process + {args.workers} x worker peak "
              f"{worker_peak:.2f} GiB; goal < 2 GB)" if args.workers > 1 else
              f"peak memory of the build:         {peak_build:.2f} GiB (goal < 2 GB)")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
