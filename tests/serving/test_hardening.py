"""The server under hostile input (issue 10): every probe is a real request to a real `eai serve --profile
tiny` on loopback, checked for its status, its body, and that the server still answers afterwards.

Two servers per module: `srv` with the shipped tiny profile (limits on, at their defaults), and `strict` with
an API key and a profile of small limits, one allowed CORS origin and greedy decoding (so a streamed and a
whole answer to the same request can be compared word for word). The last test drives both the API and the
page with marker words (malformed requests included), stops `srv` and searches every stream it wrote.

Set EAI_TEST_SERVE_WORKDIR to a directory laid out like the `workdir` fixture with a trained runs/itest/ to
reuse it instead of training the demo run again (for working on these tests only).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from eai_recipes.serving import profile as serving_profile
from tests.serving.test_serving import (
    CRISIS_TEXTS,
    EAI,
    Server,
    _files_with,
    free_port,
    private_env,
)

pytestmark = pytest.mark.integration
MARK = f"zq{uuid.uuid4().hex[:10]}"  # words no model or library would write on its own


class SplitServer(Server):
    """`Server` with stdout and stderr in separate files, so each stream can be searched on its own."""

    def __enter__(self):
        self.out = open(self.log_dir / "stdout.txt", "wb")
        self.err = open(self.log_dir / "stderr.txt", "wb")
        self.proc = subprocess.Popen([*EAI, *self.args], cwd=self.cwd, env=self.env, stdout=self.out,
                                     stderr=self.err)
        return self.wait_ready(240)

    def output(self) -> str:
        self.out.flush()
        self.err.flush()
        return ((self.log_dir / "stdout.txt").read_text(errors="replace")
                + (self.log_dir / "stderr.txt").read_text(errors="replace"))

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.err.close()


@pytest.fixture(scope="module")
def served_workdir(request) -> Path:
    reuse = os.environ.get("EAI_TEST_SERVE_WORKDIR")
    if reuse:
        return Path(reuse)
    request.getfixturevalue("trained_run")
    return request.getfixturevalue("workdir")


@pytest.fixture(scope="module")
def srv(served_workdir, tmp_path_factory):
    with SplitServer(served_workdir, tmp_path_factory.mktemp("hard")) as s:
        s.started_at = time.time()
        yield s


STRICT_KEY = uuid.uuid4().hex + uuid.uuid4().hex[:8]
STRICT_ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def strict(served_workdir, tmp_path_factory):
    root = tmp_path_factory.mktemp("strict")
    data = yaml.safe_load((serving_profile.SERVING_DIR / "tiny.yaml").read_text())
    data["generation"]["do_sample"] = False  # greedy: the same request gets the same tokens every time
    data["security"] = {"requests_per_minute": 600, "burst": 40, "max_streams_per_client": 1,
                        "max_auth_failures": 3, "cors_origins": [STRICT_ORIGIN]}
    path = root / "strict.yaml"
    path.write_text(yaml.safe_dump(data))
    with SplitServer(served_workdir, root, "--profile", str(path), "--no-page", api_key=STRICT_KEY) as s:
        s.auth = {"Authorization": f"Bearer {STRICT_KEY}"}
        yield s


def post(s, body, headers=None, **kw) -> requests.Response:
    return requests.post(s.url + "/v1/chat/completions", json=body, headers=headers, timeout=120, **kw)


def sse(resp: requests.Response) -> list[dict]:
    events = []
    for line in resp.iter_lines():
        if line.startswith(b"data:"):
            data = line[5:].strip()
            events.append({"done": True} if data == b"[DONE]" else json.loads(data))
    return events


def text_of(events: list[dict]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if "choices" in e)


def health(s) -> dict:
    resp = requests.get(s.url + "/health", timeout=10)
    assert resp.status_code == 200
    return resp.json()


def still_answers(s, headers=None) -> None:
    resp = post(s, {"messages": [{"role": "user", "content": "hello"}], "max_tokens": 4}, headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"].strip()


def gradio_call(s, data: list) -> tuple[int, str]:
    """The page's Gradio route called directly, as a script would: POST the inputs, then read the events."""
    first = requests.post(s.url + "/gradio_api/call/chat", json={"data": data}, timeout=30)
    if first.status_code != 200:
        return first.status_code, first.text
    event_id = first.json()["event_id"]
    second = requests.get(f"{s.url}/gradio_api/call/chat/{event_id}", timeout=120)
    return second.status_code, second.text


# ------------------------------------------------------------------------------------------ 1. Gradio


def test_malformed_page_calls_keep_user_text_out_of_the_output_and_are_counted(srv):
    before = health(srv)["refused"]["malformed"]
    for data in ([f"my secret is {MARK}", []],  # two inputs instead of three
                 [f"hello {MARK}", [{"role": "user", "content": {"nested": MARK}}], False],  # malformed history
                 [f"hello {MARK}", f"not a history {MARK}", False]):
        status, body = gradio_call(srv, data)
        assert status == 200 and "event: error" in body
        assert MARK not in body  # the error is not echoed to the caller either
    assert health(srv)["refused"]["malformed"] >= before + 3
    out = srv.output()
    assert MARK not in out and "Received inputs" not in out and "input_value" not in out
    assert "message withheld" in out  # the failure itself is logged, by type and place
    status, body = gradio_call(srv, ["I feel a bit low today", [], False])  # the page still answers
    assert status == 200 and "event: complete" in body
    still_answers(srv)


# ------------------------------------------------------------------------------------------ 2. Stalls


def test_health_answers_while_the_largest_request_is_screened(srv):
    limits = serving_profile.load_serving_profile("tiny").limits
    message = ("I feel so tired of everything and I keep thinking nothing will ever change for me " * 40)
    message = message[:limits.max_input_chars - 10]
    messages: list[dict] = []
    while len(json.dumps({"messages": messages})) < limits.max_request_bytes - 2 * len(message):
        messages += [{"role": "user", "content": message}, {"role": "assistant", "content": "I hear you."}]
    messages.append({"role": "user", "content": message})
    body = json.dumps({"messages": messages, "max_tokens": 4})
    assert len(body) <= limits.max_request_bytes
    result: dict = {}

    def big() -> None:
        started = time.monotonic()
        resp = requests.post(srv.url + "/v1/chat/completions", data=body, timeout=120,
                             headers={"content-type": "application/json"})
        result.update(status=resp.status_code, seconds=time.monotonic() - started)

    worker = threading.Thread(target=big)
    worker.start()
    latencies = []
    while worker.is_alive():
        started = time.monotonic()
        assert requests.get(srv.url + "/health", timeout=30).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)
    worker.join()
    assert result["status"] == 200
    latencies.sort()
    print(f"largest request {len(body)} bytes answered in {result['seconds']:.2f} s; /health during it: "
          f"n={len(latencies)} median {1000 * latencies[len(latencies) // 2]:.0f} ms, "
          f"max {1000 * latencies[-1]:.0f} ms")
    # On a shared 2-core machine an idle /health takes tens of ms; before the fix one waited 6.7 s.
    assert latencies[len(latencies) // 2] < 0.1 and latencies[-1] < 1.0


def test_oversized_message_is_refused_before_it_is_screened(srv):
    before = health(srv)["refused"]["size"]
    huge = "I feel stuck and I do not know why. " * 6000  # over max_input_chars, under max_request_bytes
    started = time.monotonic()
    resp = post(srv, {"messages": [{"role": "user", "content": huge}]})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "message_too_long"
    assert time.monotonic() - started < 5
    assert health(srv)["refused"]["size"] == before + 1
    still_answers(srv)


# ------------------------------------------------------------------------------------- 3. Content parts


def test_content_parts_are_screened_with_a_separator(srv):
    parts = [{"type": "text", "text": "I want to kill"}, {"type": "text", "text": "myself"}]
    resp = post(srv, {"messages": [{"role": "user", "content": parts}]})
    assert resp.status_code == 200 and resp.headers["x-eai-crisis"] == "true"
    body = resp.json()
    assert body["eai"]["crisis"] is True and body["eai"]["stopped_by"] == "crisis" and body["eai"]["resources"]
    assert health(srv)["crisis_replies"]
    still_answers(srv)


# ------------------------------------------------------------------------------------- 4. Bad Unicode


def test_lone_surrogate_is_a_clear_400_whole_and_streamed(srv):
    before = health(srv)["refused"]["bad_unicode"]
    raw = b'{"messages": [{"role": "user", "content": "hi \\ud800"}]%s}'
    for stream in (b"", b', "stream": true'):
        resp = requests.post(srv.url + "/v1/chat/completions", data=raw % stream, timeout=60,
                             headers={"content-type": "application/json"})
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["code"] == "invalid_unicode" and "surrogate" in resp.json()["error"]["message"]
    assert health(srv)["refused"]["bad_unicode"] == before + 2
    assert health(srv)["errors"] == 0
    still_answers(srv)


# ------------------------------------------------------------------------------------------- 5. CORS


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:9999", "null",
                                    "https://evil.example"])
def test_no_cors_headers_for_other_origins(srv, origin):
    preflight = requests.options(srv.url + "/v1/chat/completions", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    simple = requests.get(srv.url + "/config", headers={"Origin": origin}, timeout=10)
    posted = post(srv, {"messages": [{"role": "user", "content": "hi"}]}, {"Origin": origin})
    for resp in (preflight, simple, posted):
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "origin_not_allowed"
        assert not [h for h in resp.headers if h.lower().startswith("access-control-")]
    same = requests.get(srv.url + "/config", headers={"Origin": srv.url}, timeout=10)  # the page itself
    assert same.status_code == 200
    assert not [h for h in same.headers if h.lower().startswith("access-control-")]
    still_answers(srv)


def test_a_configured_origin_gets_cors_and_others_do_not(strict):
    ok = requests.options(strict.url + "/v1/chat/completions", timeout=10, headers={
        "Origin": STRICT_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == STRICT_ORIGIN
    assert "access-control-allow-credentials" not in ok.headers
    resp = post(strict, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4},
                {**strict.auth, "Origin": STRICT_ORIGIN})
    assert resp.status_code == 200 and resp.headers["access-control-allow-origin"] == STRICT_ORIGIN
    other = requests.options(strict.url + "/v1/chat/completions", timeout=10, headers={
        "Origin": "http://localhost:3001", "Access-Control-Request-Method": "POST"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers


# ------------------------------------------------------------------------------------- 6. Streaming


PROMPTS = ["I'm feeling anxious and I can't sleep. What's wrong with me?",
           "My friend's gone and I'm lonely. I don't know what to do.",
           "I've been stressed at work and I'm snapping at my family.",
           "Why can't I stop worrying about my exams?",
           "It's been a hard week, I'm tired.",
           "I don't think anyone cares about how I'm doing."]


def test_streamed_answer_is_the_whole_answer(strict):
    """Greedy decoding: the same request gets the same tokens streamed and whole; the texts must be equal."""
    for round_ in range(2):
        for prompt in PROMPTS:
            body = {"messages": [{"role": "user", "content": prompt}]}
            whole = post(strict, body, strict.auth)
            assert whole.status_code == 200
            whole_text = whole.json()["choices"][0]["message"]["content"]
            resp = post(strict, {**body, "stream": True}, strict.auth, stream=True)
            events = sse(resp)
            streamed = text_of(events)
            final = events[-2]["eai"].get("final_content") or streamed
            assert streamed == whole_text == final, (round_, prompt)
            assert "<|" not in streamed and "|>" not in streamed
            chunks = [e for e in events if "choices" in e]
            assert all(c["object"] == "chat.completion.chunk" and isinstance(c["created"], int) for c in chunks)
            assert len({c["created"] for c in chunks}) == 1 and len({c["id"] for c in chunks}) == 1


# ------------------------------------------------------------------------------------ 7. The small ones


@pytest.mark.parametrize("key, words", [(" " * 20, "whitespace"), ("a" * 20, "different characters"),
                                        ("short", "at least 16")])
def test_weak_keys_are_refused_before_the_model_loads(served_workdir, tmp_path, key, words):
    started = time.monotonic()
    proc = subprocess.run([*EAI, "serve", "--profile", "tiny", "--port", str(free_port())], cwd=served_workdir,
                          env=private_env(tmp_path, key), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60


def test_docs_and_metrics_need_the_key(strict):
    for pair in (("/docs", "/openapi.json"), ("/redoc", "/metrics")):  # (3 wrong keys would make it wait)
        for path in pair:
            assert requests.get(strict.url + path, timeout=10).status_code == 401, path
        assert requests.get(strict.url + "/openapi.json", headers=strict.auth, timeout=10).status_code == 200
    metrics = requests.get(strict.url + "/metrics", headers=strict.auth, timeout=10)
    assert metrics.status_code == 200 and "eai_refused_total{reason=\"auth\"}" in metrics.text


def test_key_is_checked_before_the_body_and_wrong_keys_slow_the_client_down(strict):
    # Not valid JSON: without the key the answer is 401, not a parse error.
    resp = requests.post(strict.url + "/v1/chat/completions", data=b'{"messages": [', timeout=10,
                         headers={"content-type": "application/json"})
    assert resp.status_code == 401
    for _ in range(3):
        wrong = post(strict, {"messages": [{"role": "user", "content": "hi"}]}, {"Authorization": "Bearer " + "x1" * 12})
        assert wrong.status_code in (401, 429)
    waiting = post(strict, {"messages": [{"role": "user", "content": "hi"}]}, strict.auth)
    assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) >= 1
    assert waiting.json()["error"]["code"] == "too_many_auth_failures"
    time.sleep(int(waiting.headers["retry-after"]) + 0.5)
    still_answers(strict, strict.auth)
    assert health(strict)["refused"]["auth_wait"] >= 1


@pytest.mark.parametrize("value", [0, -5])
def test_max_tokens_must_be_positive(srv, value):
    resp = post(srv, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": value})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "max_tokens"
    still_answers(srv)


def test_unknown_model_is_not_echoed_as_served(srv):
    resp = post(srv, {"model": f"gpt-{MARK}", "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "model_not_found"
    assert MARK not in resp.text
    assert post(srv, {"model": "eai", "messages": [{"role": "user", "content": "hi"}],
                      "max_tokens": 4}).json()["model"] == "eai"


def test_history_fits_the_models_context_in_tokens(srv):
    """Characters are no measure of tokens: text of many short tokens under the character limit must still
    fit the tiny model's 2,048-token context with the answer budget."""
    dense = " ".join(f"{i % 97}" for i in range(900))  # digits and spaces: about a token per character or two
    history = []
    for _ in range(3):
        history += [{"role": "user", "content": dense[:1900]}, {"role": "assistant", "content": dense[:1900]}]
    resp = post(srv, {"messages": history + [{"role": "user", "content": "what now?"}]})
    assert resp.status_code == 200
    usage = resp.json()["usage"]
    assert usage["prompt_tokens"] + usage["completion_tokens"] <= 2048, usage
    assert resp.json()["eai"]["truncated"] is True


def test_a_client_leaving_a_stream_leaves_a_log_line_without_text(srv):
    before = health(srv)["disconnects"]
    with requests.post(srv.url + "/v1/chat/completions", stream=True, timeout=60, json={
            "stream": True, "messages": [{"role": "user", "content": f"tell me a long story about {MARK}"}]}) as resp:
        next(resp.iter_lines())
    deadline = time.monotonic() + 30
    while health(srv)["disconnects"] == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert health(srv)["disconnects"] == before + 1
    assert "client left the stream" in srv.output() and MARK not in srv.output()
    still_answers(srv)


def test_unknown_locale_warns_which_list_it_shows(served_workdir):
    proc = subprocess.run([*EAI, "safety", "reply", "--locale", "XX"], capture_output=True, text=True, check=False,
                          timeout=60, cwd=served_workdir)
    assert proc.returncode == 0 and proc.stdout.strip()
    assert "XX" in proc.stderr and "not listed" in proc.stderr and "International" in proc.stderr
    known = subprocess.run([*EAI, "safety", "reply", "--locale", "en-GB"], capture_output=True, text=True, check=False,
                           timeout=60, cwd=served_workdir)
    assert known.returncode == 0 and "warning" not in known.stderr


# ---------------------------------------------------------------------------------- rate and streams


def test_rate_limit_answers_429_with_retry_after(srv):
    security = serving_profile.load_serving_profile("tiny").security
    codes = []
    for _ in range(security.burst + 30):  # empty messages: answered without the model, faster than the refill
        resp = post(srv, {"messages": [{"role": "user", "content": " "}]})
        codes.append(resp.status_code)
        if resp.status_code == 429:
            assert int(resp.headers["retry-after"]) >= 1 and resp.json()["error"]["code"] == "rate_limited"
            break
    assert 429 in codes and set(codes) <= {200, 429}
    assert health(srv)["refused"]["rate"] >= 1
    time.sleep(int(resp.headers["retry-after"]) + 1)
    still_answers(srv)


def test_concurrent_streams_per_client_are_capped(strict):
    body = {"messages": [{"role": "user", "content": "Tell me about sleep and how to rest well at night."}],
            "stream": True}
    with post(strict, body, strict.auth, stream=True) as first:  # holds the one stream this client may have
        assert first.status_code == 200
        second = post(strict, body, strict.auth)
        assert second.status_code == 429 and second.json()["error"]["code"] == "too_many_streams"
        assert second.headers["retry-after"] == "1"
        sse(first)
    still_answers(strict, strict.auth)


def test_metrics_are_prometheus_text_without_user_text(srv):
    resp = requests.get(srv.url + "/metrics", timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    for name in ("eai_requests_total", "eai_refused_total", "eai_crisis_replies_total", "eai_errors_total"):
        assert f"# TYPE {name} counter" in resp.text
    assert MARK not in resp.text and MARK not in json.dumps(health(srv))


# ------------------------------------------------------------------------------------------- privacy


def test_no_user_text_on_any_stream_the_server_writes(srv, served_workdir):
    """Marker words through the API and the page, well-formed and malformed; then stop the server and search
    its stdout, its stderr, its log file and every file under its home, cache, temp and working dirs."""
    word = f"zp{uuid.uuid4().hex[:10]}"
    def m(text):
        return [{"role": "user", "content": text}]

    time.sleep(20)  # let the rate limiter's bucket refill after the other tests
    post(srv, {"messages": m(f"I feel sad about {word} today"), "max_tokens": 8})
    with post(srv, {"messages": m(f"more on {word}"), "stream": True, "max_tokens": 8}, stream=True) as r:
        sse(r)
    post(srv, {"messages": m(f"{word}: {CRISIS_TEXTS[0]}")})
    post(srv, {"messages": [{"role": "user", "content": [{"type": "text", "text": f"{word} part"},
                                                         {"type": "image_url", "image_url": {"url": word}}]}]})
    for raw in (f'{{"messages": [{word}', f'{{"messages": [{{"role": "user", "content": "{word} \\ud800"}}]}}',
                f'{{"messages": [{{"role": "{word}", "content": "{word}"}}]}}',
                f'{{"model": "{word}", "messages": [{{"role": "user", "content": "{word}"}}]}}',
                f'{{"messages": [{{"role": "user", "content": "{word}"}}], "max_tokens": "{word}"}}'):
        requests.post(srv.url + "/v1/chat/completions", data=raw.encode(), timeout=30,
                      headers={"content-type": "application/json"})
    post(srv, {"messages": m(f"{word} " * 2000)})
    requests.post(srv.url + "/v1/chat/completions", data=("x" * 300_000 + word).encode(), timeout=30,
                  headers={"content-type": "application/json"})
    requests.post(srv.url + "/v1/chat/completions", json={"messages": m(word)}, timeout=30,
                  headers={"Origin": f"http://{word}.example"})
    gradio_call(srv, [f"page {word}", [], False])
    gradio_call(srv, [f"page {word}", []])
    gradio_call(srv, [f"page {word}", [{"role": "user", "content": {"x": word}}], False])
    gradio_call(srv, [{"text": word}, None, word])
    requests.post(srv.url + "/gradio_api/call/chat", data=f'{{"data": [{word}'.encode(), timeout=30,
                  headers={"content-type": "application/json"})
    upload = requests.post(srv.url + "/gradio_api/upload", files={"files": ("note.txt", f"diary {word}".encode())},
                           timeout=30)
    assert upload.status_code == 404
    still_answers(srv)
    srv.__exit__(None, None, None)  # stop it: every stream is flushed and closed
    streams = {name: (srv.log_dir / name).read_bytes() for name in ("stdout.txt", "stderr.txt", "serve.log")}
    assert streams["serve.log"].count(b"/v1/chat/completions") >= 5  # it did log, counts and timings
    for name, content in streams.items():
        assert word.encode() not in content and MARK.encode() not in content, name
    assert _files_with(word, [srv.root]) == [] and _files_with(MARK, [srv.root]) == []
    changed = [p for p in served_workdir.rglob("*") if p.is_file() and not p.is_symlink()
               and p.stat().st_mtime >= srv.started_at]
    assert [str(p) for p in changed if word.encode() in p.read_bytes() or MARK.encode() in p.read_bytes()] == []


def test_screening_a_binary_or_utf16_file_is_a_clean_error(tmp_path):
    for name, data in (("utf16.jsonl", '{"text": "hello"}\n'.encode("utf-16")), ("bin.jsonl", bytes(range(256)))):
        path = tmp_path / name
        path.write_bytes(data)
        proc = subprocess.run([*EAI, "safety", "screen", str(path)], capture_output=True, text=True, timeout=60,
                              check=False)
        assert proc.returncode == 2 and "not UTF-8 text" in proc.stderr and "Traceback" not in proc.stderr
