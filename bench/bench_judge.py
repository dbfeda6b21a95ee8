"""Judging throughput: the judge's batched pass (`eai judge`: LLaMA-Factory's predict with the judge profile's
batch, left padding) against the same pass one prompt at a time (batch 1), on the tiny model, alternating.

Both run the real judge path (eai_recipes.evaluation.judge.llamafactory_generator): the same counselbench prompts
(the base model's and the adapter-free model's answers to the validation questions are not needed: the tiny
model's own validation rows serve as question and answer), the same greedy decoding, one `llamafactory-cli train`
process per pass. Prints, per pair and as medians: LLaMA-Factory's predict_samples_per_second (its generation
loop, start-up excluded), judgments per wall-clock second (process start and model load included), the ratios,
and how many replies were identical between the two batch sizes.

    .venv/bin/python bench/bench_judge.py [--pairs 3] [--samples 64] [--batch 16] [--max-new-tokens 64]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EAI = [sys.executable, "-m", "eai_recipes.cli"]


def one_pass(profile, requests, work: Path, batch: int) -> dict:
    from eai_recipes.evaluation.judge import llamafactory_generator

    generate = llamafactory_generator(profile, work, quiet=True, batch_size=batch)
    start = time.perf_counter()
    replies = generate(requests)
    wall = time.perf_counter() - start
    results = json.loads((work / "pass-1" / "predict" / "predict_results.json").read_text())
    return {"lf_sps": results["predict_samples_per_second"], "wall_sps": len(requests) / wall, "wall": wall,
            "replies": replies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="alternating batched/one-by-one pairs (default 3)")
    parser.add_argument("--samples", type=int, default=64, help="judge prompts per pass (default 64)")
    parser.add_argument("--batch", type=int, default=16, help="batch of the batched pass (default 16, the tiny "
                                                              "judge profile's)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="judge reply budget (default 64)")
    parser.add_argument("--workdir", help="a directory with models/tiny-phi4 (default: a scratch dir, built here)")
    args = parser.parse_args()

    from eai_recipes.evaluation.judge import single_requests
    from eai_recipes.evaluation.rubrics import load_judge_profile, load_rubric

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="eai-bench-judge-"))
    model = work / "models" / "tiny-phi4"
    if not (model / "config.json").exists():
        print(f"building the tiny model in {work}", file=sys.stderr)
        subprocess.run([*EAI, "tiny-model", "--out", str(model)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    profile = load_judge_profile("tiny").model_copy(update={"model": str(model)})
    profile = profile.model_copy(update={"decoding": profile.decoding.model_copy(
        update={"max_new_tokens": args.max_new_tokens})})
    rubric = load_rubric(profile.rubric)
    if not (work / "data" / "eai_val.json").exists():  # the shipped offline samples, as the demo builds them
        subprocess.run([*EAI, "data", "build", "--offline", "--out", str(work / "data")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    val = json.loads((work / "data" / "eai_val.json").read_text())
    rows = (val * (args.samples // len(val) + 1))[:args.samples]
    pairs = [{"question": r["instruction"] + (" " + r["input"] if r.get("input") else ""),
              "reference": r["output"], "base": r["output"], "eai": r["output"]} for r in rows]
    requests = single_requests(rubric, pairs)[:args.samples]
    print(f"{len(requests)} judge prompts ({rubric.label}), tiny model, greedy, max_new_tokens "
          f"{args.max_new_tokens}; batched = batch {args.batch}, one-by-one = batch 1", file=sys.stderr)

    one_pass(profile, requests[:min(4, len(requests))], work / "warmup", args.batch)  # disk cache, jieba cache
    ratios_lf, ratios_wall, same = [], [], []
    batched_lf, single_lf, batched_wall, single_wall = [], [], [], []
    for i in range(args.pairs):
        order = [("batched", args.batch), ("one-by-one", 1)]
        if i % 2:
            order.reverse()  # A B, then B A: drift in the machine's load falls on both
        got = {name: one_pass(profile, requests, work / f"p{i}-{name}", b) for name, b in order}
        b, s = got["batched"], got["one-by-one"]
        batched_lf.append(b["lf_sps"]), single_lf.append(s["lf_sps"])
        batched_wall.append(b["wall_sps"]), single_wall.append(s["wall_sps"])
        ratios_lf.append(b["lf_sps"] / s["lf_sps"]), ratios_wall.append(b["wall_sps"] / s["wall_sps"])
        same.append(sum(x == y for x, y in zip(b["replies"], s["replies"])))
        print(f"pair {i + 1}: batched {b['lf_sps']:.2f}/s gen, {b['wall_sps']:.2f}/s wall ({b['wall']:.1f} s); "
              f"one-by-one {s['lf_sps']:.2f}/s gen, {s['wall_sps']:.2f}/s wall ({s['wall']:.1f} s); "
              f"ratio {ratios_lf[-1]:.2f}x gen, {ratios_wall[-1]:.2f}x wall")
    med = statistics.median
    print(f"\njudgments/s, generation loop (LLaMA-Factory's predict_samples_per_second, median): batched "
          f"{med(batched_lf):.2f}, one-by-one {med(single_lf):.2f}")
    print(f"judgments/s, wall (process start and model load included, median): batched {med(batched_wall):.2f}, "
          f"one-by-one {med(single_wall):.2f}")
    print(f"ratio batched/one-by-one (median of {args.pairs}): {med(ratios_lf):.2f}x generation, "
          f"{med(ratios_wall):.2f}x wall (goal >= 3x: {'met' if med(ratios_lf) >= 3 else 'NOT met'})")
    print(f"identical replies between batch sizes: {min(same)}-{max(same)} of {len(requests)}")


if __name__ == "__main__":
    main()
