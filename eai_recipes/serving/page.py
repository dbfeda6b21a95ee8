"""The Gradio chat page, served by the same process and pipeline as the API.

It streams answers, shows the disclaimer, always shows where to find help, and after a crisis message shows
a highlighted crisis panel with the resources that stays for the rest of the session. Conversations live in
the browser tab only: nothing is flagged, saved or sent anywhere else (analytics are off, fonts are the
system's, so the page makes no third-party requests).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from eai_recipes import safety
from eai_recipes.serving.api import DISCLAIMER
from eai_recipes.serving.pipeline import InputError, Outcome, Pipeline

log = logging.getLogger("eai.serve")

CSS = """
#crisis-alert { border: 2px solid #b42318; background: #fef3f2; border-radius: 8px; padding: 0.5em 1em; }
#help-always { font-size: 0.9em; opacity: 0.9; }
#disclaimer { font-size: 0.9em; }
"""


def build_page(pipeline: Pipeline, *, title: str = "EAI", stats=None):
    import gradio as gr
    from starlette.concurrency import run_in_threadpool

    from eai_recipes.serving.api import REFUSAL_REASONS
    from eai_recipes.serving.limits import Stats

    stats = stats or Stats()

    locale = pipeline.locale
    help_md = safety.format_resources(locale, markdown=True)
    alert_md = ("### You deserve support right now\nIf you are in danger or thinking about ending your life, "
                "please reach out to a person now:\n\n" + help_md)
    theme = gr.themes.Soft(font=[gr.themes.Font("system-ui"), gr.themes.Font("sans-serif")],
                           font_mono=[gr.themes.Font("ui-monospace"), gr.themes.Font("monospace")])

    async def respond(message: str, history: list[dict[str, Any]], crisis_seen: bool):
        history = [{"role": m["role"], "content": m["content"]} for m in (history or [])
                   if isinstance(m, dict) and m.get("role") in ("user", "assistant")
                   and isinstance(m.get("content"), str)]
        shown = history + [{"role": "user", "content": message if isinstance(message, str) else ""}]
        started = time.monotonic()
        try:
            # Screening and tokenizing are CPU work: off the event loop, so other requests keep being answered.
            turn = await run_in_threadpool(pipeline.prepare, shown)
        except InputError as exc:
            stats.refuse(REFUSAL_REASONS.get(exc.code, "malformed"))
            yield history, "", gr.update(), crisis_seen, f"⚠️ {exc.message}"
            return
        stats.answers[turn.kind] += 1
        if turn.crisis:
            stats.crisis[turn.category or "unspecified"] += 1
        crisis_seen = crisis_seen or turn.crisis or turn.crisis_in_conversation
        alert = gr.update(visible=True) if crisis_seen else gr.update()
        notice = " ".join(turn.notices)
        answer = ""
        outcome = Outcome("", "stop", "stop")
        try:
            async for _delta in pipeline.stream(turn, outcome):
                # The page redraws the whole answer, so it shows a rewrite an append-only stream cannot.
                answer = outcome.shown or answer + _delta
                yield shown + [{"role": "assistant", "content": answer}], "", alert, crisis_seen, notice
        except Exception as exc:  # noqa: BLE001 - the page must stay usable; the type alone is logged
            stats.errors += 1
            log.error("internal error %s on the chat page", type(exc).__name__)
            yield shown, "", alert, crisis_seen, "⚠️ Something went wrong while answering. Please try again."
            return
        yield shown + [{"role": "assistant", "content": outcome.text}], "", alert, crisis_seen, notice
        log.info("page chat: %.0f ms, %d pieces", 1000 * (time.monotonic() - started), outcome.completion_tokens)

    with gr.Blocks(title=f"{title}: emotional support companion", theme=theme, css=CSS,
                   analytics_enabled=False, fill_height=True) as page:
        gr.Markdown(f"## {title}: an emotional support companion")
        gr.Markdown(f"**Please note:** {DISCLAIMER}", elem_id="disclaimer")
        alert = gr.Markdown(alert_md, visible=False, elem_id="crisis-alert")
        chatbot = gr.Chatbot(type="messages", elem_id="chat", label="Conversation", height=420,
                             show_copy_button=False)
        crisis_seen = gr.State(False)
        with gr.Row():
            box = gr.Textbox(placeholder="Share what's on your mind…", show_label=False, scale=8, elem_id="message",
                             max_length=pipeline.profile.limits.max_input_chars * 2, autofocus=True)
            send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
        notice = gr.Markdown("", elem_id="notice")
        clear = gr.Button("Clear conversation", size="sm", elem_id="clear")
        gr.Markdown("**Need help now?** If you are in danger, call your local emergency number. Crisis lines:\n\n"
                    + help_md, elem_id="help-always")

        outputs = [chatbot, box, alert, crisis_seen, notice]
        inputs = [box, chatbot, crisis_seen]
        box.submit(respond, inputs, outputs, show_progress="hidden", api_name="chat")
        send.click(respond, inputs, outputs, show_progress="hidden", api_name=False)
        clear.click(lambda: ([], "", ""), None, [chatbot, box, notice], show_progress="hidden", api_name=False)
    page.queue(default_concurrency_limit=4)
    return page
