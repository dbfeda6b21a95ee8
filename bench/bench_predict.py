"""Predict speed: our predict (`eai predict`, the recipe's batch with left padding and its max_new_tokens)
against LLaMA-Factory's predict with batch size 1, on the tiny model, alternating in one run.

Both go through `llamafactory-cli train` with do_predict on the same rendered predict_base.yaml (the base
model, so no training is needed); the only difference is `per_device_eval_batch_size` (LLaMA-Factory pads
on the left for generation itself). Prints, per run and as medians: LLaMA-Factory's own
predict_samples_per_second (the generation loop) and samples per wall-clock second (process start and model
load included), their ratios, and how many answers are identical between the two batch sizes.

    .venv/bin/python bench/bench_predict.py [--pairs 3] [--samples 128] [--max-new-tokens N]

The vLLM path (`eai eval --backend vllm`) needs a CUDA GPU and vLLM: it is not measured here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EAI = [sys.executable, "-m", "eai_recipes.cli"]
LLAMAFACTORY = str(Path(sys.executable).parent / "llamafactory-cli")


def run(cmd: list[str], cwd: Path, out_dir: Path) -> dict:
    """Run one predict; return LLaMA-Factory's samples/s, wall samples/s and the answers."""
    shutil.rmtree(cwd / out_dir, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise SystemExit(f"`{' '.join(cmd)}` exited with code {proc.returncode}; last lines:\n{tail}")
    results = json.loads((cwd / out_dir / "predict_results.json").read_text())
    rows = [json.loads(line) for line in (cwd / out_dir / "generated_predictions.jsonl").read_text().splitlines()]
    return {"lf_sps": results["predict_samples_per_second"], "wall_sps": len(rows) / wall, "wall": wall,
            "answers": [r["predict"] for r in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="alternating ours/batch-1 pairs (default 3)")
    parser.add_argument("--samples", type=int, default=128, help="prompts per run (default 128)")
    parser.add_argument("--max-new-tokens", type=int, help="override the tiny profile's max_new_tokens")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eai-bench-predict-"))
    try:
        print(f"scratch dir {work}; setting up the tiny model and the offline datasets", file=sys.stderr)
        subprocess.run([*EAI, "tiny-model", "--out", "models/tiny-phi4"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([*EAI, "data", "build", "--offline", "--out", "data"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # More prompts than the 33 shipped validation rows, so that start-up and LLaMA-Factory's metric
        # computation (both inside its predict_runtime) weigh less: the rows repeated, as dataset bench_val.
        val = json.loads((work / "data" / "eai_val.json").read_text())
        rows = (val * (args.samples // len(val) + 1))[:args.samples]
        (work / "data" / "bench_val.json").write_text(json.dumps(rows))
        info = json.loads((work / "data" / "dataset_info.json").read_text())
        info["bench_val"] = {**info["eai_val"], "file_name": "bench_val.json"}
        (work / "data" / "dataset_info.json").write_text(json.dumps(info, indent=2))
        sets = ["--set", "eval_dataset=bench_val"]
        sets += ["--set", f"max_new_tokens={args.max_new_tokens}"] if args.max_new_tokens else []
        ours = [*EAI, "predict", "--profile", "tiny", "--run-name", "bench", "--which", "base", *sets]
        subprocess.run([*EAI, "recipes", "render", "--profile", "tiny", "--run-name", "bench", *sets], cwd=work,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import yaml

        config = yaml.safe_load((work / "runs/bench/predict_base.yaml").read_text())
        batch, max_new = config["per_device_eval_batch_size"], config["max_new_tokens"]
        bs1_dir = Path("runs/bench/predict/base-bs1")
        batch1 = [LLAMAFACTORY, "train", "runs/bench/predict_base.yaml", "per_device_eval_batch_size=1",
                  f"output_dir={bs1_dir.as_posix()}"]
        run(ours, work, Path("runs/bench/predict/base"))  # warm-up: validation stamp, jieba cache, disk cache

        mine, single = [], []
        for i in range(args.pairs):
            mine.append(run(ours, work, Path("runs/bench/predict/base")))
            single.append(run(batch1, work, bs1_dir))
            print(f"pair {i + 1}: ours {mine[-1]['lf_sps']:.2f} samples/s (wall {mine[-1]['wall']:.1f}s)  "
                  f"batch 1 {single[-1]['lf_sps']:.2f} samples/s (wall {single[-1]['wall']:.1f}s)  "
                  f"ratio {mine[-1]['lf_sps'] / single[-1]['lf_sps']:.2f}x", file=sys.stderr)

        def med(runs: list[dict], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        n = len(mine[0]["answers"])
        same = sum(a == b for a, b in zip(mine[-1]["answers"], single[-1]["answers"]))
        print(f"samples per run                     {n} (the validation rows repeated; tiny model, CPU, "
              f"max_new_tokens {max_new})")
        print(f"ours: batch {batch}, left padding     {med(mine, 'lf_sps'):8.2f} samples/s (LLaMA-Factory's figure)"
              f"  {med(mine, 'wall_sps'):6.2f} samples/s wall")
        print(f"LLaMA-Factory predict, batch 1      {med(single, 'lf_sps'):8.2f} samples/s (LLaMA-Factory's figure)"
              f"  {med(single, 'wall_sps'):6.2f} samples/s wall")
        # The median of the per-pair ratios: each pair ran back to back, so it is the side-by-side figure
        # even when other work on the machine slows some pairs down.
        def ratio(key: str) -> float:
            return statistics.median(a[key] / b[key] for a, b in zip(mine, single))

        print(f"ratio ours / batch 1 (generation)   {ratio('lf_sps'):8.2f}x  (median of per-pair ratios)")
        print(f"ratio ours / batch 1 (wall)         {ratio('wall_sps'):8.2f}x  (median of per-pair ratios)")
        print(f"identical answers, batch {batch} vs 1     {same}/{n}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
