"""`eai gpu-check` and `eai gpu-check wheels`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _layers(text: str) -> list[int]:
    try:
        layers = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers {text!r}: expected depths such as 2,4,8") from None
    if len(layers) < 2 or layers[0] < 1:
        raise argparse.ArgumentTypeError("--layers needs two depths at least (a line per layer needs two points)")
    return layers


def cmd_gpu_check(args: argparse.Namespace) -> int:
    from eai_recipes.gpu_check import check

    if args.plan:
        for step in check.select(check.plan(args.layers), args.only):
            print(f"{step.group:6s} {step.name:28s} {step.title}")
        return 0
    report = check.run_gpu_check(Path(args.out), layers=args.layers, budget_s=args.budget_s, only=args.only,
                                 wheel_dir=Path(args.install_wheels) if args.install_wheels else None)
    c = report["counts"]
    print(f"gpu-check: {c['pass']} passed, {c['fail']} failed, {c['skipped']} skipped; "
          f"report: {args.out}/report.md (and report.json, calibration.yaml)")
    return 1 if c["fail"] else 0


def cmd_wheels(args: argparse.Namespace) -> int:
    from eai_recipes.gpu_check import wheels

    manifest = wheels.gather(Path(args.dest), part_limit_mib=args.part_mib)
    print(wheels.summary(manifest))
    print(f"manifest: {args.dest}/manifest.json")
    if len(manifest["parts"]) > 1:
        print("note: more than one part: a device call carries 64 MiB in all, so install the parts in successive "
              "calls (eai gpu-check install DIR), then run the check; see recipes/README.md", file=sys.stderr)
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from eai_recipes.gpu_check import wheels

    done = wheels.install(Path(args.dir))
    print(done.strip().splitlines()[-1] if done.strip() else "installed")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gpu-check", help="GPU acceptance: every CUDA path run, Phi-4's memory measured (needs a GPU)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run every CUDA path of the project on the tiny model (QLoRA 4-bit in bf16 and fp16, SDPA and\n"
            "FlashAttention-2, resume, predict with transformers and vLLM, export, eai serve) and measure Phi-4's\n"
            "real shape with random weights at a few depths under each GPU profile's settings; peak memory and\n"
            "tokens/s are fitted per layer and extrapolated to 40 layers. Each step passes, fails or is skipped\n"
            "with a reason; one failure never stops the others. Writes runs/gpu-check/report.json, report.md and\n"
            "calibration.yaml. Offline: carried wheels are installed with --install-wheels.\n"
            "On a machine without a CUDA GPU it stops at once (see recipes/README.md, GPU acceptance check)."
        ),
    )
    p.add_argument("--out", default="runs/gpu-check", help="output directory (default: %(default)s)")
    p.add_argument("--layers", type=_layers, default=[2, 4, 8], help="Phi-4-shaped depths to measure (default: 2,4,8)")
    p.add_argument("--budget-s", type=float, default=480, help="time budget in seconds (default: %(default)s)")
    p.add_argument("--only", nargs="+", metavar="PREFIX",
                   help="run only the steps whose name starts with one of these (plus setup), e.g. shape-train tiny-")
    p.add_argument("--install-wheels", metavar="DIR", help="first install the wheels under DIR (make gpu-wheels) "
                                                           "offline into .gpu-site/")
    p.add_argument("--plan", action="store_true", help="list the steps and exit (works without a GPU)")
    p.set_defaults(func=cmd_gpu_check)
    sub = p.add_subparsers(dest="gpu_check_command", metavar="ACTION")
    w = sub.add_parser("wheels", help="download the wheels the GPU machine lacks (needs PyPI)",
                       description="pip download --no-deps, for CPython 3.11 manylinux x86_64, of llamafactory==0.9.5, "
                                   "bitsandbytes and the rest the GPU machine lacks, at constraints.txt's pins (else "
                                   "the version installed here), into parts of at most --part-mib MiB with a "
                                   "manifest.")
    w.add_argument("--dest", default="wheels/gpu", help="folder (default: %(default)s)")
    w.add_argument("--part-mib", type=int, default=60, help="largest part in MiB (default: %(default)s)")
    w.set_defaults(func=cmd_wheels)
    i = sub.add_parser("install", help="install carried wheels offline into .gpu-site/",
                       description="pip install --no-index --no-deps --target .gpu-site of every wheel under DIR.")
    i.add_argument("dir", metavar="DIR")
    i.set_defaults(func=cmd_install)
