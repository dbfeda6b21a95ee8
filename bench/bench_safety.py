"""How long the safety and text layers take (they run on every chat turn before generation).

Usage: python bench/bench_safety.py [--repeat N] [--smallest] [--guard]

Prints, in milliseconds:
- rules alone, and rules with the learned layer, per message (p50 / p99 over the shipped labelled messages) and
  per 10-turn conversation (5 user turns, built from the labelled messages), the goal being p99 < 5 ms;
- how the time grows with the length of one message (1,000 to 250,000 characters of distinct text): it must
  grow linearly (the phrase table took ~7 s for 250,000 characters);
- the answer screen and the output clean-up on an answer;
- with --guard: the time the model guard (`guard: self`) adds before the first token on the tiny model
  (needs `eai tiny-model` to have built models/tiny-phi4).
--smallest runs every part once on its smallest input (the tests do that).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from eai_recipes import safety
from eai_recipes.safety import classifier, rules
from eai_recipes.serving import textguard


def _times_ms(fn: Callable[[object], object], inputs: list, repeat: int) -> list[float]:
    """Per-call times; the rules' sentence caches and the learned layer's word cache are emptied before each
    pass, so that repeated passes time the work and not the caches (within a pass, a word met before is hashed
    once, as in a server that has been answering for a while)."""
    out = []
    for _ in range(repeat):
        rules._strong_findings.cache_clear()
        rules.weak_findings.cache_clear()
        classifier._word_ids.cache_clear()
        for item in inputs:
            start = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - start) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _distinct_text(messages: list[str], size: int, seed: int = 0) -> str:
    """`size` characters of labelled messages in a shuffled order (distinct text: no repeat the caches could
    answer from)."""
    rng = random.Random(seed)
    parts, total = [], 0
    while total < size:
        batch = messages[:]
        rng.shuffle(batch)
        for m in batch:
            words = m.split()
            rng.shuffle(words)  # a new sentence each time, so that nothing is screened twice
            s = " ".join(words).rstrip(".!?") + ". "
            parts.append(s)
            total += len(s)
            if total >= size:
                break
    return "".join(parts)[:size]


def _guard_ms(repeat: int) -> tuple[float, float] | None:
    """Median time to first streamed piece without and with `guard: self`, on the tiny base model."""
    import asyncio
    import dataclasses
    from pathlib import Path

    from eai_recipes.serving import profile as serving_profile
    from eai_recipes.serving.model import load_chat_model, plan_model
    from eai_recipes.serving.pipeline import Outcome, Pipeline

    if not (Path("models") / "tiny-phi4").is_dir():
        print("guard: skipped (no models/tiny-phi4; run `eai tiny-model`)")
        return None
    profile = serving_profile.load_serving_profile("tiny")
    gen = dataclasses.replace(profile.generation, max_new_tokens=8, min_new_tokens=1, do_sample=False)
    profile = dataclasses.replace(profile, generation=gen)
    chat_model = load_chat_model(plan_model(profile, source="base"), gen.timeout_s)
    message = [{"role": "user", "content": "I had a long day and I feel a bit low."}]

    async def first_piece(pipeline: Pipeline) -> float:
        turn = pipeline.prepare(message)
        started = time.perf_counter()
        async for _ in pipeline.stream(turn, Outcome("", "stop", "stop")):
            return (time.perf_counter() - started) * 1000
        return float("nan")

    medians = []
    for guard in (None, "self"):
        pipeline = Pipeline(chat_model, dataclasses.replace(profile, guard=guard, guard_timeout_s=30), "US")
        medians.append(statistics.median(asyncio.run(first_piece(pipeline)) for _ in range(repeat)))
    return medians[0], medians[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="passes over each input set (default 3)")
    parser.add_argument("--smallest", action="store_true", help="each part once, on its smallest input")
    parser.add_argument("--guard", action="store_true", help="also time the model guard on the tiny model")
    args = parser.parse_args()
    repeat = 1 if args.smallest else args.repeat

    examples = safety.load_labelled(safety.LABELLED_FILE)
    messages = [e.text for e in examples]
    calm = [e.text for e in examples if not e.crisis]
    rng = random.Random(1)
    conversations = []
    for _ in range(20 if args.smallest else 200):
        turns = [{"role": "assistant", "content": "Hi, I'm EAI. How are you feeling today?"}]
        for text in rng.sample(messages, 5):
            turns += [{"role": "user", "content": text}, {"role": "assistant", "content": "I hear you."}]
        conversations.append(turns[:-1])  # 10 messages: a greeting, then 5 user turns and 4 answers

    print(f"{'step':<38} {'input':<40} {'p50 ms':>9} {'p99 ms':>9}")
    one = f"one message ({len(messages)}, mean {statistics.mean(map(len, messages)):.0f} chars)"
    safety.screen("warm up")  # loads the learned layer once, as a server does at start
    for name, fn, inputs, label in (
        ("safety.screen (rules only)", lambda m: safety.screen(m, model=None), messages, one),
        ("safety.screen", safety.screen, messages, one),
        ("safety.screen_conversation (rules)", lambda c: safety.screen_conversation(c, model=None), conversations,
         f"10-turn conversation ({len(conversations)})"),
        ("safety.screen_conversation", safety.screen_conversation, conversations,
         f"10-turn conversation ({len(conversations)})"),
    ):
        t = _times_ms(fn, inputs, repeat)
        print(f"{name:<38} {label:<40} {_pct(t, 0.5):>9.3f} {_pct(t, 0.99):>9.3f}")

    sizes = [1_000, 10_000] if args.smallest else [1_000, 10_000, 50_000, 250_000]
    print(f"\n{'safety.screen, one long message':<34} {'chars':>10} {'ms':>10} {'us per char':>12}")
    for size in sizes:
        text = _distinct_text(calm, size, seed=size)
        t = statistics.median(_times_ms(safety.screen, [text], 1 if size > 50_000 else repeat))
        print(f"{'':<34} {size:>10,} {t:>10.1f} {1000 * t / size:>12.2f}")

    answer = ("I hear you, and it makes sense that you feel this way. " * 6 + "<|im_end|>").strip()
    for name, fn in (("safety.screen_answer", safety.screen_answer),
                     ("textguard.clean_output", textguard.clean_output)):
        t = _times_ms(fn, [answer] * 50, repeat)
        print(f"{name:<34} {f'answer ({len(answer)} chars)':<40} {_pct(t, 0.5):>9.3f} {_pct(t, 0.99):>9.3f}")
    t = _times_ms(textguard.neutralise_special_tokens, messages, repeat)
    print(f"{'textguard.neutralise_special_tokens':<34} {'one message':<40} {_pct(t, 0.5):>9.3f} {_pct(t, 0.99):>9.3f}")

    if args.guard:
        result = _guard_ms(1 if args.smallest else repeat)
        if result:
            print(f"\nguard: self on the tiny model (CPU): first piece {result[0]:.0f} ms without, {result[1]:.0f} ms "
                  f"with the guard: +{result[1] - result[0]:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
