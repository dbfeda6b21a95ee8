"""Serving overhead: time to first token (TTFT) and tokens per second through `eai serve` against
LLaMA-Factory's own `llamafactory-cli api`, on the same tiny model and adapter, with the same prompts.

Both servers run at once on loopback; the requests alternate between them (A B, then B A) with the same
messages (the identity system prompt is sent to llamafactory-cli api explicitly; `eai serve` adds its own),
the same generation settings (the serving profile's, written into the api's YAML) and the same `max_tokens`
(at most the profile's smallest answer budget, so both generate the same number of tokens).
Every request streams (SSE). TTFT is the time from sending the request to the first chunk with non-empty
text; tokens per second count the streamed text's tokens (the model's tokenizer) over the time from the
first to the last text chunk. Goal: `eai serve`'s median TTFT at most 1.10x llamafactory-cli api's.

    .venv/bin/python bench/bench_serving.py [--run demo --workdir .] [--rounds 20] [--max-tokens 16]

--load: `eai serve` alone under N concurrent streaming clients on loopback for a fixed time, with malformed
and oversized requests mixed in (one in --bad-every): p50/p99 time to first token against the same figures
for one client alone, answers by HTTP status, and the server's resident memory (RSS) before and after.
Goal: no 5xx, no memory growth, p99 TTFT at 8 clients within 2x the single client's.

    .venv/bin/python bench/bench_serving.py --load [--clients 8] [--seconds 30] [--run demo --workdir .]

Both modes serve a copy of the profile with the per-client limits raised (every client of a benchmark comes
from 127.0.0.1, and the limiter would answer 429 to the load it is meant to measure).

Without --run it builds a tiny model, the offline datasets and a tiny QLoRA run in a scratch directory
(about a minute on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

EAI = [sys.executable, "-m", "eai_recipes.cli"]
LLAMAFACTORY = str(Path(sys.executable).parent / "llamafactory-cli")

# Our own wording; long enough that the answer budget reaches --max-tokens.
PROMPTS = [
    "I have been feeling anxious about my exams for weeks and I can't sleep well at night anymore.",
    "My best friend moved to another city and I feel lonely most evenings. How do I cope with that?",
    "Work has been overwhelming lately and I snap at my family when I get home. I feel guilty about it.",
    "I keep comparing myself to other people online and it makes me feel like I'm never good enough.",
    "Since my grandmother passed away I find it hard to concentrate on anything. Is that normal?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}; log: {log}\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server not ready after {timeout:.0f}s; log: {log}")


def build_run(work: Path) -> str:
    print(f"scratch dir {work}: tiny model, offline datasets, a tiny QLoRA run", file=sys.stderr)
    for cmd in (["tiny-model", "--out", "models/tiny-phi4"], ["data", "build", "--offline", "--out", "data"],
                ["train", "--profile", "tiny", "--run-name", "bench"]):
        subprocess.run([*EAI, *cmd], cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return "bench"


def stream_once(session: requests.Session, url: str, body: dict, headers: dict) -> tuple[float, float, str, float]:
    """(TTFT s, seconds from first to last text chunk, streamed text, seconds to the end) of one streamed
    completion."""
    start = time.perf_counter()
    first = last = None
    text = ""
    with session.post(url, json=body, headers=headers, stream=True, timeout=120) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            delta = json.loads(data)["choices"][0]["delta"].get("content") or ""
            if delta:
                now = time.perf_counter()
                first = first if first is not None else now
                last = now
                text += delta
    end = time.perf_counter() - start
    if first is None:
        return float("nan"), 0.0, "", end
    return first - start, last - first, text, end


def whole_once(session: requests.Session, url: str, body: dict) -> tuple[float, int]:
    """(seconds, usage.completion_tokens) of one non-streamed completion."""
    start = time.perf_counter()
    resp = session.post(url, json={**body, "stream": False}, timeout=120)
    resp.raise_for_status()
    return time.perf_counter() - start, int(resp.json()["usage"]["completion_tokens"])


def summarise(name: str, ttft: list[float], spans: list[float], tokens: list[int], ends: list[float]) -> dict:
    good = [t for t in ttft if t == t]
    rate_tokens = sum(n - 1 for n, s in zip(tokens, spans) if s > 0 and n > 1)
    rate_time = sum(s for n, s in zip(tokens, spans) if s > 0 and n > 1)
    return {
        "name": name,
        "ttft_median_ms": 1000 * statistics.median(good),
        "ttft_p90_ms": 1000 * sorted(good)[int(0.9 * (len(good) - 1))],
        "tokens_per_s": rate_tokens / rate_time if rate_time else float("nan"),
        "tokens_mean": statistics.mean(tokens),
        "end_median_ms": 1000 * statistics.median(ends),
        "requests": len(ttft),
    }


def bench_profile(name: str, logs: Path) -> Path:
    """The serving profile with per-client limits raised for a benchmark (all its clients share 127.0.0.1)."""
    from eai_recipes.serving.profile import SERVING_DIR

    source = Path(name) if name.endswith((".yaml", ".yml")) else SERVING_DIR / f"{name}.yaml"
    data = yaml.safe_load(source.read_text())
    data["security"] = {**(data.get("security") or {}), "requests_per_minute": 1_000_000, "burst": 100_000,
                        "max_streams_per_client": 1024}
    path = logs / f"{source.stem}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def bad_request(i: int, max_bytes: int, max_chars: int) -> tuple[bytes, str]:
    """A malformed or oversized request body, in turn, and what it is."""
    kinds = [
        (b'{"messages": [', "malformed JSON"),
        (b'{"messages": [{"role": "user", "content": "hi \\ud800"}]}', "lone surrogate"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}', "max_tokens 0"),
        (json.dumps({"messages": [{"role": "user", "content": "I feel stuck. " * (max_chars // 10)}]}).encode(),
         "message over the limit"),
        (b"x" * (max_bytes + 1), "body over the limit"),
    ]
    return kinds[i % len(kinds)]


def load_test(args, work: Path, run: str) -> None:
    import threading
    from collections import Counter

    from eai_recipes.serving.profile import load_serving_profile

    logs = work / "bench-logs"
    logs.mkdir(exist_ok=True)
    profile_path = bench_profile(args.profile, logs)
    limits = load_serving_profile(str(profile_path)).limits
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    log = logs / "eai_serve_load.log"
    proc = subprocess.Popen([*EAI, "serve", "--profile", str(profile_path), "--run-name", run, "--port", str(port),
                             "--no-page"], cwd=work, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", proc, log)
        max_tokens = args.max_tokens or load_serving_profile(str(profile_path)).generation.min_new_tokens

        def client(seconds: float, index: int, ttfts: list, statuses: Counter, bad_every: int) -> None:
            session = requests.Session()
            deadline = time.monotonic() + seconds
            i = 0
            while time.monotonic() < deadline:
                i += 1
                if bad_every and i % bad_every == 0:
                    body, _ = bad_request(index + i, limits.max_request_bytes, limits.max_input_chars)
                    try:
                        resp = session.post(url, data=body, headers={"content-type": "application/json"}, timeout=60)
                        statuses[resp.status_code] += 1
                    except requests.RequestException as exc:
                        statuses[type(exc).__name__] += 1
                    continue
                prompt = PROMPTS[(index + i) % len(PROMPTS)]
                body = {"stream": True, "max_tokens": max_tokens, "messages": [{"role": "user", "content": prompt}]}
                try:
                    ttft, _, _, _ = stream_once(session, url, body, {})
                    statuses[200] += 1
                    if not math.isnan(ttft):
                        ttfts.append(ttft)
                except requests.HTTPError as exc:
                    statuses[exc.response.status_code] += 1
                except requests.RequestException as exc:
                    statuses[type(exc).__name__] += 1

        def phase(clients: int, seconds: float, bad_every: int) -> tuple[list[float], Counter]:
            ttfts: list[float] = []
            statuses: Counter = Counter()
            threads = [threading.Thread(target=client, args=(seconds, k, ttfts, statuses, bad_every))
                       for k in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return ttfts, statuses

        phase(1, min(5.0, args.seconds / 3), 0)  # warm-up: lazy initialisation, first allocations
        single, single_status = phase(1, max(args.seconds / 2, 3.0), 0)
        rss_before = rss_kib(proc.pid)
        loaded, statuses = phase(args.clients, args.seconds, args.bad_every)
        time.sleep(2)
        rss_after = rss_kib(proc.pid)
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
        p50s, p99s = 1000 * percentile(single, 0.5), 1000 * percentile(single, 0.99)
        p50, p99 = 1000 * percentile(loaded, 0.5), 1000 * percentile(loaded, 0.99)
        fivexx = sum(n for k, n in statuses.items() if isinstance(k, int) and k >= 500)
        print(f"load test: eai serve --profile {args.profile} (limits raised), run {run}, max_tokens {max_tokens}, "
              f"{os.cpu_count()} CPUs")
        print(f"  1 client, {max(args.seconds / 2, 3.0):.0f} s: {len(single)} streams, TTFT p50 {p50s:.0f} ms, "
              f"p99 {p99s:.0f} ms; statuses {dict(single_status)}")
        print(f"  {args.clients} clients, {args.seconds:.0f} s, 1 request in {args.bad_every} malformed or oversized: "
              f"{len(loaded)} streams, TTFT p50 {p50:.0f} ms, p99 {p99:.0f} ms")
        print(f"  answers by status: {dict(sorted(statuses.items(), key=str))}")
        print(f"  server refusals (/health): {health['refused']}; errors {health['errors']}")
        print(f"  server RSS before load {rss_before / 1024:.1f} MiB, after {rss_after / 1024:.1f} MiB "
              f"({(rss_after - rss_before) / 1024:+.1f} MiB)")
        ratio = p99 / p99s if p99s else float("nan")
        print(f"  p99 TTFT ratio {args.clients} clients / 1 client {ratio:.2f} (goal <= 2: "
              f"{'met' if ratio <= 2 else 'NOT met'}); 5xx {fivexx} (goal 0: {'met' if fivexx == 0 else 'NOT met'})")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", help="project directory holding models/ and runs/ (with --run)")
    parser.add_argument("--run", help="run name under <workdir>/runs/ with a trained adapter (default: build one)")
    parser.add_argument("--profile", default="tiny", help="serving profile (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the prompts (default: %(default)s)")
    parser.add_argument("--max-tokens", type=int,
                        help="max_tokens of every request (default: the profile's min_new_tokens, so that both "
                             "servers generate the same number of tokens: eai serve adapts the budget to the "
                             "question but never goes above a client's max_tokens)")
    parser.add_argument("--load", action="store_true", help="the load test (see above) instead of the comparison")
    parser.add_argument("--clients", type=int, default=8, help="--load: concurrent clients (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=30, help="--load: seconds of load (default: %(default)s)")
    parser.add_argument("--bad-every", type=int, default=5,
                        help="--load: one request in this many is malformed or oversized (default: %(default)s)")
    args = parser.parse_args()

    scratch = None
    if args.run:
        work, run = Path(args.workdir or ".").resolve(), args.run
    else:
        scratch = work = Path(tempfile.mkdtemp(prefix="eai-bench-serving-"))
        run = build_run(work)
    if args.load:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        try:
            load_test(args, work, run)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        return
    procs: list[subprocess.Popen] = []
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from eai_recipes.identity import system_prompt
        from eai_recipes.serving.model import plan_model
        from eai_recipes.serving.profile import load_serving_profile

        profile = load_serving_profile(args.profile)
        args.max_tokens = args.max_tokens or profile.generation.min_new_tokens
        cwd = os.getcwd()
        os.chdir(work)
        try:
            plan = plan_model(profile, source="adapter", run=run)
        finally:
            os.chdir(cwd)
        system = system_prompt(profile.identity_name, profile.identity_author)
        logs = work / "bench-logs"
        logs.mkdir(exist_ok=True)
        api_yaml = logs / "lf_api.yaml"
        api_yaml.write_text(yaml.safe_dump(plan.args, sort_keys=False))

        eai_port, lf_port = free_port(), free_port()
        env = {**os.environ, "API_VERBOSE": "0"}
        eai_log, lf_log = logs / "eai_serve.log", logs / "lf_api.log"
        procs.append(subprocess.Popen(
            [*EAI, "serve", "--profile", str(bench_profile(args.profile, logs)), "--run-name", run, "--port",
             str(eai_port)],
            cwd=work, env=env, stdout=open(eai_log, "w"), stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            [LLAMAFACTORY, "api", str(api_yaml)], cwd=work,
            env={**env, "API_HOST": "127.0.0.1", "API_PORT": str(lf_port)},
            stdout=open(lf_log, "w"), stderr=subprocess.STDOUT))
        wait_ready(f"http://127.0.0.1:{eai_port}/health", procs[0], eai_log)
        wait_ready(f"http://127.0.0.1:{lf_port}/v1/models", procs[1], lf_log)

        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(work / plan.args["model_name_or_path"]))
        targets = {
            "eai serve": (f"http://127.0.0.1:{eai_port}/v1/chat/completions",
                          lambda p: [{"role": "user", "content": p}]),
            "llamafactory-cli api": (f"http://127.0.0.1:{lf_port}/v1/chat/completions",
                                     lambda p: [{"role": "system", "content": system}, {"role": "user", "content": p}]),
        }
        sessions = {name: requests.Session() for name in targets}
        results = {name: ([], [], [], []) for name in targets}

        def one(name: str, prompt: str, record: bool) -> None:
            url, messages = targets[name]
            body = {"model": "eai", "stream": True, "max_tokens": args.max_tokens, "messages": messages(prompt)}
            ttft, span, text, end = stream_once(sessions[name], url, body, {})
            if record:
                results[name][0].append(ttft)
                results[name][1].append(span)
                results[name][2].append(len(tokenizer(text, add_special_tokens=False)["input_ids"]))
                results[name][3].append(end)

        names = list(targets)
        for prompt in PROMPTS[:3]:  # warm-up: first requests pay for lazy initialisation
            for name in names:
                one(name, prompt, record=False)
        print(f"timing {args.rounds} rounds x {len(PROMPTS)} prompts, alternating", file=sys.stderr)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for prompt in PROMPTS:
                for name in order:
                    one(name, prompt, record=True)

        whole = {name: ([], []) for name in names}
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for prompt in PROMPTS:
                for name in order:
                    url, messages = targets[name]
                    body = {"model": "eai", "max_tokens": args.max_tokens, "messages": messages(prompt)}
                    seconds, n = whole_once(sessions[name], url, body)
                    whole[name][0].append(seconds)
                    whole[name][1].append(n)

        stats = {name: summarise(name, *results[name]) for name in names}
        for name in names:
            stats[name]["gen_tokens_per_s"] = sum(whole[name][1]) / sum(whole[name][0])
            stats[name]["whole_median_ms"] = 1000 * statistics.median(whole[name][0])
        eai, lf = stats["eai serve"], stats["llamafactory-cli api"]
        print(f"model: {plan.summary}; max_tokens {args.max_tokens}; {eai['requests']} requests each")
        print("streamed (SSE): time to first text, tokens/s of the text received between the first and the last")
        print("  text chunk, tokens received per answer, time to the end of the stream")
        print("whole (non-streamed): request time, and usage.completion_tokens per second of request time")
        print(f"{'':22s} {'TTFT median':>12s} {'TTFT p90':>10s} {'tokens/s':>9s} {'tokens/answer':>14s} "
              f"{'stream end':>11s} {'whole median':>13s} {'gen tokens/s':>13s}")
        for s in (eai, lf):
            print(f"{s['name']:22s} {s['ttft_median_ms']:9.1f} ms {s['ttft_p90_ms']:7.1f} ms {s['tokens_per_s']:9.1f} "
                  f"{s['tokens_mean']:14.1f} {s['end_median_ms']:8.1f} ms {s['whole_median_ms']:10.1f} ms "
                  f"{s['gen_tokens_per_s']:13.1f}")
        ratio = eai["ttft_median_ms"] / lf["ttft_median_ms"]
        print(f"TTFT ratio eai/llamafactory            {ratio:.3f}  "
              f"(goal <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'})")
        print(f"streamed tokens/s ratio                {eai['tokens_per_s'] / lf['tokens_per_s']:.3f}  "
              "(eai sends fewer tokens: an answer stopped by the length limit ends at its last full sentence)")
        print(f"generated tokens/s ratio (whole)       {eai['gen_tokens_per_s'] / lf['gen_tokens_per_s']:.3f}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
