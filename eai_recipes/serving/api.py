"""The OpenAI-compatible API: `/v1/chat/completions` (streaming and not), `/v1/models`, `/health`.

Request and response shapes are LLaMA-Factory's own (`llamafactory.api.protocol`), extended with one `eai`
object that carries what a client needs to show beside the answer: whether the message was a crisis and the
resources to show, notices (history truncated, system message ignored), why the answer stopped, and the
disclaimer. The `X-EAI-Crisis` header says the same before the first byte of a stream.
Errors use OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, and never echo user text.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import time
import uuid
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security.http import HTTPAuthorizationCredentials, HTTPBearer
from llamafactory.api.common import jsonify
from llamafactory.api.protocol import (
    ChatCompletionMessage,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseUsage,
    ChatCompletionStreamResponse,
    ChatCompletionStreamResponseChoice,
    Finish,
    ModelCard,
    ModelList,
    Role,
)
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from eai_recipes import safety
from eai_recipes.serving.limits import Stats
from eai_recipes.serving.pipeline import InputError, Outcome, Pipeline, Turn

log = logging.getLogger("eai.serve")

DISCLAIMER = (
    "EAI offers emotional support. It is not a substitute for professional care: it cannot diagnose, treat "
    "or handle an emergency. If you are in danger or thinking about ending your life, contact your local "
    "emergency number or a crisis line now."
)


class EaiChatRequest(ChatCompletionRequest):
    model: str = "eai"  # one model per server: the name is optional
    max_tokens: int | None = Field(None, ge=1)


class EaiInfo(BaseModel):
    crisis: bool = False
    category: str | None = None
    crisis_in_conversation: bool = False
    level: str = "none"  # the conversation's screening level: crisis | concern | none
    resources: Any = None
    notices: list[str] = []
    truncated: bool = False
    stopped_by: str | None = None
    final_content: str | None = None
    disclaimer: str = DISCLAIMER


class EaiChatResponse(ChatCompletionResponse):
    eai: EaiInfo


class EaiChatChunk(ChatCompletionStreamResponse):
    eai: EaiInfo | None = None


class EaiModelCard(ModelCard):
    description: str = DISCLAIMER
    profile: str = ""


class EaiModelList(ModelList):
    data: list[EaiModelCard] = []


def plain(value: Any) -> Any:
    """Resources from the safety module as JSON-ready values, whatever container they come in."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict:
    kind = "authentication_error" if status == 401 else "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """A readable message from pydantic's errors, naming fields but never echoing their values."""
    problems, param = [], None
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx", {}) or {}
            return f"the request body is not valid JSON ({ctx.get('error', 'parse error')})", None
        where = ".".join(loc) or "body"
        param = param or (loc[0] if loc else None)
        if err.get("type") == "missing":
            problems.append(f"'{where}' is required")
        else:
            problems.append(f"'{where}': {err.get('msg', 'invalid value')}")
    return "invalid request: " + "; ".join(problems), param


# InputError codes -> the refusal reasons counted in /health
REFUSAL_REASONS = {"message_too_long": "size", "request_too_large": "size", "invalid_unicode": "bad_unicode"}


def install_error_handlers(app: FastAPI, stats: Stats | None = None) -> None:
    stats = stats or Stats()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        stats.refuse("malformed")
        message, param = _validation_message(exc)
        return JSONResponse(error_body(400, message, param=param, code="invalid_request"), status_code=400)

    @app.exception_handler(InputError)
    async def _refused(request: Request, exc: InputError):
        stats.refuse(REFUSAL_REASONS.get(exc.code, "malformed"))
        return JSONResponse(error_body(exc.status, exc.message, param=exc.param, code=exc.code),
                            status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code < 500:
            stats.refuse("auth" if exc.status_code == 401 else "malformed")
        headers = getattr(exc, "headers", None)
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code,
                            headers=headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        # The type only: an exception's message may quote the user's text.
        log.error("internal error %s on %s", type(exc).__name__, request.url.path)
        return JSONResponse(error_body(500, "internal error; the server keeps running, try again"),
                            status_code=500)


def make_auth(api_key: str | None):
    bearer = HTTPBearer(auto_error=False)

    async def check(auth: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if api_key is None:
            return
        given = auth.credentials if auth is not None else ""
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            raise StarletteHTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <EAI_API_KEY>'",
                                         headers={"WWW-Authenticate": "Bearer"})

    return check


def info_for(turn: Turn, pipeline: Pipeline) -> EaiInfo:
    show = turn.crisis or turn.crisis_in_conversation or turn.level != "none"
    return EaiInfo(
        crisis=turn.crisis,
        level=turn.level,
        category=turn.category,
        crisis_in_conversation=turn.crisis_in_conversation,
        resources=plain(safety.resources(pipeline.locale)) if show else None,
        notices=list(turn.notices),
        truncated=turn.truncated,
    )


def add_routes(app: FastAPI, pipeline: Pipeline, *, model_id: str, api_key: str | None, stats: Stats) -> None:
    auth = make_auth(api_key)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"status": "ok", **stats.as_dict(), "safety": pipeline.safety_stats}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(stats.prometheus(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/models", response_model=EaiModelList, dependencies=[Depends(auth)])
    async def models() -> EaiModelList:
        return EaiModelList(data=[EaiModelCard(id=model_id, profile=pipeline.profile.name)])

    @app.post("/v1/chat/completions", response_model=EaiChatResponse, dependencies=[Depends(auth)])
    async def chat_completions(request: EaiChatRequest):
        if request.n != 1:
            raise InputError(400, "'n' must be 1: EAI gives one answer per message", param="n")
        if request.tools:
            raise InputError(400, "'tools' are not supported by EAI", param="tools")
        if request.model != model_id:
            raise InputError(404, f"this server serves one model, '{model_id}'; the model asked for is not "
                                  "served here (see /v1/models)", param="model", code="model_not_found")
        # Screening and tokenizing are CPU work: off the event loop, so other requests keep being answered.
        turn = await run_in_threadpool(pipeline.prepare, request.messages, max_tokens=request.max_tokens)
        stats.answers[turn.kind] += 1
        if turn.crisis:
            stats.crisis[turn.category or "unspecified"] += 1
        info = info_for(turn, pipeline)
        headers = {"X-EAI-Crisis": "true" if turn.crisis else "false"}
        if request.stream:
            return EventSourceResponse(_stream(pipeline, turn, info, request.model, stats), headers=headers,
                                       media_type="text/event-stream", sep="\n")
        started = time.monotonic()
        outcome = await pipeline.complete(turn)
        log.info("api chat: whole answer, %.0f ms, %d tokens", 1000 * (time.monotonic() - started),
                 outcome.completion_tokens)
        info.stopped_by = outcome.stopped_by
        body = EaiChatResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            model=model_id,
            choices=[ChatCompletionResponseChoice(
                index=0, message=ChatCompletionMessage(role=Role.ASSISTANT, content=outcome.text),
                finish_reason=Finish(outcome.finish_reason),
            )],
            usage=ChatCompletionResponseUsage(prompt_tokens=outcome.prompt_tokens,
                                              completion_tokens=outcome.completion_tokens,
                                              total_tokens=outcome.prompt_tokens + outcome.completion_tokens),
            eai=info,
        )
        return JSONResponse(body.model_dump(mode="json"), headers=headers)

    # Without these, a wrong method or path under /v1 would fall through to the chat page mounted at /.
    @app.api_route("/v1/chat/completions", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def wrong_method():
        raise StarletteHTTPException(405, "use POST for /v1/chat/completions", headers={"Allow": "POST"})

    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def no_such_route(rest: str):
        raise StarletteHTTPException(404, f"no API route /v1/{rest}: the API serves /v1/chat/completions and "
                                          "/v1/models (see /docs)")


async def _stream(pipeline: Pipeline, turn: Turn, info: EaiInfo, model: str, stats: Stats | None = None):
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    stats = stats or Stats()

    def chunk(delta: ChatCompletionMessage, finish: Finish | None = None, eai: EaiInfo | None = None) -> str:
        choice = ChatCompletionStreamResponseChoice(index=0, delta=delta, finish_reason=finish)
        body = EaiChatChunk(id=completion_id, object="chat.completion.chunk", created=created, model=model,
                            choices=[choice])
        if eai is not None:
            body.eai = eai
        return jsonify(body)

    started = time.monotonic()
    first: float | None = None
    outcome = Outcome("", "stop", "stop")
    finished = False
    try:
        yield chunk(ChatCompletionMessage(role=Role.ASSISTANT, content=""), eai=info)
        try:
            async for delta in pipeline.stream(turn, outcome):
                if first is None:
                    first = time.monotonic()
                yield chunk(ChatCompletionMessage(content=delta))
        except Exception as exc:  # noqa: BLE001 - the stream must end cleanly; the type alone is logged
            stats.errors += 1
            log.error("internal error %s while streaming", type(exc).__name__)
            yield json.dumps(error_body(500, "internal error while generating; try again"))
            finished = True
            return
        finished = True
    finally:
        if not finished:  # the client went away (sse_starlette cancels the generator): no text, a count
            stats.disconnects += 1
            log.info("api chat: client left the stream after %.0f ms", 1000 * (time.monotonic() - started))
    final = EaiInfo(stopped_by=outcome.stopped_by, crisis=turn.crisis,
                    final_content=outcome.text if outcome.rewritten_after_sending else None)
    yield chunk(ChatCompletionMessage(), Finish(outcome.finish_reason), eai=final)
    yield "[DONE]"
    total = time.monotonic() - started
    log.info("api chat: streamed answer, first text %.0f ms, %.0f ms, %d pieces",
             1000 * ((first or time.monotonic()) - started), 1000 * total, outcome.completion_tokens)
