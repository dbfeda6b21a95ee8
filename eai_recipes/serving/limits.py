"""What one client may ask of the server: request rate, answers at once, wrong keys; and the counters the
server keeps instead of logs (numbers only, never text).

A client is its network address (`scope["client"]`): a server has one API key, shared by every client of a
deployment, so the key tells clients apart no better than nothing; behind a reverse proxy every request comes
from the proxy's address, and the proxy should limit per user. All state is in memory, bounded in size, and
touched from the event loop only (no locks needed).
"""

from __future__ import annotations

import math
import time
from collections import Counter, OrderedDict
from typing import Any

from eai_recipes.errors import EaiError

MAX_CLIENTS = 10_000  # remembered at once; the least recently seen are forgotten first
KEY_MIN_CHARS = 16
KEY_MIN_DISTINCT = 6


def check_api_key(key: str, env_name: str = "EAI_API_KEY") -> None:
    """Refuse a key that cannot work or is easy to guess: short, with whitespace or other characters an HTTP
    header does not carry unchanged, or made of a handful of characters ("aaaaaaaaaaaaaaaa")."""
    make = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if len(key) < KEY_MIN_CHARS:
        raise EaiError(f"{env_name} is {len(key)} characters long; use at least {KEY_MIN_CHARS} "
                       f"(a random token: {make})")
    if not all("!" <= ch <= "~" for ch in key):
        raise EaiError(f"{env_name} holds whitespace or characters outside printable ASCII, which an "
                       f"'Authorization: Bearer' header cannot carry unchanged; use a random token: {make}")
    if len(set(key)) < KEY_MIN_DISTINCT:
        raise EaiError(f"{env_name} uses only {len(set(key))} different characters and is easy to guess; "
                       f"use a random token: {make}")


class _Bounded(OrderedDict):
    def touch(self, client: str, default: Any) -> Any:
        if client in self:
            self.move_to_end(client)
        else:
            self[client] = default
            while len(self) > MAX_CLIENTS:
                self.popitem(last=False)
        return self[client]


class RateLimiter:
    """A token bucket per client: `burst` requests at once, refilled at `per_minute` a minute."""

    def __init__(self, per_minute: int, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = per_minute / 60.0, float(burst), clock
        self.buckets: _Bounded = _Bounded()

    def take(self, client: str) -> float:
        """0 if the request may go ahead (and counts it), else the seconds to wait."""
        now = self.clock()
        tokens, last = self.buckets.touch(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            return 0.0
        self.buckets[client] = (tokens, now)
        return (1 - tokens) / self.rate


class StreamCaps:
    """At most `limit` answers being generated at once per client."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: Counter[str] = Counter()

    def acquire(self, client: str) -> bool:
        if self.open[client] >= self.limit:
            return False
        self.open[client] += 1
        return True

    def release(self, client: str) -> None:
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]


class AuthThrottle:
    """After `allowed` wrong keys from one client within a minute, it waits before it may try again: 2 s,
    then twice as long after each further wrong key, up to 5 minutes. A right key clears the count."""

    WINDOW_S = 60.0
    MAX_WAIT_S = 300.0

    def __init__(self, allowed: int, clock=time.monotonic) -> None:
        self.allowed, self.clock = allowed, clock
        self.failures: _Bounded = _Bounded()  # client -> (count, time of the last failure)

    def wait(self, client: str) -> float:
        """Seconds the client must wait before its key is checked again (0: check it now)."""
        count, last = self.failures.get(client, (0, 0.0))
        if count < self.allowed:
            return 0.0
        left = last + min(2.0 ** (count - self.allowed + 1), self.MAX_WAIT_S) - self.clock()
        return max(0.0, left)

    def failed(self, client: str) -> None:
        now = self.clock()
        count, last = self.failures.touch(client, (0, now))
        if now - last > max(self.WINDOW_S, self.wait(client)):
            count = 0
        self.failures[client] = (count + 1, now)

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class Stats:
    """Counts and nothing else: how many requests, why some were refused, how often the crisis path was
    taken and in which category, how many failed. The only record the server keeps about conversations."""

    REFUSALS = ("size", "rate", "streams", "auth", "auth_wait", "bad_unicode", "malformed", "origin", "host")

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: Counter[str] = Counter()  # api | page
        self.refused: Counter[str] = Counter({r: 0 for r in self.REFUSALS})
        self.crisis: Counter[str] = Counter()  # by category
        self.answers: Counter[str] = Counter()  # model | crisis | empty
        self.errors = 0  # 5xx and failures inside a stream
        self.disconnects = 0  # streams the client left before the end

    def refuse(self, reason: str) -> None:
        self.refused[reason] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": sum(self.requests.values()),
            "requests_by_route": dict(self.requests),
            "refused": dict(self.refused),
            "crisis_replies": dict(self.crisis),
            "answers": dict(self.answers),
            "errors": self.errors,
            "disconnects": self.disconnects,
            "uptime_s": round(time.time() - self.started),
        }

    def prometheus(self) -> str:
        lines = []

        def metric(name: str, kind: str, help_: str, samples: dict[str, int] | int, label: str = "") -> None:
            lines.append(f"# HELP eai_{name} {help_}")
            lines.append(f"# TYPE eai_{name} {kind}")
            if isinstance(samples, dict):
                for key, value in sorted(samples.items()):
                    lines.append(f'eai_{name}{{{label}="{key}"}} {value}')
            else:
                lines.append(f"eai_{name} {samples}")

        metric("requests_total", "counter", "Chat requests received, by route.", dict(self.requests), "route")
        metric("refused_total", "counter", "Requests refused, by reason.", dict(self.refused), "reason")
        metric("crisis_replies_total", "counter", "Crisis replies sent, by category.", dict(self.crisis),
               "category")
        metric("answers_total", "counter", "Answers sent, by kind.", dict(self.answers), "kind")
        metric("errors_total", "counter", "Internal errors (HTTP 5xx and failed streams).", self.errors)
        metric("disconnects_total", "counter", "Streams the client left before the end.", self.disconnects)
        metric("uptime_seconds", "gauge", "Seconds since the server started.", round(time.time() - self.started))
        return "\n".join(lines) + "\n"
