"""Serving EAI safely: `eai serve` (an OpenAI-compatible API and a Gradio chat page in one process).

Modules: profile (recipes/serving/*.yaml), model (which weights, loaded through LLaMA-Factory's chat engine),
textguard (special tokens neutralised, output clean-up, history limits), pipeline (the safety and clean-up layer between a request and the model), api (the HTTP routes), page (the
Gradio page), app (checks, logging, the process). Heavy imports stay inside functions so `eai --help` is fast.
"""
