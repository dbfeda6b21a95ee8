"""`eai webui`: LLaMA-Factory's WebUI (LlamaBoard), started where its dataset dropdown lists our datasets
and bound to loopback unless told otherwise.

The WebUI reads `<dataset_dir>/dataset_info.json` relative to the directory it starts in (default `data`)
and shows an empty dropdown, silently, when that file is missing or invalid. So we check the file with the
WebUI's own listing function first, and start it from the project root where `eai data build` wrote it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 7860


def listed_datasets(dataset_dir: Path = paths.DATA_DIR) -> list[str]:
    """The training datasets LLaMA-Factory's WebUI dropdown lists for `dataset_dir` (its own function)."""
    from llamafactory.webui.control import list_datasets

    return [value for _, value in list_datasets(dataset_dir.as_posix()).choices]


def check_datasets(dataset_dir: Path = paths.DATA_DIR) -> list[str]:
    info = dataset_dir / "dataset_info.json"
    if not info.is_file():
        raise EaiError(f"{info} not found: the WebUI's dataset dropdown would be empty; build the datasets "
                       "first with `eai data build` (or `eai data build --offline`)")
    names = listed_datasets(dataset_dir)
    if not names:
        raise EaiError(f"{info} lists no training dataset the WebUI can read (invalid JSON or no entries); "
                       "rebuild it with `eai data build`")
    return names


def webui_env(host: str | None, port: int | None, share: bool, environ: dict[str, str]) -> dict[str, str]:
    """The WebUI's environment: loopback unless --host or GRADIO_SERVER_NAME says otherwise; no public share
    link and no usage analytics unless asked for."""
    env = dict(environ)
    env["GRADIO_SERVER_NAME"] = host or environ.get("GRADIO_SERVER_NAME") or LOOPBACK
    env["GRADIO_SERVER_PORT"] = str(port or environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    env["GRADIO_SHARE"] = "1" if share else "0"
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return env


def command() -> list[str]:
    from eai_recipes.launch import llamafactory_cli

    return [llamafactory_cli(), "webui"]


def cmd_webui(args: argparse.Namespace) -> int:
    names = check_datasets()
    env = webui_env(args.host, args.port, args.share, dict(os.environ))
    host, port = env["GRADIO_SERVER_NAME"], env["GRADIO_SERVER_PORT"]
    print(f"eai: WebUI datasets ({paths.DATA_DIR}/dataset_info.json): {', '.join(names)}", file=sys.stderr)
    if host not in (LOOPBACK, "localhost", "::1"):
        print(f"eai: warning: the WebUI listens on {host}: anyone who can reach this machine can use it, and it "
              "can start training runs and read local files", file=sys.stderr)
    if args.share:
        print("eai: warning: --share publishes the WebUI on a public gradio.live link", file=sys.stderr)
    print(f"eai: starting LLaMA-Factory's WebUI on http://{host}:{port} from {Path.cwd()} (Ctrl-C stops it)",
          file=sys.stderr, flush=True)
    try:
        return subprocess.run(command(), env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "webui", help="start LLaMA-Factory's WebUI with our datasets listed (loopback only by default)",
        description="Check data/dataset_info.json with the WebUI's own dataset listing, then run "
                    "`llamafactory-cli webui` from this directory so its dataset dropdown lists our datasets "
                    "(dataset dir: data). It binds to 127.0.0.1 unless --host or GRADIO_SERVER_NAME says "
                    "otherwise. It writes llamaboard_cache/, llamaboard_config/ and saves/ here.",
    )
    p.add_argument("--host", help=f"address to listen on (default: GRADIO_SERVER_NAME or {LOOPBACK})")
    p.add_argument("--port", type=int, help=f"port (default: GRADIO_SERVER_PORT or {DEFAULT_PORT})")
    p.add_argument("--share", action="store_true", help="also publish a public gradio.live link (off by default)")
    p.set_defaults(func=cmd_webui)
