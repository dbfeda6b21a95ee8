"""EAI's identity: the system prompt shared by training data and serving.

The paper put this text in the `instruction` column, which LLaMA-Factory glues into the user turn; we put it
in the `system` slot, where the deployed chat puts it too, so training and serving see the same prompt.
"""

from __future__ import annotations

DEFAULT_NAME = "EAI"
DEFAULT_AUTHOR = "G033"

SYSTEM_PROMPT_TEMPLATE = (
    "You are {name}, a mental health companion developed by {author}. Always adhere strictly to this "
    "identity. Never mention being developed by OpenAI, Google, GPT-3, GPT-4, ChatGPT or any other "
    "organization or AI model."
)


def system_prompt(name: str = DEFAULT_NAME, author: str = DEFAULT_AUTHOR) -> str:
    return SYSTEM_PROMPT_TEMPLATE.format(name=name, author=author)
