"""How long the safety and text layers take per message (they run on every chat turn before generation).

Usage: python bench/bench_safety.py [--repeat N]

Prints milliseconds per call for crisis screening, special-token neutralising and output clean-up on short
messages (the shipped labelled set) and on long ones built from it (about 2,000 and 8,000 characters), so
they can be set against the time to first token measured by the serving benchmark.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from eai_recipes import safety
from eai_recipes.serving import textguard


def _per_call_ms(fn: Callable[[str], object], texts: list[str], repeat: int) -> tuple[float, float]:
    """Median and worst per-call time in milliseconds over `repeat` passes."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        runs.append((time.perf_counter() - start) * 1000 / len(texts))
    return statistics.median(runs), max(runs)


def _long_message(sentences: list[str], size: int) -> str:
    parts, total, i = [], 0, 0
    while total < size:
        s = sentences[i % len(sentences)].rstrip(".!?") + ". "
        parts.append(s)
        total += len(s)
        i += 1
    return "".join(parts)[:size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="passes over each input set (default 5)")
    args = parser.parse_args()

    examples = safety.load_labelled(safety.LABELLED_FILE)
    short = [e.text for e in examples]
    calm = [e.text for e in examples if not e.crisis]
    inputs = {
        f"short ({len(short)} messages, mean {statistics.mean(map(len, short)):.0f} chars)": short,
        "long, 2,000 chars (no crisis)": [_long_message(calm, 2000)] * 10,
        "long, 8,000 chars (no crisis)": [_long_message(calm, 8000)] * 5,
    }
    answer = ("I hear you, and it makes sense that you feel this way. " * 6 + "<|im_end|>").strip()
    steps = {
        "safety.screen": safety.screen,
        "textguard.neutralise_special_tokens": textguard.neutralise_special_tokens,
    }
    print(f"{'step':<38} {'input':<42} {'median ms':>10} {'worst ms':>10}")
    for name, fn in steps.items():
        for label, texts in inputs.items():
            median, worst = _per_call_ms(fn, texts, args.repeat)
            print(f"{name:<38} {label:<42} {median:>10.3f} {worst:>10.3f}")
    median, worst = _per_call_ms(textguard.clean_output, [answer] * 50, args.repeat)
    print(f"{'textguard.clean_output':<38} {f'answer ({len(answer)} chars)':<42} {median:>10.3f} {worst:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
