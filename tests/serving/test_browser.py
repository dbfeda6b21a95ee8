"""The chat page in a real browser: Debian's headless Chromium, driven by Playwright, against `eai serve`
on loopback with the tiny model and the adapter trained by the real llamafactory-cli.

It loads the page, sends a message and sees the answer arrive in pieces (a MutationObserver records every
version of the answer the page shows), sees the disclaimer and the always-visible help, sees the crisis panel
with the resources after a crisis message and still sees it after the next message, checks that the page
reached no other server, and finally searches the server's files for the text typed into the page.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest

from eai_recipes import safety
from tests.serving.test_serving import CRISIS_TEXTS, Server, _files_with

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's Chromium is not installed: apt-get install -y chromium chromium-driver"),
]

RECORD_ANSWERS = """
() => {
  window.__answers = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid="bot"]');
    if (!bots.length) return;
    const text = bots[bots.length - 1].innerText.trim();
    const seen = window.__answers;
    if (text && seen[seen.length - 1] !== text) seen.push(text);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}
"""


def _wait_answer(page, count: int, timeout: float = 60.0) -> str:
    """Wait until the page shows `count` answers and the last one stopped changing; return its text."""
    deadline = time.monotonic() + timeout
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        bots = page.locator('#chat [data-testid="bot"]')
        if bots.count() >= count:
            text = bots.nth(count - 1).inner_text().strip()
            busy = page.locator("#message textarea").input_value() != ""
            if text and text == last and not busy:
                if time.monotonic() - stable_since > 1.5:
                    return text
            else:
                last, stable_since = text, time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"no complete answer number {count} within {timeout:.0f}s")


def _send(page, text: str) -> None:
    page.fill("#message textarea", text)
    page.press("#message textarea", "Enter")


def test_chat_page_in_chromium(trained_run, workdir, tmp_path):
    from playwright.sync_api import sync_playwright

    marker = f"zq{uuid.uuid4().hex[:12]}"
    first_resource = safety.resources("international")[0]["name"]
    with Server(workdir, tmp_path / "srv") as server, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            elsewhere: list[str] = []
            page.on("requestfinished", lambda r: None if r.url.startswith(server.url) or r.url.startswith("data:")
                    else elsewhere.append(r.url))
            page.goto(server.url + "/", wait_until="domcontentloaded")
            page.wait_for_selector("#message textarea", timeout=60_000)

            assert "not a substitute for professional care" in page.inner_text("#disclaimer")
            assert page.is_visible("#help-always") and first_resource in page.inner_text("#help-always")
            assert not page.is_visible("#crisis-alert")

            # The tiny model sometimes ends after a word or two (it learned where answers end), and it writes
            # ~500 tokens/s, so a whole short answer can land in one redraw of the page. Ask again (up to 8
            # times) until an answer is seen arriving in pieces; the API tests check the stream's chunks exactly.
            page.evaluate(RECORD_ANSWERS)
            for asked in range(1, 9):
                page.evaluate("window.__answers = []")
                _send(page, f"I have been feeling anxious about my exams for weeks and I can't sleep at night, "
                            f"my friends call me {marker}. What could help me calm down in the evening?")
                answer = _wait_answer(page, asked)
                versions = page.evaluate("window.__answers")
                if len(answer.split()) >= 4 and len(versions) >= 2:
                    break
            assert answer and versions[-1] == answer
            assert len(versions) >= 2, f"the answer did not stream: {versions}"
            assert len(versions[0]) < len(answer)
            assert not page.is_visible("#crisis-alert")

            _send(page, CRISIS_TEXTS[0])
            page.wait_for_selector("#crisis-alert", state="visible", timeout=60_000)
            alert = page.inner_text("#crisis-alert")
            assert first_resource in alert
            reply = _wait_answer(page, asked + 1)
            assert first_resource in reply  # the fixed crisis reply carries the resources too

            _send(page, "Thank you. I think I will call someone now.")
            _wait_answer(page, asked + 2)
            assert page.is_visible("#crisis-alert"), "the crisis resources must stay on the page"

            assert elsewhere == [], f"the page reached other servers: {elsewhere}"
        finally:
            browser.close()
    assert _files_with(marker, [server.log_dir, server.root, workdir]) == []
