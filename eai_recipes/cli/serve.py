"""`eai serve`."""


from __future__ import annotations

import argparse
from pathlib import Path

from eai_recipes.serving.profile import SOURCES, available_serving_profiles


def cmd_serve(args: argparse.Namespace) -> int:
    from eai_recipes.serving.app import serve

    return serve(profile_name=args.profile, run=args.run_name, source=args.model_source, host=args.host,
                 port=args.port, locale=args.locale, log_file=Path(args.log_file) if args.log_file else None,
                 with_page=not args.no_page)


def register(subparsers: argparse._SubParsersAction) -> None:
    profiles = ", ".join(available_serving_profiles()) or "none"
    p = subparsers.add_parser(
        "serve", help="chat with EAI: an OpenAI-compatible API and a chat page on loopback",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Load the model through LLaMA-Factory's chat engine and serve, in one process:\n"
            "  /                      a chat page (streams answers, shows crisis resources)\n"
            "  /v1/chat/completions   OpenAI-compatible chat, streaming (SSE) or not\n"
            "  /v1/models             the model, with the disclaimer in its description\n"
            "Every user message is screened for crisis before anything is generated; client system messages\n"
            "are ignored (EAI's identity prompt is always used); answers are cleaned before they are sent.\n"
            "No message text is logged: only request counts and timings.\n\n"
            "Binds 127.0.0.1 unless --host says otherwise; any other address needs an API key in the\n"
            "environment variable EAI_API_KEY, which the API then requires as 'Authorization: Bearer <key>'\n"
            "(and the page as password)."
        ),
        epilog="example: eai serve --profile tiny --run-name demo   # then open http://127.0.0.1:8000/",
    )
    p.add_argument("--profile", default="tiny", help=f"serving profile in recipes/serving/ ({profiles}; "
                                                      "default: %(default)s)")
    p.add_argument("--run-name", help="serve the adapter or merged export of runs/<RUN_NAME>/ "
                                      "(default: the profile's model.run)")
    p.add_argument("--model-source", choices=SOURCES,
                   help="adapter: base model + runs/<run>/adapter; merged: runs/<run>/merged; "
                        "base: the base model without fine-tuning (default: the profile's model.source)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s; "
                                                       "non-loopback needs EAI_API_KEY)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--locale", help="crisis resources to show (default: the profile's locale)")
    p.add_argument("--log-file", help="also write the server log (counts and timings only) to this file")
    p.add_argument("--no-page", action="store_true", help="serve the API only, without the chat page")
    p.set_defaults(func=cmd_serve)
