"""`eai webui`: LLaMA-Factory's WebUI (LlamaBoard), started where its dataset dropdown lists our datasets
and bound to loopback unless told otherwise.

The WebUI reads `<dataset_dir>/dataset_info.json` relative to the directory it starts in (default `data`)
and shows an empty dropdown, silently, when that file is missing or invalid. So we check the file with the
WebUI's own listing function first, and start it from the project root where `eai data build` wrote it.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import llamafactory_cli
from eai_recipes.launch.run import restore_signals, start_child, stop_child

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
    return [llamafactory_cli(), "webui"]


def start_webui(host: str | None = None, port: int | None = None, share: bool = False) -> int:
    """Check the datasets, then run `llamafactory-cli webui` until it ends; Ctrl-C or SIGTERM stop it and
    everything it started. Returns its exit code."""
    names = check_datasets()
    env = webui_env(host, port, share, dict(os.environ))
    host, port = env["GRADIO_SERVER_NAME"], env["GRADIO_SERVER_PORT"]
    print(f"eai: WebUI datasets ({paths.DATA_DIR}/dataset_info.json): {', '.join(names)}", file=sys.stderr)
    if host not in (LOOPBACK, "localhost", "::1"):
        print(f"eai: warning: the WebUI listens on {host}: anyone who can reach this machine can use it, and it "
              "can start training runs and read local files", file=sys.stderr)
    if share:
        print("eai: warning: --share publishes the WebUI on a public gradio.live link", file=sys.stderr)
    print(f"eai: starting LLaMA-Factory's WebUI on http://{host}:{port} from {Path.cwd()} (Ctrl-C stops it)",
          file=sys.stderr, flush=True)
    proc = start_child(command(), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop_child(proc, signal.SIGINT)
        return 0
    finally:
        restore_signals(proc)
