"""Gradio, made to keep user text to itself and to send no CORS headers.

- Gradio prints the traceback of every failed event with `traceback.print_exc()` (gradio.queueing,
  gradio.routes, gradio.utils). The message of such an error quotes the request: a call with too few inputs
  raises `ValueError("... Received inputs: ['my secret ...']")`, a malformed history a pydantic error with
  `input_value=...`. Those modules' `traceback` is replaced by one whose `print_exc` logs the error's type and
  innermost location only, and counts the request as malformed; everything else is the real module.
- `gr.mount_gradio_app(..., show_error=False)` keeps the message out of the answer as well (see app.py).
- Gradio adds `CustomCORSMiddleware`, which answers any localhost origin with `access-control-allow-origin`
  and `allow-credentials: true`; it is taken out of the mounted app (and `RequestGuard` drops any
  `access-control-*` header that still comes from behind it).
"""

from __future__ import annotations

import logging
import sys
import traceback as _traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("eai.serve")
PRINTING_MODULES = ("gradio.queueing", "gradio.routes", "gradio.utils", "gradio.blocks", "gradio.route_utils")


class QuietTraceback:
    """Stands in for the `traceback` module inside Gradio's modules."""

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._on_error = on_error

    def print_exc(self, *args: Any, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is None:
            return
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb is not None else ""
        log.warning("chat page: a request failed in Gradio [%s%s; message withheld]", type(exc).__name__, where)
        self._on_error(exc)

    def print_exception(self, *args: Any, **kwargs: Any) -> None:
        self.print_exc()

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        return f"{type(exc).__name__} (message withheld)" if exc is not None else ""

    def __getattr__(self, name: str) -> Any:
        return getattr(_traceback, name)


def silence_gradio(on_error: Callable[[BaseException], None]) -> None:
    """Replace `traceback` in Gradio's modules that print tracebacks (call after importing gradio)."""
    quiet = QuietTraceback(on_error)
    for name in PRINTING_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "traceback", None) is not None:
            module.traceback = quiet


def drop_gradio_cors(app: Any) -> int:
    """Take Gradio's CORS middleware out of every Gradio app mounted in `app`; returns how many were removed."""
    from gradio.route_utils import CustomCORSMiddleware
    from starlette.routing import Mount

    removed = 0
    for route in getattr(app, "routes", []):
        inner = getattr(route, "app", None) if isinstance(route, Mount) else None
        middleware = getattr(inner, "user_middleware", None)
        if middleware is None:
            continue
        kept = [m for m in middleware if getattr(m, "cls", None) is not CustomCORSMiddleware]
        removed += len(middleware) - len(kept)
        middleware[:] = kept
        inner.middleware_stack = None  # rebuilt without it on the next request
    return removed
