"""`eai data build | sources`."""


from __future__ import annotations

import argparse

from eai_recipes import paths
from eai_recipes.identity import DEFAULT_AUTHOR, DEFAULT_NAME


def cmd_build(args: argparse.Namespace) -> int:
    from eai_recipes.data.build import build_datasets

    build_datasets(
        args.out,
        offline=args.offline,
        local_dir=args.local_dir,
        name=args.name,
        author=args.author,
        seed=args.seed,
        val_size=args.val_size,
        token_env=args.token_env,
        registry_path=args.registry,
        workers=args.workers,
    )
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from eai_recipes.data.registry import load_registry

    registry = load_registry(args.registry or paths.DATASET_INFO_DIR / "sources.yaml")
    rows = [("key", "role", "on", "hub id / file", "revision", "columns", "licence")]
    for s in registry.sources:
        cols = f"user={'|'.join(s.user_columns)} response={s.response_column}"
        rows.append((s.key, s.role + (f"/{s.draw}" if s.role == "validation" else ""), "yes" if s.enabled else "no",
                     s.hub_id or f"dataset_info/{s.file}", s.revision or "-", cols, s.licence))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser(
        "data", help="build the EAI datasets (Alpaca JSON + dataset_info.json for LLaMA-Factory)",
        description="Build and inspect the datasets EAI is trained and validated on. The sources, their pinned "
                    "revisions and column mappings live in dataset_info/sources.yaml.",
    )
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    b = sub.add_parser(
        "build", help="clean, de-duplicate and write the train/validation sets",
        description=(
            "Read every enabled source of dataset_info/sources.yaml, apply the cleaning rules, de-duplicate the "
            "training set, remove from the validation pool every question also in the training set, draw the "
            "seeded validation sample, and write into --out: eai_train.json, eai_val.json, sources/<key>.json, "
            "dataset_info.json (for llamafactory-cli and the WebUI), rejects.jsonl (every dropped row and its "
            "rule) and manifest.json (revisions, licences, counts per rule, sha256 of every file). Without "
            "--offline or --local-dir the pinned revisions are downloaded from the Hugging Face Hub."
        ),
    )
    mode = b.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true",
                      help="read the small samples shipped in dataset_info/samples/ (no network; the demo)")
    mode.add_argument("--local-dir", metavar="DIR",
                      help="read DIR/<owner>__<name>.<jsonl|json|csv|parquet> for a source instead of downloading "
                           "it (and DIR/identity.json, DIR/identity_verification.json instead of the shipped sets)")
    b.add_argument("--out", default=str(paths.DATA_DIR), help="output folder (default: %(default)s)")
    b.add_argument("--name", default=DEFAULT_NAME, help="the assistant's name in the identity (default: %(default)s)")
    b.add_argument("--author", default=DEFAULT_AUTHOR, help="who built it, in the identity (default: %(default)s)")
    b.add_argument("--seed", type=int, default=42, help="seed of the validation draw (default: %(default)s)")
    b.add_argument("--val-size", type=int, default=None,
                   help="rows drawn between the sampled validation sources (default: validation.size in the "
                        "registry, 1000); the identity checks are added to these")
    b.add_argument("--token-env", default="HF_TOKEN", metavar="VAR",
                   help="environment variable holding a Hugging Face token for gated sources (default: "
                        "%(default)s); the token is never printed or written")
    b.add_argument("--registry", default=None, metavar="FILE",
                   help="source registry (default: dataset_info/sources.yaml)")
    b.add_argument("--workers", type=int, default=None,
                   help="worker processes for big sources (default: 1 below 4 CPUs, else CPUs - 1, at most 4; "
                        "files under 16 MB are always processed in this one)")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("sources", help="list the registered sources", description="Print the source registry.")
    s.add_argument("--registry", default=None, metavar="FILE", help="default: dataset_info/sources.yaml")
    s.set_defaults(func=cmd_sources)
