"""`eai serve`: one process, one model, the API under /v1 and the chat page at /.

Order of work: every check that can fail fast (profile, address and key, free port, model files, LLaMA-Factory's
own argument parser) runs before the weights load; then the model loads once through
`llamafactory.chat.ChatModel`; then uvicorn serves the FastAPI app with the Gradio page mounted in it.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import logging
import os
import re
import socket
import sys
import time
from pathlib import Path

from eai_recipes.errors import EaiError

API_KEY_ENV = "EAI_API_KEY"
log = logging.getLogger("eai.serve")

# Set before gradio, transformers or huggingface_hub are imported: no usage reports leave the machine.
PRIVATE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_SSR_MODE": "False",
    "API_VERBOSE": "0",  # LLaMA-Factory's request logging (its own API; off in case a module of it is reused)
    "LLAMAFACTORY_VERBOSITY": "WARNING",
    "TRANSFORMERS_VERBOSITY": "warning",
    "TOKENIZERS_PARALLELISM": "false",
}
QUIET_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "gradio", "httpx", "httpcore",
                 "llamafactory", "transformers", "peft", "accelerate", "bitsandbytes", "sse_starlette", "asyncio")


def set_private_env() -> None:
    for key, value in PRIVATE_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # never on, whatever the environment says


class RedactExceptions(logging.Filter):
    """Keep a traceback's type and innermost location, drop its message and frames: an exception's message
    may quote the text of a conversation (uvicorn logs every unhandled exception with its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb is not None else ""
            record.msg = f"{record.getMessage()} [{type(exc).__name__}{where}; message withheld]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(log_file: Path | None) -> None:
    """Our own counts and timings at INFO; every library at WARNING, where none of them logs message text."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactExceptions())
        root.addHandler(h)
    root.setLevel(logging.WARNING)
    log.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        # bitsandbytes warns on every CPU start about optional kernels it does not need
        logger.setLevel(logging.ERROR if name == "bitsandbytes" else logging.WARNING)
        for h in list(logger.handlers):  # their own stdout handlers (LLaMA-Factory installs one)
            logger.removeHandler(h)
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # paths only, but counts and timings are ours


def quiet_libraries() -> None:
    """After the libraries are imported: they set their own levels and handlers on import."""
    import transformers

    transformers.utils.logging.set_verbosity_warning()
    transformers.utils.logging.disable_default_handler()
    transformers.utils.logging.enable_propagation()
    for name in ("llamafactory", "transformers"):
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.setLevel(logging.WARNING)
        logger.propagate = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        raise EaiError(f"--host {host}: cannot resolve this name; use an IP address such as 127.0.0.1") from None
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_binding(host: str, port: int, api_key: str | None) -> None:
    if not is_loopback(host) and not api_key:
        make_key = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        raise EaiError(
            f"refusing to listen on {host}: it is reachable from other machines and no API key is set. "
            f"Set {API_KEY_ENV} (e.g. `export {API_KEY_ENV}=$({make_key})`) or keep the default --host 127.0.0.1"
        )
    if api_key is not None:
        from eai_recipes.serving.limits import check_api_key

        check_api_key(api_key, API_KEY_ENV)
    if not 0 < port < 65536:
        raise EaiError(f"--port {port}: expected 1-65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EaiError(f"cannot listen on {host}:{port} ({exc.strerror}); is another server running there? "
                           "Pick another --port") from None


# The page may load and talk to this server only: Gradio's HTML also asks a public CDN for a script
# (iframe-resizer), which would tell a third party who opens the page and when.
PAGE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob: data:; connect-src 'self'; "
            "worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")


# Paths that need the API key when one is set (the page has its own login, by Gradio).
KEYED_PATHS = ("/v1/", "/docs", "/redoc", "/openapi.json", "/metrics")
# Requests that start an answer: the API's, and the page's (Gradio's queue, and its per-route call API).
CHAT_POSTS = ("/v1/chat/completions", "/gradio_api/queue/join", "/gradio_api/call/", "/gradio_api/run/",
              "/gradio_api/api/")
# Gradio routes the chat page does not use and that would store what a client sends.
CLOSED_PATHS = ("/gradio_api/upload", "/upload")
# Requests that hold an answer being generated open (stream caps).
STREAM_GETS = ("/gradio_api/queue/data", "/gradio_api/call/")


def _origin_of(headers: dict[bytes, bytes]) -> str | None:
    origin = headers.get(b"origin")
    return None if origin is None else origin.decode("latin-1").strip().lower()


class RequestGuard:
    """Pure ASGI middleware (no per-chunk cost on streams), in front of the API and the page. In this order,
    every check before a byte of the body is read: the Host name (a loopback server answers to loopback names
    only), the browser Origin (same origin or one the profile allows; no CORS headers otherwise), the body
    size, the API key (with a wait after repeated wrong keys), the client's request rate and the answers it
    has open. Counts requests and refusals (numbers only), logs API calls (path, status, milliseconds) and
    sets the page's security headers."""

    def __init__(self, app, *, max_bytes: int, stats, allowed_hosts: list[str] | None = None,
                 api_key: str | None = None, security=None) -> None:
        from eai_recipes.serving.limits import AuthThrottle, RateLimiter, StreamCaps
        from eai_recipes.serving.profile import Security

        security = security or Security()
        self.app, self.max_bytes, self.stats, self.api_key = app, max_bytes, stats, api_key
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
        self.cors_origins = set(security.cors_origins)
        self.rate = RateLimiter(security.requests_per_minute, security.burst)
        self.streams = StreamCaps(security.max_streams_per_client)
        self.auth = AuthThrottle(security.max_auth_failures)

    @staticmethod
    async def _refuse(send, status: int, message: str, code: str, headers: list | None = None) -> None:
        from eai_recipes.serving.api import error_body

        body = json.dumps(error_body(status, message, code=code)).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"referrer-policy", b"no-referrer"), *(headers or [])]})
        await send({"type": "http.response.body", "body": body})

    def _host_allowed(self, headers: dict[bytes, bytes]) -> bool:
        if self.allowed_hosts is None:
            return True
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        name = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0] if ":" in host else host
        return name in self.allowed_hosts

    def _same_origin(self, origin: str, headers: dict[bytes, bytes]) -> bool:
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        return bool(host) and origin in (f"http://{host}", f"https://{host}")

    def _key_ok(self, headers: dict[bytes, bytes]) -> bool:
        import secrets

        given = headers.get(b"authorization", b"").decode("latin-1").strip()
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        return secrets.compare_digest(token.strip().encode("latin-1"), self.api_key.encode())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from eai_recipes.serving.limits import retry_after

        path, method = scope["path"], scope["method"]
        api_call = path.startswith("/v1/")
        chat_post = method == "POST" and path.startswith(CHAT_POSTS)
        if chat_post:
            self.stats.requests["api" if api_call else "page"] += 1
        client = (scope.get("client") or ("unknown", 0))[0]
        headers = dict(scope.get("headers") or [])

        async def refuse(status: int, reason: str, message: str, code: str, extra: list | None = None) -> None:
            self.stats.refuse(reason)
            log.info("%s %s %d refused: %s", method, path, status, reason)
            await self._refuse(send, status, message, code, extra)

        if not self._host_allowed(headers):
            # A loopback server answers to loopback names only: a web page cannot reach it by DNS rebinding.
            await refuse(400, "host", "this server answers to 127.0.0.1 and localhost only (see eai serve --host)",
                         "host_not_allowed")
            return
        origin = _origin_of(headers)
        cors = origin is not None and origin in self.cors_origins
        if origin is not None and not cors and not self._same_origin(origin, headers):
            # Another web page (any site, or a local one) may not drive the chat through the visitor's browser.
            await refuse(403, "origin", "requests from other web pages are not accepted (see security.cors_origins "
                                        "in the serving profile)", "origin_not_allowed")
            return
        if cors and method == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"authorization, content-type"),
                (b"access-control-max-age", b"600")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if path.startswith(CLOSED_PATHS):
            # The page has no file inputs: Gradio's upload route would write a client's files to disk.
            await refuse(404, "malformed", "this server takes no file uploads", "not_found")
            return
        length = headers.get(b"content-length", b"").decode()
        if length.isdigit() and int(length) > self.max_bytes:
            await refuse(413, "size", f"the request body is {length} bytes; the limit is {self.max_bytes}",
                         "request_too_large")
            return
        if self.api_key is not None and path.startswith(KEYED_PATHS):
            wait = self.auth.wait(client)
            if wait > 0:
                await refuse(429, "auth_wait", "too many wrong API keys from this client; wait before trying again",
                             "too_many_auth_failures", [(b"retry-after", retry_after(wait).encode())])
                return
            if not self._key_ok(headers):
                self.auth.failed(client)
                await refuse(401, "auth", "missing or wrong API key: send 'Authorization: Bearer <EAI_API_KEY>'",
                             "invalid_api_key", [(b"www-authenticate", b"Bearer")])
                return
            self.auth.succeeded(client)
        login = method == "POST" and path.rstrip("/").endswith("/login") and self.api_key is not None
        if login:
            wait = self.auth.wait(client)
            if wait > 0:
                await refuse(429, "auth_wait", "too many wrong passwords from this client; wait before trying again",
                             "too_many_auth_failures", [(b"retry-after", retry_after(wait).encode())])
                return
        if chat_post:
            wait = self.rate.take(client)
            if wait > 0:
                await refuse(429, "rate", "too many requests from this client; wait before sending more",
                             "rate_limited", [(b"retry-after", retry_after(wait).encode())])
                return
        holds_stream = (method == "POST" and api_call and path == "/v1/chat/completions") or (
            method == "GET" and path.startswith(STREAM_GETS))
        if holds_stream and not self.streams.acquire(client):
            await refuse(429, "streams", f"this client already has {self.streams.limit} answers in progress; "
                                         "wait for one to finish", "too_many_streams", [(b"retry-after", b"1")])
            return
        try:
            if not length and method in ("POST", "PUT", "PATCH"):
                body, more = b"", True  # no length given: read it here, within the limit, then replay it
                while more:
                    message = await receive()
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > self.max_bytes:
                        await refuse(413, "size", f"the request body is over the limit of {self.max_bytes} bytes",
                                     "request_too_large")
                        return
                replayed = False

                async def receive():
                    nonlocal replayed
                    if not replayed:
                        replayed = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    return {"type": "http.disconnect"}

            await self._pass_on(scope, receive, send, api_call=api_call, login=login, client=client,
                                cors_origin=origin if cors else None)
        finally:
            if holds_stream:
                self.streams.release(client)

    async def _pass_on(self, scope, receive, send, *, api_call: bool, login: bool, client: str,
                       cors_origin: str | None) -> None:
        started = time.monotonic()
        status = 0

        async def guarded_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # No CORS header from anything behind this guard (Gradio adds its own for localhost origins).
                kept = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")]
                extra = [(b"referrer-policy", b"no-referrer")]
                if cors_origin is not None:
                    extra += [(b"access-control-allow-origin", cors_origin.encode()), (b"vary", b"Origin")]
                if not api_call:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": [*kept, *extra]}
                self.stats.errors += status >= 500
                if login:
                    (self.auth.failed if status >= 400 else self.auth.succeeded)(client)
            elif message["type"] == "http.response.body" and not message.get("more_body") and api_call:
                log.info("%s %s %d %.0f ms", scope["method"], scope["path"], status,
                         1000 * (time.monotonic() - started))
            await send(message)

        await self.app(scope, receive, guarded_send)


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1"]


def build_app(pipeline, *, model_id: str, api_key: str | None, with_page: bool = True, ready_message: str = "",
              allowed_hosts: list[str] | None = None):
    """The FastAPI app with the API routes and, unless `with_page` is False, the chat page mounted at /.

    `allowed_hosts`: Host headers to accept (a loopback server accepts its loopback names only, so a web page
    cannot reach it through DNS rebinding); None accepts any.
    """
    from fastapi import FastAPI

    from eai_recipes.serving import api
    from eai_recipes.serving.limits import Stats

    stats = Stats()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if ready_message:
            log.info(ready_message)
        yield

    app = FastAPI(title="EAI", description=api.DISCLAIMER, lifespan=lifespan)
    api.install_error_handlers(app, stats)
    api.add_routes(app, pipeline, model_id=model_id, api_key=api_key, stats=stats)
    app.add_middleware(RequestGuard, max_bytes=pipeline.profile.limits.max_request_bytes, stats=stats,
                       allowed_hosts=allowed_hosts, api_key=api_key, security=pipeline.profile.security)
    if with_page:
        import secrets

        import gradio as gr

        from eai_recipes.serving.page import build_page

        def key_as_password(_user: str, password: str) -> bool:
            return secrets.compare_digest(password.encode(), (api_key or "").encode())

        auth = key_as_password if api_key is not None else None
        from eai_recipes.serving.gradio_quiet import drop_gradio_cors, silence_gradio

        silence_gradio(lambda _exc: stats.refuse("malformed"))
        page = build_page(pipeline, title=pipeline.profile.identity_name, stats=stats)
        with contextlib.redirect_stdout(io.StringIO()):  # gradio 5 prints a stray debug line when mounting
            app = gr.mount_gradio_app(app, page, path="/", auth=auth, show_api=False, ssr_mode=False,
                                      show_error=False,
                                      auth_message=f"Enter any user name and the API key ({API_KEY_ENV}) as "
                                                   "password.")
        drop_gradio_cors(app)
    return app


def serve(*, profile_name: str, run: str | None, source: str | None, host: str, port: int, locale: str | None,
          log_file: Path | None, with_page: bool = True) -> int:
    set_private_env()
    configure_logging(log_file)
    from eai_recipes.serving.model import load_chat_model, plan_model, validate_plan
    from eai_recipes.serving.profile import load_serving_profile

    profile = load_serving_profile(profile_name)
    api_key = os.environ.get(API_KEY_ENV) or None
    check_binding(host, port, api_key)
    locale = locale or profile.locale
    from eai_recipes import safety

    resolved = safety.resolve_locale(locale)
    table = safety.load_resources()
    parts = {locale.strip().upper(), *(p for p in re.split(r"[-_.@\s]+", locale.strip().upper()) if p)}
    if not parts & (set(table["locales"]) | set(table["aliases"])):
        known = ", ".join(sorted(e["code"] for e in table["locales"].values()))
        log.warning("locale %s is not listed in the crisis resources (%s); showing those of %s", locale, known,
                    resolved)
    log.info("crisis resources: %s", table["locales"][resolved]["label"])
    from eai_recipes.hardware import has_cuda
    from eai_recipes.recipes.profiles import load_profile

    if load_profile(profile.training_profile).requires_gpu and not has_cuda():
        raise EaiError(f"serving profile '{profile.name}' serves a model that needs a CUDA GPU (training profile "
                       f"'{profile.training_profile}') and none was found; on a CPU run `make chat` "
                       "(`eai serve --profile tiny`)")
    plan = plan_model(profile, source=source, run=run)
    log.info("profile %s: loading %s", profile.name, plan.summary)
    started = time.monotonic()
    validate_plan(plan)
    chat_model = load_chat_model(plan, profile.generation.timeout_s)
    quiet_libraries()
    log.info("model loaded in %.1f s", time.monotonic() - started)

    from eai_recipes.serving.pipeline import Pipeline

    pipeline = Pipeline(chat_model, profile, locale)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    ready = (f"EAI is ready: chat page {url}/  API {url}/v1/chat/completions  "
             f"({'API key required' if api_key else 'no API key: loopback only'})")
    allowed = sorted({*LOOPBACK_NAMES, host}) if is_loopback(host) else None
    app = build_app(pipeline, model_id="eai", api_key=api_key, with_page=with_page, ready_message=ready,
                    allowed_hosts=allowed)

    import uvicorn

    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, log_level="warning",
                server_header=False)
    return 0
