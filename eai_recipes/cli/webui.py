"""`eai webui`: LLaMA-Factory's WebUI with our datasets listed, on loopback by default."""

from __future__ import annotations

import argparse

from eai_recipes.launch.webui import DEFAULT_PORT, LOOPBACK, start_webui


def cmd_webui(args: argparse.Namespace) -> int:
    return start_webui(args.host, args.port, args.share)


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
