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

Without --run it builds a tiny model, the offline datasets and a tiny QLoRA run in a scratch directory
(about a minute on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
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
    args = parser.parse_args()

    scratch = None
    if args.run:
        work, run = Path(args.workdir or ".").resolve(), args.run
    else:
        scratch = work = Path(tempfile.mkdtemp(prefix="eai-bench-serving-"))
        run = build_run(work)
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
            [*EAI, "serve", "--profile", args.profile, "--run-name", run, "--port", str(eai_port)],
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
